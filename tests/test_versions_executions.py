"""Executions, version history and the public flag on both backends."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from _sql_capture import capture_sql, one_line

from resource_magic.errors import InvalidInput, NotFound, NotOwner, TokenRefused

# -- executions ------------------------------------------------------------------------


def test_record_execution_counts_and_stamps(store):
    store.save("etl", "x = 1")
    assert store.get("etl").execution_count == 0
    assert store.get("etl").last_executed_at is None
    before = datetime.now(UTC)
    assert [store.record_execution("etl") for _ in range(3)] == [1, 2, 3]
    after = datetime.now(UTC)
    record = store.get("etl")
    assert record.execution_count == 3
    assert record.last_executed_at.utcoffset().total_seconds() == 0
    assert before <= record.last_executed_at <= after
    # running is not editing: no new version
    assert record.version == 1
    assert store.record_execution(str(record.id)) == 4


def test_record_execution_is_one_update(store):
    store.save("etl", "x = 1")
    store.record_execution("etl")  # warm-up
    with capture_sql(store.engine) as sql:
        assert store.record_execution("etl") == 2
    assert len(sql.statements) == 1, sql.statements
    statement = one_line(sql.statements[0])
    if store.team:  # a member may not set counters: one call of the team's function
        assert statement.startswith("SELECT rm_record_execution(resource.id)")
        assert store.get("etl").execution_count == 2
        return
    assert statement.startswith("UPDATE resource SET ")
    assert re.search(
        r"execution_count=\(resource\.execution_count \+ \S+\)", statement
    ), statement
    assert "last_executed_at=" in statement
    assert re.search(r"RETURNING (resource\.)?execution_count$", statement), statement
    assert len(sql.transactions()) == 1


def test_only_the_owner_records_executions(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("pub", "x = 1", is_public=True)
    alice.save("private", "x = 1")
    with pytest.raises(NotOwner) as caught:
        bob.record_execution("alice/pub")
    assert str(caught.value) == (
        "'alice/pub' belongs to another user, so you cannot run it: fork it first "
        "with `%resource fork alice/pub`."
    )
    with pytest.raises(NotFound):
        bob.record_execution("alice/private")
    with pytest.raises(NotFound) as caught:
        alice.record_execution("pubb")
    assert str(caught.value) == "No resource named 'pubb'. Did you mean 'pub'?"
    assert alice.get("pub").execution_count == 0
    assert alice.get("private").execution_count == 0


# -- versions --------------------------------------------------------------------------


def test_history_lists_every_version_with_number_and_date(store):
    store.save("etl", "x = 1", parameters={"n": 1}, attachments=[("text/plain", "1")])
    store.save("etl", "x = 2", parameters={"n": 2})
    store.update("etl", content="x = 3")
    history = store.history("etl")
    assert [(v.version, v.content, v.is_current) for v in history] == [
        (1, "x = 1", False),
        (2, "x = 2", False),
        (3, "x = 3", True),
    ]
    assert [v.parameters for v in history] == [{"n": 1}, {"n": 2}, {"n": 2}]
    assert [v.attachment_count for v in history] == [1, 0, 0]
    dates = [v.created_at for v in history]
    assert all(d.utcoffset().total_seconds() == 0 for d in dates)
    assert dates == sorted(dates)


def test_restore_appends_a_copy_of_the_old_version(store):
    store.save("etl", "x = 1", parameters={"n": 1}, attachments=[("image/png", b"v1")])
    store.save("etl", "x = 2", parameters={"n": 2})
    before = store.get("etl")
    restored = store.restore("etl", 1)
    assert (restored.version, restored.content, restored.parameters) == (
        3,
        "x = 1",
        {"n": 1},
    )
    assert restored.updated_at > before.updated_at
    history = store.history("etl")
    assert [(v.version, v.content) for v in history] == [
        (1, "x = 1"),
        (2, "x = 2"),
        (3, "x = 1"),
    ]
    assert [a.data for a in store.attachments("etl")] == [b"v1"]
    assert [a.data for a in store.attachments("etl", version=1)] == [b"v1"]
    # history is append-only: restoring again adds again, the old ones stay
    assert store.restore("etl", 2).version == 4
    assert [v.content for v in store.history("etl")] == [
        "x = 1",
        "x = 2",
        "x = 1",
        "x = 2",
    ]
    assert store.get("etl").content == "x = 2"


@pytest.mark.parametrize(
    ("version", "error", "message"),
    [
        (
            9,
            NotFound,
            "'etl' has no version 9: it has versions 1 to 2 (see %resource history "
            "etl).",
        ),
        (0, NotFound, None),
        (
            "prod",
            NotFound,
            "'etl' has no label 'prod'. See its labels with %resource labels etl.",
        ),
        ("Prod!", InvalidInput, None),
        ([1], InvalidInput, "The version must be a whole number or a label, not [1]."),
        (
            True,
            InvalidInput,
            "The version must be a whole number or a label, not True.",
        ),
    ],
)
def test_restore_of_a_missing_version_changes_nothing(store, version, error, message):
    store.save("etl", "x = 1")
    store.save("etl", "x = 2")
    with pytest.raises(error) as caught:
        store.restore("etl", version)
    if message is not None:
        assert str(caught.value) == message
    assert [v.version for v in store.history("etl")] == [1, 2]
    assert store.get("etl").content == "x = 2"


def test_new_content_makes_a_new_version_and_sets_updated_at(store):
    first = store.save("etl", "x = 1").resource
    second = store.update("etl", content="x = 2")
    assert second.version == 2 and second.content == "x = 2"
    assert second.updated_at > first.updated_at
    assert second.created_at == first.created_at
    third = store.save("etl", "x = 3").resource
    assert third.version == 3 and third.updated_at > second.updated_at
    # metadata alone is no new version
    fourth = store.update("etl", description="d")
    assert fourth.version == 3 and fourth.updated_at > third.updated_at
    assert [v.version for v in store.history("etl")] == [1, 2, 3]


# -- the public flag -------------------------------------------------------------------


def test_public_resources_are_listed_read_and_forked_by_everyone(make_store):
    alice, bob, carol = make_store("alice"), make_store("bob"), make_store("carol")
    alice.save("pub", "x = 1", is_public=True, attachments=[("text/plain", "out")])
    alice.save("pub", "x = 2")
    alice.save("private", "x = 1")
    bob.save("bobs", "y = 1", is_public=True)
    for viewer in (alice, bob, carol):
        public = viewer.list(scope="public", sort="name")
        assert [r.qualified_name for r in public.items] == ["bob/bobs", "alice/pub"]
    assert bob.get("alice/pub").content == "x = 2"
    assert [v.content for v in bob.history("alice/pub")] == ["x = 1", "x = 2"]
    assert [a.data for a in bob.attachments("alice/pub", version=1)] == [b"out"]
    assert [n.name for n in carol.lineage("alice/pub")] == ["pub"]
    assert carol.fork("alice/pub").parent == "alice/pub"
    # back to private: gone for everyone else
    alice.update("pub", is_public=False)
    assert [r.qualified_name for r in carol.list(scope="public").items] == ["bob/bobs"]
    with pytest.raises(NotFound):
        bob.get("alice/pub")


def test_public_resources_are_never_changed_by_others(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("pub", "x = 1", description="original", is_public=True)
    resource_id = str(alice.get("pub").id)
    for ref in ("alice/pub", resource_id):
        attempts = [
            ("update", lambda ref=ref: bob.update(ref, content="pwned")),
            ("update", lambda ref=ref: bob.update(ref, is_public=False)),
            ("delete", lambda ref=ref: bob.delete(ref)),
            ("restore", lambda ref=ref: bob.restore(ref, 1)),
            ("share", lambda ref=ref: bob.share(ref)),
            ("run", lambda ref=ref: bob.record_execution(ref)),
        ]
        for verb, attempt in attempts:
            with pytest.raises(NotOwner) as caught:
                attempt()
            assert str(caught.value) == (
                f"'{ref}' belongs to another user, so you cannot {verb} it: fork it "
                f"first with `%resource fork {ref}`."
            )
    # saving "the same name" makes bob his own resource, never a version of alice's
    assert bob.save("pub", "mine").created
    record = alice.get("pub")
    assert (record.content, record.description, record.version, record.is_public) == (
        "x = 1",
        "original",
        1,
        True,
    )
    assert record.execution_count == 0 and alice.shares() == []
    assert [v.content for v in alice.history("pub")] == ["x = 1"]


# -- who I am survives a refused first action ------------------------------------------


@pytest.mark.parametrize(
    "first_action",
    [
        lambda bob: bob.update("alice/pub", description="pwned"),
        lambda bob: bob.share("alice/private"),
        lambda bob: bob.record_execution("alice/pub"),
        lambda bob: bob.open("rmshr_" + "A" * 32),
        lambda bob: bob.fork("alice/private"),
    ],
    ids=["update", "share", "run", "open", "fork"],
)
def test_a_refused_first_action_does_not_change_who_i_am(make_store, first_action):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("pub", "x = 1", is_public=True)
    alice.save("private", "x = 1")
    with pytest.raises((NotOwner, NotFound, TokenRefused)):
        first_action(bob)
    # the refused action rolled back; the next new user must not become bob
    carol = make_store("carol")
    carol.save("diary", "secret = 1")
    assert bob.names() == []
    assert bob.save("notes", "y = 1").resource.owner == "bob"
    assert bob.names() == ["notes"] and carol.names() == ["diary"]
    assert alice.get("pub").description is None


def test_reads_by_a_new_user_write_nothing(make_store):
    alice = make_store("alice")
    alice.save("pub", "x = 1", is_public=True)
    newcomer = make_store("newcomer")
    with capture_sql(newcomer.engine) as sql:
        assert newcomer.list().total == 0
        assert newcomer.names() == []
        assert newcomer.shares() == []
        assert newcomer.get("alice/pub").content == "x = 1"
        assert len(newcomer.history("alice/pub")) == 1
        assert len(newcomer.lineage("alice/pub")) == 1
        assert newcomer.list(scope="public").total == 1
        with pytest.raises(NotFound):
            newcomer.get("pub")
    writes = [
        s for s in sql.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert writes == []
    # the first write makes the user, once
    assert newcomer.save("pub", "y = 1").resource.owner == "newcomer"
    assert newcomer.names() == ["pub"]


# -- a new version that keeps what it is not given -----------------------------------


def test_save_keeps_type_and_parameters_when_asked(store):
    store.save("bot", '{"model": "m"}', resource_type="agent_config")
    store.save("etl", "x = n", parameters={"n": 5})
    # no type: the existing one's, so the text is read as an agent_config
    saved = store.save("bot", '{"model": "n"}', resource_type=None)
    assert (saved.created, saved.version) == (False, 2)
    assert saved.resource.resource_type == "agent_config"
    assert saved.resource.content == {"model": "n"}
    with pytest.raises(InvalidInput, match="The agent_config is not valid JSON"):
        store.save("bot", "not json", resource_type=None)
    assert store.get("bot").version == 2
    # keep_parameters: the current ones go into the new version too
    kept = store.save("etl", "x = n + 1", resource_type=None, keep_parameters=True)
    assert kept.resource.parameters == {"n": 5}
    assert store.history("etl")[-1].parameters == {"n": 5}
    # given parameters win; without keep_parameters, none means none (as always)
    assert store.save(
        "etl", "x = n", parameters={"n": 1}, keep_parameters=True
    ).resource.parameters == {"n": 1}
    assert store.save("etl", "x = 2").resource.parameters is None
    # a new name without a type is a workflow, with nothing to keep
    new = store.save("fresh", "y = 1", resource_type=None, keep_parameters=True)
    assert new.created and new.resource.resource_type == "workflow"
    assert new.resource.parameters is None


def test_save_returns_the_record_get_returns(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("pub", "x = 1", is_public=True, tags=["b", "a"])
    bob.fork("alice/pub", "mine")
    bob.record_execution("mine")
    bob.save("mine", "x = 2", resource_type=None, tags=["z"], description="d")
    for saved in (
        bob.save("mine", "x = 3", resource_type=None, keep_parameters=True),
        bob.save("new", "x = 1", is_public=True),
    ):
        assert saved.resource == bob.get(saved.resource.name)
    assert bob.get("mine").parent == "alice/pub"
    alice.update("pub", is_public=False)  # the parent is hidden from bob now
    saved = bob.save("mine", "x = 4", resource_type=None)
    assert saved.resource == bob.get("mine")
    assert (saved.resource.parent, saved.resource.parent_id) == (None, None)


def test_a_new_version_is_one_transaction_of_few_statements(store):
    store.save("etl", "x = n", parameters={"n": 5})
    with capture_sql(store.engine) as sql:
        store.save("etl", "x = n + 1", resource_type=None, keep_parameters=True)
    # my id with the resource's type (and exposure), the upsert returning the row,
    # the version, the tags: nothing read twice
    assert len(sql.transactions()) == 1
    assert len(sql.statements) == 4, sql.statements
