"""The secret scan through the front ends, on both backends: the browser's Share and
public toggle (its state and its widgets, found by their rm-* classes), and the magics.
Every key here is FAKE."""

from __future__ import annotations

import ipywidgets as w
import pytest
from IPython.core.interactiveshell import InteractiveShell

from resource_magic.errors import NotFound
from resource_magic.widgets import BrowserState, ResourceBrowser

AWS_ID = "AKIA5QXZJ2B7N4HEXK3M"
GITHUB = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
LEAKY = f'import boto3\n\nclient = boto3.client("s3", aws_access_key_id="{AWS_ID}")\n'
CLEAN = "import pandas as pd\n\ndf = pd.read_csv('data.csv')\n"
BROWSER_ADVICE = "remove it, or tick 'Allow secrets' to go ahead anyway."


def find(root: w.Widget, css: str) -> w.Widget:
    """The one widget under `root` with this rm-* class, as a page would find it."""
    found, todo = [], [root]
    while todo:
        widget = todo.pop()
        if css in getattr(widget, "_dom_classes", ()):
            found.append(widget)
        todo.extend(getattr(widget, "children", ()))
    assert len(found) == 1, (css, found)
    return found[0]


def visible(widget: w.Widget) -> bool:
    return widget.layout.display != "none"


@pytest.fixture
def browse():
    def make(store) -> ResourceBrowser:
        browser = ResourceBrowser(
            store=store, shell=InteractiveShell.instance(), debounce_seconds=0
        )
        return browser

    return make


def pick(browser: ResourceBrowser, name: str) -> None:
    record = next(r for r in browser.state.items if r.name == name)
    browser.state.select(str(record.id))


# -- the browser's state --------------------------------------------------------------
def test_state_share_refuses_a_secret_then_allows_it(store):
    store.save("etl", CLEAN, parameters={"token": GITHUB})
    state = BrowserState(store, debounce_seconds=0)
    state.select(str(store.get("etl").id))
    assert state.share() is False
    assert state.status == (
        "The default of parameter 'token' of 'etl' looks like a GitHub token: "
        + BROWSER_ADVICE
    )
    assert state.status_kind == "error"
    assert state.new_share is None and store.shares("etl") == []
    assert state.share(allow_secrets=True) is True
    assert [s.prefix for s in store.shares("etl")] == [state.new_share.share.prefix]


def test_state_public_toggle_refuses_a_secret_in_the_history(make_store):
    store = make_store("alice")
    store.save("etl", LEAKY)
    store.save("etl", CLEAN)
    state = BrowserState(store, debounce_seconds=0)
    state.select(str(store.get("etl").id))
    assert state.set_public(True) is False
    assert state.status == (
        "Line 3 of the content of 'etl' version 1 looks like an AWS access key, and "
        "a public resource shows its history: publish a fork instead, or tick 'Allow "
        "secrets' to go ahead anyway."
    )
    assert not store.get("etl").is_public and not state.preview.record.is_public
    with pytest.raises(NotFound):
        make_store("bob").get("alice/etl")
    assert state.set_public(True, allow_secrets=True) is True
    assert state.preview.record.is_public
    assert make_store("bob").get("alice/etl").version == 2
    assert state.set_public(False) is True  # going private needs no scan
    assert not store.get("etl").is_public


# -- the browser's widgets ------------------------------------------------------------
def test_share_panel_refuses_then_allow_secrets_shares(store, browse):
    store.save("etl", LEAKY)
    b = browse(store)
    pick(b, "etl")
    find(b, "rm-share").click()
    allow = find(b, "rm-share-allow-secrets")
    assert visible(find(b, "rm-share-panel")) and allow.value is False
    find(b, "rm-share-create").click()
    assert b.state.status == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + BROWSER_ADVICE
    )
    assert store.shares("etl") == [] and find(b, "rm-share-line").value == ""
    allow.value = True
    find(b, "rm-share-create").click()
    (share,) = store.shares("etl")
    assert find(b, "rm-share-line").value == f"%resource open {b.state.new_share.token}"
    find(b, "rm-share").click()  # a new share starts without the opt-in again
    assert find(b, "rm-share-allow-secrets").value is False


def test_public_toggle_asks_refuses_and_allows(make_store, browse):
    store = make_store("alice")
    store.save("etl", CLEAN, attachments=[("text/plain", f"id {AWS_ID}\n".encode())])
    b = browse(store)
    pick(b, "etl")
    button = find(b, "rm-public")
    assert button.description == "Make public"
    button.click()
    panel = find(b, "rm-public-panel")
    assert visible(panel)
    assert "Make <b>etl</b> public?" in find(b, "rm-public-question").value
    find(b, "rm-public-confirm").click()
    assert b.state.status == (
        "Line 1 of output 1 (text/plain) of 'etl' looks like an AWS access key: "
        + BROWSER_ADVICE
    )
    assert not store.get("etl").is_public and visible(panel)
    find(b, "rm-public-allow-secrets").value = True
    find(b, "rm-public-confirm").click()
    assert store.get("etl").is_public and not visible(panel)
    assert make_store("bob").get("alice/etl").name == "etl"
    assert button.description == "Make private"
    button.click()
    assert not visible(find(b, "rm-public-allow-secrets"))
    find(b, "rm-public-confirm").click()
    assert not store.get("etl").is_public
    assert b.state.status == (
        "'etl' is private: only you and holders of its share tokens can see it."
    )


def test_someone_elses_resource_has_no_public_toggle(make_store, browse):
    make_store("bob").save("theirs", CLEAN, is_public=True)
    b = browse(make_store("alice"))
    b.state.scope = "public"
    pick(b, "theirs")
    assert find(b, "rm-public").disabled
