"""The secret scan through the front ends, on both backends: the browser's Share and
public toggle (its state and its widgets, found by their rm-* classes), and the magics.
Every key here is FAKE."""

from __future__ import annotations

import json

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
    b.find("rm-share").click()
    allow = b.find("rm-share-allow-secrets")
    assert visible(b.find("rm-share-panel")) and allow.value is False
    b.find("rm-share-create").click()
    assert b.state.status == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + BROWSER_ADVICE
    )
    assert store.shares("etl") == [] and b.find("rm-share-line").value == ""
    allow.value = True
    b.find("rm-share-create").click()
    (share,) = store.shares("etl")
    assert b.find("rm-share-line").value == f"%resource open {b.state.new_share.token}"
    b.find("rm-share").click()  # a new share starts without the opt-in again
    assert b.find("rm-share-allow-secrets").value is False


def test_public_toggle_asks_refuses_and_allows(make_store, browse):
    store = make_store("alice")
    store.save("etl", CLEAN, attachments=[("text/plain", f"id {AWS_ID}\n".encode())])
    b = browse(store)
    pick(b, "etl")
    button = b.find("rm-public")
    assert button.description == "Make public"
    button.click()
    panel = b.find("rm-public-panel")
    assert visible(panel)
    assert "Make <b>etl</b> public?" in b.find("rm-public-question").value
    b.find("rm-public-confirm").click()
    assert b.state.status == (
        "Line 1 of output 1 (text/plain) of 'etl' looks like an AWS access key: "
        + BROWSER_ADVICE
    )
    assert not store.get("etl").is_public and visible(panel)
    b.find("rm-public-allow-secrets").value = True
    b.find("rm-public-confirm").click()
    assert store.get("etl").is_public and not visible(panel)
    assert make_store("bob").get("alice/etl").name == "etl"
    assert button.description == "Make private"
    button.click()
    assert not visible(b.find("rm-public-allow-secrets"))
    b.find("rm-public-confirm").click()
    assert not store.get("etl").is_public
    assert b.state.status == (
        "'etl' is private: only you and holders of its share tokens can see it."
    )


def test_someone_elses_resource_has_no_public_toggle(make_store, browse):
    make_store("bob").save("theirs", CLEAN, is_public=True)
    b = browse(make_store("alice"))
    b.state.scope = "public"
    pick(b, "theirs")
    assert b.find("rm-public").disabled


# -- the magics, in a real IPython shell ----------------------------------------------
ADVICE = "remove it, or pass --allow-secrets."


def test_share_magic_refuses_then_allow_secrets_shares(run, store):
    store.save("etl", LEAKY)
    refused = run("%resource share etl --max-uses 2")
    assert refused.usage_error == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + ADVICE
    )
    assert not refused.traceback_shown and refused.stdout == ""
    assert store.shares("etl") == []
    shared = run("%resource share etl --max-uses 2 --allow-secrets")
    assert shared.error is None and shared.stdout.startswith("Shared 'etl'")
    assert [s.max_accesses for s in store.shares("etl")] == [2]


def test_save_warns_but_saves_a_private_resource(run, store):
    saved = run(f"%%resource save etl --param token={GITHUB}\n{CLEAN}")
    assert saved.error is None
    assert saved.stdout == "Saved workflow 'etl' (version 1).\n"
    assert saved.stderr == (
        "Warning: the default of parameter 'token' looks like a GitHub token. 'etl' "
        "keeps it while private, but sharing it or making it public will be refused "
        "until you remove it (or pass --allow-secrets).\n"
    )
    record = store.get("etl")
    assert record.parameters == {"token": GITHUB} and not record.is_public
    clean = run(f"%%resource save tidy\n{CLEAN}")
    assert clean.error is None and clean.stderr == ""


def test_save_public_refuses_a_secret_in_a_captured_output(run, store, make_store):
    # the key is built at run time, so only the output shows it whole
    body = f"print('connected as ' + '{AWS_ID[:4]}' + '{AWS_ID[4:]}')\n"
    cell = f"%%resource save etl --public --run\n{body}"
    refused = run(cell)
    assert refused.usage_error == (
        "Line 1 of output 1 (text/plain) of 'etl' looks like an AWS access key: "
        + ADVICE
    )
    with pytest.raises(NotFound):
        store.get("etl")
    allowed = run(cell.replace("--run", "--run --allow-secrets"))
    assert allowed.error is None
    assert "Saved workflow 'etl' (version 1)." in allowed.stdout
    assert allowed.stderr.endswith(
        "Warning: line 1 of output 1 (text/plain) looks like an AWS access key; "
        "--allow-secrets saved it anyway.\n"
    )
    assert make_store("bob").get("alice/etl").is_public


def test_update_public_refuses_then_allows(run, store, make_store):
    store.save("etl", CLEAN, description=f"boto3 with {AWS_ID}")
    refused = run("%resource update etl --public")
    assert refused.usage_error == (
        "Line 1 of the description of 'etl' looks like an AWS access key: " + ADVICE
    )
    assert not store.get("etl").is_public
    assert run("%resource update etl --public --allow-secrets").error is None
    assert make_store("bob").get("alice/etl").description == f"boto3 with {AWS_ID}"


def test_restore_into_a_public_resource_refuses_then_allows(run, store):
    store.save("etl", LEAKY)
    store.save("etl", CLEAN, is_public=True, allow_secrets=True)
    refused = run("%resource restore etl 1")
    assert refused.usage_error == (
        "Line 3 of the content of 'etl' looks like an AWS access key: " + ADVICE
    )
    assert store.get("etl").version == 2
    assert run("%resource restore etl 1 --allow-secrets").error is None
    assert store.get("etl").content == LEAKY


def test_import_of_a_public_resource_refuses_then_allows(run, store, tmp_path):
    export = {
        "format": "resource_magic/1",
        "user": "mallory",
        "resources": [
            {
                "name": "etl",
                "resource_type": "workflow",
                "is_public": True,
                "versions": [{"content": CLEAN, "parameters": {"key": GITHUB}}],
            }
        ],
    }
    path = tmp_path / "in.json"
    path.write_text(json.dumps(export))
    refused = run(f"%resource import {path}")
    assert refused.usage_error == (
        "The default of parameter 'key' of 'etl' looks like a GitHub token: " + ADVICE
    )
    with pytest.raises(NotFound):
        store.get("etl")
    assert run(f"%resource import {path} --allow-secrets").error is None
    assert store.get("etl").is_public


def test_every_flag_is_in_the_help(run):
    for command in ("share", "save", "update", "restore", "import"):
        shown = run(f"%resource help {command}")
        assert "--allow-secrets" in shown.text, command
