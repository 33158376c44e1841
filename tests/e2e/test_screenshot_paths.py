"""A test run leaves a clean checkout clean: pictures go to an ignored folder unless
the docs' pictures are asked for."""

from __future__ import annotations

import subprocess

import pytest
from screenshot_paths import DOCS, REPO, screenshot_folders


def _ignored(path) -> bool:
    """True when git ignores `path` (so writing it leaves `git status` clean)."""
    done = subprocess.run(
        ["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False
    )
    return done.returncode == 0


@pytest.mark.parametrize("environ", [{}, {"RESOURCE_MAGIC_SCREENSHOTS": " "}])
def test_by_default_pictures_go_to_an_ignored_folder(environ):
    folder, overview = screenshot_folders(environ)
    assert not folder.is_relative_to(REPO / "docs")
    assert _ignored(folder / "01-notebook.png") and _ignored(overview)


def test_docs_refreshes_the_readme_pictures():
    folder, overview = screenshot_folders({"RESOURCE_MAGIC_SCREENSHOTS": "docs"})
    assert folder == DOCS and overview == REPO / "docs" / "browser.png"
    assert overview.exists()  # the picture the README shows
    assert not _ignored(overview)  # tracked: refreshing it is a change to commit


def test_any_other_value_is_a_folder_with_the_overview_beside_it(tmp_path):
    folder, overview = screenshot_folders(
        {"RESOURCE_MAGIC_SCREENSHOTS": str(tmp_path / "shots")}
    )
    assert folder == tmp_path / "shots" and overview == tmp_path / "browser.png"
