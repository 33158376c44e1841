"""history, restore, update, delete, export, import and browse through a real shell."""

from __future__ import annotations

import json
import sys

import pytest
from _images import png

from resource_magic.frames import HISTORY_COLUMNS
from resource_magic.magic.commands.transfer import PROGRESS_FROM

# -- history and restore ---------------------------------------------------------


def test_history_and_restore(run, store):
    store.save("etl", "x = 1\n", parameters={"n": 1})
    store.save("etl", "x = 2\n", attachments=[("image/png", png())])
    frame = run("%resource history etl").result
    assert tuple(frame.columns) == HISTORY_COLUMNS
    assert frame[
        ["version", "current", "parameters", "attachments", "preview"]
    ].values.tolist() == [
        [1, False, "n: int = 1", 0, "x = 1"],
        [2, True, "", 1, "x = 2"],
    ]
    shown = run("%resource restore etl 1")
    assert shown.stdout == (
        "Restored version 1 of 'etl': it is now version 3, and every earlier "
        "version stays in its history.\n"
    )
    record = store.get("etl")
    assert record.version == 3 and record.content == "x = 1\n"
    assert record.parameters == {"n": 1}
    assert run("%resource history etl").result["version"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "%resource restore etl 9",
            "'etl' has no version 9: it has versions 1 to 1 (see %resource history "
            "etl).",
        ),
        (
            "%resource restore etl two",
            "'etl' has no label 'two'. See its labels with %resource labels etl.",
        ),
        (
            "%resource restore etl",
            "%resource restore: the following arguments are required: VERSION. "
            "See %resource help restore.",
        ),
        ("%resource history et", "No resource named 'et'. Did you mean 'etl'?"),
        (  # NAME is optional: only FILE is missing
            "%resource export",
            "%resource export: the following arguments are required: FILE. "
            "See %resource help export.",
        ),
        (
            "%resource restore bob/pub 1",
            "'bob/pub' belongs to another user, so you cannot restore it: fork it "
            "first with `%resource fork bob/pub`.",
        ),
    ],
)
def test_version_mistakes(run, make_store, line, message):
    alice = make_store("alice")
    alice.save("etl", "x = 1")
    make_store("bob").save("pub", "x = 1", is_public=True)
    shown = run(line)
    assert shown.usage_error == message
    assert alice.get("etl").version == 1


# -- update and delete -----------------------------------------------------------


def test_update_everything(run, store, make_store):
    store.save("etl", "x = n\n", description="old", tags=["a"])
    shown = run(
        '%resource update etl --rename etl-daily -d "Daily clean" --tag b --tag c '
        "--param n=5 --public"
    )
    assert shown.stdout == (
        "Updated 'etl-daily': renamed from 'etl'; description set; tags: b, c; "
        "parameters: n: int = 5 (version 2); now public.\n"
    )
    record = store.get("etl-daily")
    assert (record.description, record.tags, record.is_public) == (
        "Daily clean",
        ("b", "c"),
        True,
    )
    assert record.parameters == {"n": 5} and record.version == 2
    assert make_store("bob").get("alice/etl-daily").name == "etl-daily"
    shown = run('%resource update etl-daily -d "" --private')
    assert shown.stdout == "Updated 'etl-daily': description cleared; now private.\n"
    assert store.get("etl-daily").description is None


def test_delete(run, store):
    store.save("etl", "x = 1")
    store.share("etl")
    shown = run("%resource delete etl")
    assert shown.stdout == (
        "Deleted 'etl' with all its versions and shares (forks of it stay, without a "
        "parent).\n"
    )
    assert store.list().total == 0 and store.shares() == []
    assert run("%resource delete etl").usage_error == (
        "No resource named 'etl': see your resources with %resource list."
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "%resource update etl",
            "Nothing to update: give a new name, description, tags, public/private "
            "or content.",
        ),
        (
            "%resource update etl --rename other",
            "You already have a resource named 'other': pick another name.",
        ),
        (
            "%resource update etl --rename a/b",
            "The name 'a/b' contains '/', which is kept for owner/name: use another "
            "character.",
        ),
        (
            "%resource update bob/pub --private",
            "'bob/pub' belongs to another user, so you cannot update it: fork it "
            "first with `%resource fork bob/pub`.",
        ),
        (
            "%resource delete bob/pub",
            "'bob/pub' belongs to another user, so you cannot delete it: fork it "
            "first with `%resource fork bob/pub`.",
        ),
        (
            "%resource delete bob/secret",
            "No public resource 'bob/secret': check the spelling, or ask bob for a "
            "share token.",
        ),
        ("%resource delete othr", "No resource named 'othr'. Did you mean 'other'?"),
    ],
)
def test_manage_mistakes_change_nothing(run, make_store, line, message):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    alice.save("other", "x = 2")
    bob.save("pub", "x = 1", is_public=True)
    bob.save("secret", "x = 1")
    before = (alice.export(), bob.export())
    shown = run(line)
    assert shown.usage_error == message
    assert not shown.traceback_shown
    assert (alice.export(), bob.export()) == before


# -- export and import -----------------------------------------------------------


def test_export_then_import_as_another_user(run, as_user, store, make_store, tmp_path):
    store.save("etl", "x = 1\n", tags=["etl"])
    store.save("etl", "x = 2\n", attachments=[("image/png", png())])
    store.save("ask", "Hi {{ who }}", resource_type="prompt")
    path = tmp_path / "backup.json"
    shown = run(f"%resource export {path}")
    assert shown.stdout == f"Exported 2 resources (3 versions) to {path}.\n"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == store.export()
    assert [r["name"] for r in data["resources"]] == ["ask", "etl"]
    assert not list(tmp_path.glob("*.partial"))
    run(f"%resource export {tmp_path / 'one.json'} etl")
    one = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in one["resources"]] == ["etl"]

    as_user("bob")
    run("%%resource save etl\nmine = True\n")
    shown = run(f"%resource import {path}")
    assert shown.stdout == (
        f"Imported 2 resources from {path} (new: ask; new versions of: etl).\n"
    )
    bob = make_store("bob")
    assert [v.content for v in bob.history("etl")] == [
        "mine = True\n",
        "x = 1\n",
        "x = 2\n",
    ]
    assert bob.attachments("etl")[0].data == png()


def test_import_shows_a_progress_bar_when_there_are_many(
    run, as_user, store, make_store, tmp_path
):
    for i in range(PROGRESS_FROM):
        store.save(f"r{i:02d}", f"x = {i}")
    path = tmp_path / "many.json"
    shown = run(f"%resource export {path}")
    assert f"{PROGRESS_FROM}/{PROGRESS_FROM}" in shown.stderr
    assert json.loads(path.read_text(encoding="utf-8")) == store.export()
    as_user("carol")
    shown = run(f"%resource import {path}")
    assert shown.error is None
    assert f"{PROGRESS_FROM}/{PROGRESS_FROM}" in shown.stderr  # tqdm's counter
    assert shown.stdout.startswith(f"Imported {PROGRESS_FROM} resources from {path}")
    assert shown.stdout.rstrip().endswith("and 10 more).")
    assert make_store("carol").list().total == PROGRESS_FROM


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "{path} is not valid JSON (line 1, column 2: Expecting property name "
            "enclosed in double quotes): give a file written by %resource export.",
        ),
        (
            '{"format": "other"}',
            "This is not a resource_magic export (expected format 'resource_magic/1').",
        ),
        (
            '{"format": "resource_magic/1", "resources": [{"name": "ok", '
            '"resource_type": "workflow", "versions": [{"content": "x"}]}, '
            '{"name": "bad", "resource_type": "agent_config", '
            '"versions": [{"content": "[1]"}]}]}',
            'An agent_config must be a JSON object, like {"model": "gpt-4o"}.',
        ),
    ],
)
def test_import_is_all_or_nothing(run, store, tmp_path, content, message):
    path = tmp_path / "in.json"
    path.write_text(content, encoding="utf-8")
    shown = run(f"%resource import {path}")
    assert shown.usage_error == message.replace("{path}", str(path))
    assert store.list().total == 0


def test_transfer_file_mistakes(run, store, tmp_path):
    missing = tmp_path / "missing.json"
    assert run(f"%resource import {missing}").usage_error == (
        f"Cannot read {missing}: No such file or directory."
    )
    binary = tmp_path / "image.png"
    binary.write_bytes(png())
    assert run(f"%resource import {binary}").usage_error == (
        f"{binary} is not a text file: give a file written by %resource export."
    )
    store.save("etl", "x = 1")
    nowhere = tmp_path / "no-dir" / "out.json"
    assert run(f"%resource export {nowhere}").usage_error == (
        f"Cannot write {nowhere}: No such file or directory."
    )
    assert run(f"%resource export {tmp_path / 'x.json'} nope").usage_error == (
        "No resource named 'nope': see your resources with %resource list."
    )
    assert not (tmp_path / "x.json").exists()


# -- browse ----------------------------------------------------------------------


def test_browse_shows_the_browser_on_the_magics_store(run, as_user):
    from ipywidgets.widgets.widget import _instances

    as_user("bob")
    shown = run("%resource browse")
    assert shown.error is None, shown.text
    (view,) = shown.outputs
    browser = _instances[view["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert type(browser).__name__ == "ResourceBrowser"
    assert browser.state.store.user == "bob"


def test_browse_without_ipywidgets_says_so_in_one_line(run, monkeypatch):
    for name in list(sys.modules):
        if name.startswith(("resource_magic.widgets", "ipywidgets")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails, as if absent
    shown = run("%resource browse")
    assert shown.usage_error == (
        "The resource browser is not available: it needs the 'ipywidgets' package: "
        "pip install ipywidgets."
    )
    assert not shown.traceback_shown
