"""What a person does in JupyterLab, as Playwright steps: open, run, switch notebooks.

Every wait is on something the page shows (Playwright's auto-waiting locators and
`expect`), never a sleep.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

# ms. Generous because the machine may be busy: a passing wait returns as soon as the
# page shows what it waits for, so only a failing run pays the full timeout.
PAGE_LOAD_TIMEOUT = 60_000  # JupyterLab's first load: a few MB of JavaScript
KERNEL_START_TIMEOUT = 60_000  # a cold kernel imports IPython, ipywidgets, ipylab
EXPECT_TIMEOUT = 20_000
expect.set_options(timeout=EXPECT_TIMEOUT)


class Notebook:
    """One open notebook in JupyterLab's main area, found by its tab."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab").filter(
            has=page.locator(".lm-TabBar-tabLabel", has_text=name)
        )
        expect(self.tab).to_have_count(1, timeout=PAGE_LOAD_TIMEOUT)
        # A tab carries the id of the panel it shows.
        self.panel = page.locator(f"[id='{self.tab.get_attribute('data-id')}']")
        self.cells = self.panel.locator(".jp-Notebook .jp-Cell")

    def wait_for_kernel(self) -> None:
        """Until the toolbar names the kernel and shows it idle.

        The status indicator alone reads "idle" before any kernel exists ("No Kernel"),
        and running cells then would pop up the kernel chooser."""
        toolbar = self.panel.locator(".jp-NotebookPanel-toolbar")
        expect(toolbar.locator("[data-jp-item-name='kernelName']")).to_have_text(
            "Python 3 (ipykernel)", timeout=KERNEL_START_TIMEOUT
        )
        expect(
            toolbar.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        ).to_be_visible(timeout=KERNEL_START_TIMEOUT)

    def bring_to_front(self) -> None:
        self.tab.click()
        expect(self.tab).to_have_class(_has("lm-mod-current"))
        expect(self.panel).to_be_visible()

    def run_all(self) -> None:
        """Run > Run All Cells, from the menu bar."""
        self.page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        self.page.locator(".lm-Menu-item").filter(
            has=self.page.get_by_text("Run All Cells", exact=True)
        ).click()

    def output(self, index: int) -> Locator:
        return self.cells.nth(index).locator(".jp-OutputArea-output")

    @staticmethod
    def editor(cell: Locator) -> Locator:
        """A cell's input text (CodeMirror's content element)."""
        return cell.locator(".jp-InputArea .cm-content")


def _has(css_class: str):
    import re

    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")


def open_notebook(page: Page, url: str, name: str) -> Notebook:
    """Load JupyterLab at `url` (which opens `name`) and wait for its kernel."""
    page.goto(url)
    notebook = Notebook(page, name)
    notebook.wait_for_kernel()
    return notebook


def open_from_file_browser(page: Page, name: str) -> Notebook:
    """Double-click `name` in the file browser, as a person opens a second notebook."""
    browser = page.locator("#filebrowser")
    if not browser.is_visible():
        page.locator(".jp-SideBar .lm-TabBar-tab[data-id='filebrowser']").click()
    browser.locator(".jp-DirListing-item", has_text=name).dblclick()
    notebook = Notebook(page, name)
    notebook.bring_to_front()
    notebook.wait_for_kernel()
    return notebook


class Screenshots:
    """Numbered screenshots of each step, for people to look at (docs/screenshots/)."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):  # a shorter, failing run leaves no stale steps
            old.unlink()

    def take(self, step: str, focus: Locator | None = None, at: str = "center") -> Path:
        """Screenshot the page, first scrolling `focus` to the `at` (start, center,
        end) of the notebook, so the shot shows what the step is about."""
        if focus is not None:
            focus.evaluate("(e, block) => e.scrollIntoView({block})", at)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path))
        return path

    def copy(self, shot: Path, target: Path) -> None:
        shutil.copyfile(shot, target)
