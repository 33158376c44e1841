"""Versions like a prompt hub, in the store: NAME@N and NAME@LABEL references, labels
and their history, version messages, shares pinned to a version or a label, and export
files that carry all of it. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from resource_magic.errors import InvalidInput, NotFound, NotOwner, TokenRefused


@pytest.fixture
def etl(store):
    """alice's `etl` with three versions, each with a message and its own output."""
    for n in (1, 2, 3):
        store.save(
            "etl",
            f"print({n})",
            parameters={"n": n},
            message=f"why {n}",
            attachments=[("text/plain", f"{n}\n")],
        )
    return store


def error(call) -> tuple[str, str]:
    with pytest.raises((InvalidInput, NotFound, NotOwner, TokenRefused)) as caught:
        call()
    return type(caught.value).__name__, str(caught.value)


def test_a_reference_names_a_version_or_a_label(etl):
    etl.set_label("etl", "production", 2)
    assert etl.get("etl").content == "print(3)"
    for ref, content, version in [
        ("etl@1", "print(1)", 1),
        ("etl@production", "print(2)", 2),
        ("etl@latest", "print(3)", 3),
        ("alice/etl@2", "print(2)", 2),
    ]:
        record = etl.get(ref)
        assert (record.content, record.version, record.parameters) == (
            content,
            version,
            {"n": version},
        )
    old = etl.get("etl@1")
    assert (old.current_version, old.is_current, old.message) == (3, False, "why 1")
    record, outputs = etl.get_with_attachments("etl@production")
    assert [a.data for a in outputs] == [b"2\n"]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("etl@9", ("NotFound", "'etl' has no version 9: it has versions 1 to 3 "
                   "(see %resource history etl).")),
        ("etl@0", ("NotFound", "'etl' has no version 0: it has versions 1 to 3 "
                   "(see %resource history etl).")),
        (f"etl@{2**70}", ("NotFound", f"'etl' has no version {2**70}: it has "
                          "versions 1 to 3 (see %resource history etl).")),
        ("etl@producton", ("NotFound", "'etl' has no label 'producton'. Did you mean "
                           "'production'?")),
        ("etl@staging", ("NotFound", "'etl' has no label 'staging'. See its labels "
                         "with %resource labels etl.")),
        ("etl@Prod", ("InvalidInput", "'Prod' is not a label: use a short lowercase "
                      "word like production, staging or v2-candidate (a-z, 0-9, - and "
                      "_, starting with a letter, at most 32 characters).")),
        ("etk@1", ("NotFound", "No resource named 'etk'. Did you mean 'etl'?")),
    ],
)  # fmt: skip
def test_a_missing_version_or_label_is_not_found(etl, ref, expected):
    etl.set_label("etl", "production")
    assert error(lambda: etl.get(ref)) == expected


def test_whole_resource_operations_refuse_a_version(etl):
    assert error(lambda: etl.history("etl@2")) == (
        "InvalidInput",
        "'etl@2' names one version: give the resource's name ('etl') here.",
    )
    assert error(lambda: etl.delete("etl@2"))[0] == "InvalidInput"
    assert etl.get("etl").version == 3


def test_names_cannot_hold_an_at_sign(store):
    assert error(lambda: store.save("a@b", "x = 1")) == (
        "InvalidInput",
        "The name 'a@b' contains '@', which is kept for NAME@VERSION and NAME@LABEL: "
        "use another character.",
    )
    store.save("a", "x = 1")
    assert error(lambda: store.update("a", rename="a@2"))[0] == "InvalidInput"
    assert store.names() == ["a"]


def test_labels_set_move_remove_and_their_history(etl):
    label, left = etl.set_label("etl", "production", 1)
    assert (label.label, label.version, left) == ("production", 1, None)
    assert etl.set_label("etl", "production")[1] == 1  # moved to the current (3)
    assert etl.set_label("etl", "staging", "production")[0].version == 3
    assert etl.set_label("etl", "production", 2)[1] == 3
    assert etl.set_label("etl", "production", 2)[1] == 2  # already there: no move
    assert [(x.label, x.version) for x in etl.labels("etl")] == [
        ("production", 2),
        ("staging", 3),
    ]
    assert etl.remove_label("etl", "staging").version == 3
    moves = [(m.label, m.from_version, m.to_version) for m in etl.label_history("etl")]
    assert moves == [
        ("production", None, 1),
        ("production", 1, 3),
        ("staging", None, 3),
        ("production", 3, 2),
        ("staging", 3, None),
    ]
    history = etl.history("etl")
    assert [(v.version, v.message, v.labels) for v in history] == [
        (1, "why 1", ()),
        (2, "why 2", ("production",)),
        (3, "why 3", ()),
    ]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda s: s.set_label("etl", "latest"), (
            "InvalidInput", "'latest' always means the current version, so it cannot "
            "be set: choose another label.")),
        (lambda s: s.set_label("etl", "Prod"), ("InvalidInput", "'Prod' is not a "
            "label: use a short lowercase word like production, staging or "
            "v2-candidate (a-z, 0-9, - and _, starting with a letter, at most 32 "
            "characters).")),
        (lambda s: s.set_label("etl", "production", 7), ("NotFound", "'etl' has no "
            "version 7: it has versions 1 to 3 (see %resource history etl).")),
        (lambda s: s.set_label("etl", "production", "stage"), ("NotFound", "'etl' has "
            "no label 'stage'. See its labels with %resource labels etl.")),
        (lambda s: s.remove_label("etl", "staging"), ("NotFound", "'etl' has no label "
            "'staging': see its labels with %resource labels etl.")),
        (lambda s: s.set_label("nope", "production"), ("NotFound", "No resource named "
            "'nope': see your resources with %resource list.")),
    ],
)  # fmt: skip
def test_label_refusals_change_nothing(etl, call, expected):
    assert error(lambda: call(etl)) == expected
    assert etl.labels("etl") == [] and etl.label_history("etl") == []


def test_only_the_owner_labels_and_others_read_public_labels(etl, make_store):
    etl.set_label("etl", "production", 2)
    bob = make_store("bob")
    assert error(lambda: bob.labels("alice/etl"))[0] == "NotFound"  # private
    etl.update("etl", is_public=True)
    assert [(x.label, x.version) for x in bob.labels("alice/etl")] == [
        ("production", 2)
    ]
    assert bob.get("alice/etl@production").content == "print(2)"
    assert error(lambda: bob.set_label("alice/etl", "mine")) == (
        "NotOwner",
        "'alice/etl' belongs to another user, so you cannot label it: fork it first "
        "with `%resource fork alice/etl`.",
    )
    assert error(lambda: bob.remove_label("alice/etl", "production"))[0] == "NotOwner"
    assert [(x.label, x.version) for x in etl.labels("etl")] == [("production", 2)]


def test_two_connections_moving_one_label(etl, make_store):
    """Both moves happen, one after the other: the label ends on one of the two, and
    the history has both, each starting where the other left it."""
    etl.set_label("etl", "production", 1)
    stores = [make_store("alice"), make_store("alice")]
    barrier = threading.Barrier(2)
    errors = []

    def move(store, version):
        try:
            barrier.wait()
            store.set_label("etl", "production", version)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=move, args=(s, v))
        for s, v in zip(stores, (2, 3), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = etl.labels("etl")[0].version
    moves = [(m.from_version, m.to_version) for m in etl.label_history("etl")]
    first = 5 - final  # the version that lost: 2 or 3
    assert final in (2, 3)
    assert moves == [(None, 1), (1, first), (first, final)]


def test_messages_on_restore_and_update(etl):
    etl.restore("etl", 1, message="back to one")
    etl.restore("etl", "latest")
    etl.update("etl", content="print(5)", message="five")
    assert error(lambda: etl.update("etl", description="d", message="m")) == (
        "InvalidInput",
        "A message describes a new version, and this update makes none (only new "
        "content or parameters do): leave out the message.",
    )
    assert error(lambda: etl.save("etl", "x", message="x" * 2001)) == (
        "InvalidInput",
        "The version message is 2001 characters long: use at most 2000.",
    )
    assert [(v.version, v.message) for v in etl.history("etl")][3:] == [
        (4, "back to one"),
        (5, None),
        (6, "five"),
    ]
    assert etl.get("etl@4").content == "print(1)"


def test_restore_a_labelled_version(etl):
    etl.set_label("etl", "production", 1)
    record = etl.restore("etl", "production")
    assert (record.version, record.content) == (4, "print(1)")


def test_versions_for_a_diff(etl):
    etl.set_label("etl", "production", 1)
    pair = etl.versions("etl")
    assert (pair.old.version, pair.new.version) == (2, 3)
    pair = etl.versions("etl", "production")
    assert (pair.old.version, pair.new.version) == (1, 3)
    pair = etl.versions("etl", 3, "production")
    assert (pair.old.content, pair.new.content) == ("print(3)", "print(1)")
    etl.save("one", "x = 1")
    assert error(lambda: etl.versions("one")) == (
        "InvalidInput",
        "'one' has only version 1 before that: name two versions, like "
        "%resource diff one 1 2.",
    )


def test_a_share_pinned_to_a_version(etl, make_store):
    pinned = etl.share("etl@1")
    following = etl.share("etl")
    assert pinned.share.shows == "version 1" and following.share.shows == "current"
    etl.save("etl", "print(4)")
    bob = make_store("bob")
    opened = bob.open(pinned.token)
    assert (opened.resource.content, opened.resource.version) == ("print(1)", 1)
    assert [a.data for a in opened.attachments] == [b"1\n"]
    assert bob.open(following.token).resource.content == "print(4)"
    fork = bob.fork(pinned.token, "mine")
    assert (fork.content, fork.parameters, fork.version) == ("print(1)", {"n": 1}, 1)
    assert [a.data for a in bob.attachments("mine")] == [b"1\n"]


def test_a_share_that_follows_a_label(etl, make_store):
    etl.set_label("etl", "production", 2)
    new = etl.share("etl@production", max_accesses=3)
    assert [s.shows for s in etl.shares("etl")] == ["label production"]
    bob = make_store("bob")
    assert bob.open(new.token).resource.content == "print(2)"
    etl.set_label("etl", "production", 1)
    assert bob.open(new.token).resource.content == "print(1)"
    etl.remove_label("etl", "production")
    refused = error(lambda: bob.open(new.token))
    assert refused[0] == "TokenRefused"
    assert etl.shares("etl")[0].access_count == 2  # the refused open counted nothing
    assert error(lambda: etl.share("etl@staging"))[0] == "NotFound"
    assert len(etl.shares("etl")) == 1


def test_fork_a_version(etl, make_store):
    etl.set_label("etl", "production", 2)
    etl.update("etl", is_public=True)
    bob = make_store("bob")
    fork = bob.fork("alice/etl@production")
    assert (fork.name, fork.content, fork.version) == ("etl", "print(2)", 1)
    assert [a.data for a in bob.attachments("etl")] == [b"2\n"]
    assert etl.get("etl").fork_count == 1


def test_export_and_import_carry_labels_history_and_messages(etl, make_store):
    etl.set_label("etl", "production", 1)
    etl.set_label("etl", "production", 2)
    etl.set_label("etl", "staging")
    data = etl.export()
    bob = make_store("bob")
    bob.save("etl", "print(0)")  # bob's own etl: the import appends versions 2-4
    bob.import_(data)
    assert [(v.version, v.message, v.labels) for v in bob.history("etl")] == [
        (1, None, ()),
        (2, "why 1", ()),
        (3, "why 2", ("production",)),
        (4, "why 3", ("staging",)),
    ]
    moves = [(m.label, m.from_version, m.to_version) for m in bob.label_history("etl")]
    assert moves == [
        ("production", None, 2),
        ("production", 2, 3),
        ("staging", None, 4),
    ]
    only = etl.export(["etl@production"])["resources"][0]
    assert [v["version"] for v in only["versions"]] == [2]
    assert only["labels"] == [{"label": "production", "version": 2}]


def test_an_old_export_file_imports(make_store):
    old = {
        "format": "resource_magic/1",
        "user": "alice",
        "resources": [
            {
                "name": "legacy",
                "resource_type": "workflow",
                "description": None,
                "tags": [],
                "is_public": False,
                "versions": [
                    {"version": 1, "content": "x = 1", "parameters": None},
                    {"version": 2, "content": "x = 2", "parameters": None},
                ],
            }
        ],
    }
    bob = make_store("bob")
    bob.import_(old)
    assert [(v.version, v.message) for v in bob.history("legacy")] == [
        (1, None),
        (2, None),
    ]
    assert bob.labels("legacy") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": [{"label": "prod", "version": 9}]},
         "'etl' in the export has the label 'prod' on a version it does not hold: fix "
         "the file; nothing was imported."),
        ({"labels": [{"label": "latest", "version": 1}]},
         "'etl' in the export has a bad label ('latest' always means the current "
         "version, so it cannot be set: choose another label.): fix the file; nothing "
         "was imported."),
        ({"labels": "production"},
         "'etl' in the export has labels that are not a list: fix the file; nothing "
         "was imported."),
        ({"label_history": [{"label": "p", "from": None, "to": 1, "at": "2026-01-01"}]},
         "'etl' in the export has a label move without a time zone: fix the file; "
         "nothing was imported."),
        ({"label_history": [{"label": "p", "from": 7, "to": 1,
                             "at": "2026-01-01T00:00Z"}]},
         "'etl' in the export has a move of 'p' from or to a version it does not "
         "hold: fix the file; nothing was imported."),
    ],
)  # fmt: skip
def test_damaged_labels_import_nothing(etl, make_store, change, message):
    data = etl.export()
    data["resources"][0].update(change)
    bob = make_store("bob")
    assert error(lambda: bob.import_(data)) == ("InvalidInput", message)
    assert bob.names() == []
