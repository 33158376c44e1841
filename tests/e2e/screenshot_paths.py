"""Where the real-browser test writes its pictures.

A plain test run must leave a clean checkout clean, so by default the step screenshots
and the overview go to the ignored tests/artifacts/. RESOURCE_MAGIC_SCREENSHOTS=docs
refreshes the pictures the README shows (docs/screenshots/ and docs/browser.png); any
other value is a folder for the steps, with browser.png written beside it.
"""

from __future__ import annotations

from pathlib import Path

ENV = "RESOURCE_MAGIC_SCREENSHOTS"
REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "tests" / "artifacts" / "screenshots"
DOCS = REPO / "docs" / "screenshots"


def screenshot_folders(environ) -> tuple[Path, Path]:
    """(folder for the numbered step shots, path of the overview picture)."""
    chosen = (environ.get(ENV) or "").strip()
    if not chosen:
        folder = DEFAULT
    elif chosen == "docs":
        folder = DOCS
    else:
        folder = Path(chosen).expanduser().resolve()
    return folder, folder.parent / "browser.png"
