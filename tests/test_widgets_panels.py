"""The action panels under the preview are built the first time they open, not with the
browser: what a front end receives at the opening, what a first click builds and shows,
and `find` reaching a panel's controls before it was ever opened. Both backends.

These tests never call `find` before the click they check (it builds every panel), so
they reach controls by walking the widgets that exist, as a front end has them."""

from __future__ import annotations

from collections.abc import Iterator

import comm
import ipywidgets as w
import pytest
from IPython.core.interactiveshell import InteractiveShell

from resource_magic.widgets import ResourceBrowser
from resource_magic.widgets.render import NBSP
from resource_magic.widgets.view import css_classes

PANELS = (
    "rm-fork-panel",
    "rm-share-panel",
    "rm-shares-panel",
    "rm-public-panel",
    "rm-history-panel",
    "rm-delete-panel",
    "rm-insert-text",
)


@pytest.fixture
def browser(store) -> ResourceBrowser:
    store.save("other", "o = 1")
    store.save("etl", "v = 1", description="the pipeline")
    store.save("etl", "v = 2")
    store.share("etl")
    store.share("etl", max_accesses=2)
    return ResourceBrowser(
        store=store, shell=InteractiveShell.instance(), debounce_seconds=0
    )


def existing(widget: w.Widget) -> Iterator[w.Widget]:
    """The widgets that exist under `widget`, building nothing (unlike `find`)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from existing(child)


def get(browser: ResourceBrowser, css: str) -> w.DOMWidget:
    (found,) = [x for x in existing(browser) if css in css_classes(x)]
    return found


def built(browser: ResourceBrowser) -> list[str]:
    """The panels that exist, in display order."""
    classes = [c for x in existing(browser) for c in css_classes(x)]
    return [c for c in classes if c in PANELS]


def pick(browser: ResourceBrowser, name: str) -> None:
    results = get(browser, "rm-results")
    (value,) = [v for label, v in results.options if label.split(NBSP)[0] == name]
    results.value = value


def test_opening_builds_no_panel_and_fewer_widgets(store, monkeypatch):
    opened = []

    class RecordingComm(comm.DummyComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            if msg_type == "comm_open":
                opened.append(data["state"]["_model_name"])

    ResourceBrowser(store=store, shell=None)  # the kernel's shared looks, made once
    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    b = ResourceBrowser(store=store, shell=None, debounce_seconds=0)
    assert built(b) == []
    # every action button is there (disabled until a pick), none of their panels
    row = [get(b, f"rm-{name}") for name in ("insert", "fork", "share", "delete")]
    assert all(button.disabled for button in row)
    assert opened.count("ButtonModel") == 13  # 21 with every panel built
    assert opened.count("LayoutModel") == 2  # the browser's and Refresh's, not 16
    assert len(opened) <= 46  # 95 when every panel and every look was built
    b.find("rm-search")  # find builds them, hidden
    assert built(b) == list(PANELS)
    assert all(get(b, css).layout.display == "none" for css in PANELS)


def test_each_first_click_builds_its_panel_once_and_shows_it(store, browser):
    b = browser
    pick(b, "etl")
    get(b, "rm-shares").click()
    assert built(b) == ["rm-shares-panel"]
    assert get(b, "rm-shares-panel").layout.display == ""
    revokes = [x for x in existing(b) if "rm-revoke" in css_classes(x)]
    assert len(revokes) == 2  # drawn from the shares the click loaded
    get(b, "rm-fork").click()
    assert built(b) == ["rm-fork-panel", "rm-shares-panel"]  # in display order
    fork_panel = get(b, "rm-fork-panel")
    assert fork_panel.layout.display == ""
    assert get(b, "rm-shares-panel").layout.display == "none"  # one at a time
    assert get(b, "rm-fork-name").placeholder == "name of the copy (blank: etl)"
    get(b, "rm-fork-cancel").click()
    get(b, "rm-fork").click()
    assert get(b, "rm-fork-panel") is fork_panel  # built once
    get(b, "rm-history").click()
    versions = [x for x in existing(b) if "rm-restore" in css_classes(x)]
    assert [v.description for v in versions] == ["Restore v2", "Restore v1"]
    get(b, "rm-delete").click()
    assert "Delete <b>etl</b>" in get(b, "rm-delete-question").value
    get(b, "rm-public").click()
    assert "Make <b>etl</b> public?" in get(b, "rm-public-question").value
    get(b, "rm-share").click()
    get(b, "rm-share-max-uses").value = "1"
    get(b, "rm-share-create").click()
    token = b.state.new_share.token
    assert get(b, "rm-share-line").value == f"%resource open {token}"
    assert len(store.shares("etl")) == 3
    assert built(b) == list(PANELS[:-1])  # Insert's box only where it is needed
    pick(b, "other")  # another resource: every panel closes
    assert all(get(b, css).layout.display == "none" for css in PANELS[:-1])


def test_insert_builds_its_copy_box_only_without_a_way_to_insert(store):
    store.save("etl", "print('etl')")
    b = ResourceBrowser(store=store, shell=None, debounce_seconds=0)
    b.inserter.shell = None  # no IPython at all (e.g. a plain script)
    pick(b, "etl")
    get(b, "rm-insert").click()
    assert built(b) == ["rm-insert-text"]
    box = get(b, "rm-insert-text")
    assert box.layout.display == "" and box.value == "print('etl')"


def test_a_panel_built_late_shows_what_the_state_holds(browser):
    """State changed from Python before a panel exists is drawn when it is built."""
    b = browser
    pick(b, "etl")
    b.state.load_shares()
    b.state.load_history()
    assert built(b) == []
    assert len(b.find_all("rm-revoke")) == 2  # find builds the panels, hidden
    restores = b.find_all("rm-restore")
    assert [r.description for r in restores] == ["Restore v2", "Restore v1"]
    assert b.find("rm-fork-name").placeholder == "name of the copy (blank: etl)"
    assert b.find("rm-shares-panel").layout.display == "none"
    b.state.diff_version(1)
    assert b.find("rm-diff").layout.display == ""
