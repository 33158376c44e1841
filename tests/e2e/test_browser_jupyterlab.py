"""The resource browser in a real JupyterLab under headless Chromium, used as a person
would: clicks and typing in the page, waiting on what the page shows.

Alice seeds two resources with `%%resource save`, opens `%resource browse`, searches,
previews, inserts, runs, forks and shares with a use limit; Bob (the same server, a
second notebook with `%config ResourceMagic.user = "bob"`) opens the token and forks
it; Alice revokes it; Bob's next open is refused. Each step is also checked in the
database, and each step's screenshot lands in tests/artifacts/screenshots/ (ignored by
git), or with RESOURCE_MAGIC_SCREENSHOTS=docs in docs/screenshots/ and docs/browser.png
(the README's picture, copied from the preview step): see screenshot_paths.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from resource_magic.errors import TOKEN_REFUSED_MESSAGE
from resource_magic.store import ResourceStore

try:
    from playwright.sync_api import Page, expect
except ImportError as exc:  # locally a skip with the reason; under CI a failure
    if os.environ.get("CI"):
        raise
    pytest.skip(
        f"browser test not run: Playwright is missing ({exc}); "
        "pip install -e '.[test]'",
        allow_module_level=True,
    )
from jupyterlab_page import (  # noqa: E402 (needs Playwright, checked above)
    Notebook,
    Screenshots,
    open_from_file_browser,
    open_notebook,
)
from screenshot_paths import screenshot_folders  # noqa: E402

pytestmark = pytest.mark.browser

SCREENSHOTS, OVERVIEW = screenshot_folders(os.environ)

WORKFLOW = (
    "rows = [3, None, 5, None, 8]\n"
    "kept = [r for r in rows if r is not None]\n"
    'print(f"kept {len(kept)} of {len(rows)} rows")'
)
PROMPT = "Hello {{ name }}, thanks for your order!"
ALICE_CELLS = [
    "%load_ext resource_magic",
    '%%resource save clean-sales -d "Drop the empty rows" --tag sales\n' + WORKFLOW,
    '%%resource save greeting -t prompt -d "Thank a customer"\n' + PROMPT,
    "%resource browse",
]
BOB_CELLS = [
    '%load_ext resource_magic\n%config ResourceMagic.user = "bob"',
    "%resource browse",
]


def _row(name: str) -> re.Pattern:
    """A result row that starts with exactly this name (rows pad with spaces)."""
    return re.compile(rf"^{re.escape(name)}\s")


class Browser:
    """The resource browser widget inside one notebook, located by its rm-* classes."""

    def __init__(self, notebook: Notebook) -> None:
        self.root = notebook.panel.locator(".rm-browser")
        self.title = self.root.locator(".rm-title")
        self.search = self.root.locator(".rm-search input")
        self.results = self.root.locator(".rm-results select")
        self.page_label = self.root.locator(".rm-page-label")
        self.status = self.root.locator(".rm-status")
        self.token = self.root.locator(".rm-token input")
        self.open_token = self.root.locator("button.rm-open-token")
        self.preview_title = self.root.locator(".rm-preview-title")
        self.source = self.root.locator(".rm-source")
        self.metadata = self.root.locator(".rm-metadata")
        self.output = self.root.locator(".rm-output")

    def button(self, css: str):
        return self.root.locator(f"button.{css}")

    def row(self, name: str):
        return self.results.locator("option").filter(has_text=_row(name))

    def pick(self, name: str) -> None:
        self.row(name).click()
        expect(self.preview_title).to_contain_text(f"/{name} \u00b7")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database on each backend in turn (PostgreSQL: one of its own)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'resources.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def test_browse_share_and_revoke_in_jupyterlab(
    lab_factory, page: Page, database_url: str, tmp_path: Path
) -> None:
    lab = lab_factory(database_url, user="alice")
    lab.write_notebook("alice.ipynb", ALICE_CELLS)
    lab.write_notebook("bob.ipynb", BOB_CELLS)
    # The documented run is the embedded default, SQLite; PostgreSQL's shots stay in
    # the test's temporary directory.
    on_sqlite = database_url.startswith("sqlite")
    folder = SCREENSHOTS if on_sqlite else tmp_path / "screenshots"
    shots = Screenshots(page, folder)
    try:
        overview = _flow(page, lab, database_url, shots)
    except BaseException:
        page.screenshot(path=str(folder / "failure.png"))
        print(f"screenshots in {folder}; JupyterLab's log:\n{lab.log_tail()}")
        raise
    if on_sqlite:
        shots.copy(overview, OVERVIEW)


def _flow(page: Page, lab, database_url: str, shots: Screenshots) -> Path:
    """The whole story; returns the overview screenshot."""
    alice_store = ResourceStore(database_url, user="alice")
    bob_store = ResourceStore(database_url, user="bob")

    # Alice opens her notebook and runs it: the extension, two saves, the browser.
    alice_nb = open_notebook(page, lab.lab_url("alice.ipynb"), "alice.ipynb")
    alice_nb.run_all()
    expect(alice_nb.output(1)).to_have_text("Saved workflow 'clean-sales' (version 1).")
    expect(alice_nb.output(2)).to_have_text(
        "Saved prompt 'greeting' (version 1).\n"
        "Required when it runs (no default): name; give each with -p.\n"
    )
    alice_browse_cell = alice_nb.cells.nth(len(ALICE_CELLS) - 1)
    alice = Browser(alice_nb)
    expect(alice.title).to_contain_text("alice @")
    expect(alice.page_label).to_contain_text("1-2 of 2 resources")
    expect(alice.results.locator("option")).to_have_count(2)
    shots.take("browse", alice_browse_cell, "start")

    # Search narrows the results as she types.
    alice.search.click()
    alice.search.press_sequentially("sales")
    expect(alice.results.locator("option")).to_have_count(1)
    expect(alice.row("clean-sales")).to_have_count(1)
    expect(alice.page_label).to_contain_text("1-1 of 1 resource")
    shots.take("search", alice_browse_cell, "start")

    # Picking the result shows its highlighted source and its metadata.
    alice.pick("clean-sales")
    expect(alice.preview_title).to_contain_text("alice/clean-sales \u00b7 workflow")
    expect(alice.source).to_contain_text("kept = [r for r in rows if r is not None]")
    expect(alice.metadata).to_contain_text("Drop the empty rows")
    expect(alice.metadata).to_contain_text("sales")
    overview = shots.take("preview", alice_browse_cell, "start")

    # Insert puts the source in a new cell below (ipylab drives JupyterLab).
    cells_before = alice_nb.cells.count()
    alice.button("rm-insert").click()
    expect(alice.status).to_contain_text("Inserted 'clean-sales' in a new cell below.")
    expect(alice_nb.cells).to_have_count(cells_before + 1)
    inserted = alice_nb.editor(alice_nb.cells.nth(len(ALICE_CELLS)))  # right below
    expect(inserted).to_have_text(WORKFLOW.replace("\n", ""))  # lines are <div>s
    shots.take("insert", inserted, "end")

    # Run executes it here: its output appears in the browser, the run is counted.
    alice.button("rm-run").click()
    expect(alice.output).to_contain_text("kept 3 of 5 rows")
    expect(alice.status).to_contain_text("Ran 'clean-sales' (run 1).")
    assert alice_store.get("clean-sales").execution_count == 1
    shots.take("run", alice.output)

    # Fork asks for a name, then the copy shows up in the list, selected.
    alice.button("rm-fork").click()
    alice.root.locator(".rm-fork-name input").fill("clean-sales-copy")
    alice.button("rm-fork-confirm").click()
    expect(alice.status).to_contain_text("as 'clean-sales-copy', now yours")
    expect(alice.row("clean-sales-copy")).to_have_count(1)
    expect(alice.preview_title).to_contain_text("alice/clean-sales-copy")
    assert alice_store.get("clean-sales-copy").parent == "alice/clean-sales"
    shots.take("fork", alice.root, "start")

    # Share the original with a use limit; the token is shown once.
    alice.pick("clean-sales")
    alice.button("rm-share").click()
    alice.root.locator(".rm-share-max-uses input").fill("3")
    alice.button("rm-share-create").click()
    shown = alice.root.locator(".rm-share-token code")
    expect(shown).to_have_text(re.compile(r"^rmshr_\S+$"))
    token = shown.inner_text()
    expect(alice.root.locator(".rm-share-line input")).to_have_value(
        f"%resource open {token}"
    )
    [share] = alice_store.shares("clean-sales")
    assert (share.max_accesses, share.access_count, share.status) == (3, 0, "active")
    shots.take("share", shown)

    # Bob, in a second notebook of the same JupyterLab, opens the token...
    bob_nb = open_from_file_browser(page, "bob.ipynb")
    bob_nb.run_all()
    bob = Browser(bob_nb)
    expect(bob.title).to_contain_text("bob @")
    expect(bob.page_label).to_contain_text("No resources match.")
    bob.token.fill(token)
    bob.open_token.click()
    expect(bob.preview_title).to_contain_text("alice/clean-sales \u00b7 workflow")
    expect(bob.status).to_contain_text("through a share token (use 1 of 3)")
    expect(bob.source).to_contain_text("kept = [r for r in rows if r is not None]")
    shots.take("bob-open-token", bob_nb.cells.first, "start")

    # ... and forks it into his own resources.
    bob.button("rm-fork").click()
    bob.root.locator(".rm-fork-name input").fill("sales-cleaner")
    bob.button("rm-fork-confirm").click()
    expect(bob.status).to_contain_text("as 'sales-cleaner', now yours")
    expect(bob.row("sales-cleaner")).to_have_count(1)
    copy = bob_store.get("sales-cleaner")
    original = alice_store.get("clean-sales")
    # Alice's private original stays hidden from Bob, even as his copy's parent...
    assert (copy.owner, copy.parent_id, copy.parent) == ("bob", None, None)
    assert copy.content == original.content
    # ... while Alice sees it forked twice (her copy and Bob's); Bob's private copy
    # is only counted in her lineage.
    assert original.fork_count == 2
    lineage = alice_store.lineage("clean-sales")
    assert [(n.depth, n.owner, n.name) for n in lineage] == [
        (0, "alice", "clean-sales"),
        (1, "alice", "clean-sales-copy"),
    ]
    assert lineage.hidden == 1
    assert original.content.rstrip("\n") == WORKFLOW  # a cell body ends with "\n"
    shots.take("bob-fork", bob_nb.cells.first, "start")

    # Alice, back in her notebook, revokes the share.
    alice_nb.bring_to_front()
    alice.button("rm-shares").click()
    share_row = alice.root.locator(".rm-share-row", has_text=share.prefix)
    expect(share_row).to_contain_text("active \u00b7 uses 2/3")
    alice.button("rm-revoke").click()
    expect(alice.status).to_contain_text(
        f"Revoked {share.handle} ({share.prefix}\u2026) of 'clean-sales'"
    )
    expect(share_row).to_contain_text("revoked")
    expect(alice.button("rm-revoke")).to_be_disabled()
    assert alice_store.shares("clean-sales")[0].status == "revoked"
    shots.take("revoke", share_row)

    # Bob's next open is refused, with the one message for every refused token.
    bob_nb.bring_to_front()
    bob.open_token.click()
    expect(bob.status).to_have_text(TOKEN_REFUSED_MESSAGE)
    assert alice_store.shares("clean-sales")[0].access_count == 2
    shots.take("bob-refused", bob_nb.cells.first, "start")

    # No traceback anywhere on the page.
    expect(
        page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    ).to_have_count(0)
    return overview
