"""The store foundation on both backends: create, version, find, list, change, scope."""

from __future__ import annotations

import pytest
from _models import Resource, ResourceShare, ResourceVersion, User
from sqlalchemy import func, select

from resource_magic.errors import InvalidInput, NameTaken, NotFound


def test_save_creates_then_versions(store):
    first = store.save(
        "etl-daily", "df = load()\n", description="Daily clean", tags=["etl"]
    )
    assert first.created and first.version == 1
    second = store.save("etl-daily", "df = load()\ndf = df.dropna()\n")
    assert not second.created and second.version == 2
    history = store.history("etl-daily")
    assert [v.version for v in history] == [1, 2]
    assert history[0].content == "df = load()\n"
    assert history[1].content == "df = load()\ndf = df.dropna()\n"
    assert store.get("etl-daily").content == "df = load()\ndf = df.dropna()\n"
    # metadata not given on the new version is kept
    assert store.get("etl-daily").description == "Daily clean"
    assert store.get("etl-daily").tags == ("etl",)


def test_name_is_trimmed_and_nfkc_normalised(store):
    result = store.save("  ｅｔｌ  ", "x = 1")  # full-width letters
    assert result.resource.name == "etl"
    assert store.get("etl").id == result.resource.id
    assert store.get("ｅｔｌ").id == result.resource.id  # looked up the same way
    assert store.record_execution("ｅｔｌ") == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "The name is empty: give 1 to 255 characters."),
        ("   ", "The name is empty: give 1 to 255 characters."),
        ("a" * 256, "The name is 256 characters long: use at most 255."),
        (
            "bad\x00name",
            "The name contains control characters (such as NUL or a newline): "
            "remove them.",
        ),
        (
            "two\nlines",
            "The name contains control characters (such as NUL or a newline): "
            "remove them.",
        ),
        (
            "alice/etl",
            "The name 'alice/etl' contains '/', which is kept for owner/name: "
            "use another character.",
        ),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(store, name, message):
    with pytest.raises(InvalidInput) as caught:
        store.save(name, "x = 1")
    assert str(caught.value) == message
    assert store.list().total == 0


def test_name_of_255_characters_is_accepted(store):
    assert store.save("n" * 255, "x = 1").resource.name == "n" * 255


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", 'An agent_config must be a JSON object, like {"model": "gpt-4o"}.'),
        (
            '{"a": NaN}',
            "The agent_config contains NaN or Infinity, which JSON cannot hold: "
            "use null or a number.",
        ),
        (
            {"a": float("inf")},
            "The agent_config contains NaN or Infinity, which JSON cannot "
            "hold: use null or a number.",
        ),
        ({"a": "nul\x00"}, "The agent_config contains a NUL character: remove it."),
        (
            '{"a": 1',
            "The agent_config is not valid JSON (line 1, column 8: "
            "Expecting ',' delimiter): "
            "fix the cell and save again.",
        ),
    ],
)
def test_agent_config_must_be_a_clean_json_object(store, content, message):
    with pytest.raises(InvalidInput) as caught:
        store.save("agent", content, resource_type="agent_config")
    assert str(caught.value) == message
    assert store.list().total == 0


def test_agent_config_round_trips_as_dict(store):
    config = {"model": "small", "temperature": 0.2, "tools": ["search", {"k": [1, 2]}]}
    store.save("agent", config, resource_type="agent_config")
    assert store.get("agent").content == config


def test_content_size_limit(store):
    with pytest.raises(InvalidInput, match="bytes: the limit is 1,048,576 bytes"):
        store.save("big", "x" * 1_100_000)
    assert store.list().total == 0


def test_unknown_type_is_refused(store):
    with pytest.raises(InvalidInput) as caught:
        store.save("x", "x = 1", resource_type="notebook")
    assert str(caught.value) == (
        "Unknown resource type 'notebook': use one of workflow, prompt, agent_config."
    )


def test_saving_a_name_as_another_type_is_refused(store):
    store.save("thing", "x = 1")
    with pytest.raises(InvalidInput, match="'thing' is already a workflow"):
        store.save("thing", "Hello {{ name }}", resource_type="prompt")
    assert store.get("thing").version == 1


def test_get_by_id(store):
    saved = store.save("etl", "x = 1").resource
    assert store.get(str(saved.id)).name == "etl"


def test_unknown_name_suggests_the_nearest(store):
    store.save("etl-daily", "x = 1")
    with pytest.raises(NotFound) as caught:
        store.get("etl-dialy")
    assert (
        str(caught.value) == "No resource named 'etl-dialy'. Did you mean 'etl-daily'?"
    )


def test_search_is_case_insensitive_over_name_and_description(store):
    store.save("Sales-Report", "x = 1", description="Quarterly ÜBERSICHT")
    store.save("cleanup", "x = 1", description="drops nulls")
    assert [r.name for r in store.list("sales").items] == ["Sales-Report"]
    assert [r.name for r in store.list("übersicht").items] == ["Sales-Report"]
    assert [r.name for r in store.list("NULLS").items] == ["cleanup"]


@pytest.mark.parametrize("needle", ["%", "_", "\\", "50%", "a_b"])
def test_like_metacharacters_are_literal(store, needle):
    store.save("plain", "x = 1", description="nothing special here")
    store.save("special", "x = 1", description="has 50% and a_b and back\\slash")
    names = [r.name for r in store.list(needle).items]
    assert names == ["special"]


def test_list_filters_sorts_pages_and_counts(store):
    for i in range(7):
        store.save(f"wf-{i}", f"x = {i}", tags=["even" if i % 2 == 0 else "odd"])
    store.save("greeting", "Hello {{ name }}", resource_type="prompt")
    page = store.list(sort="name", limit=3, offset=0)
    assert page.total == 8
    assert [r.name for r in page.items] == ["greeting", "wf-0", "wf-1"]
    page2 = store.list(sort="name", limit=3, offset=3)
    assert [r.name for r in page2.items] == ["wf-2", "wf-3", "wf-4"]
    assert store.list(resource_type="prompt").total == 1
    assert sorted(r.name for r in store.list(tag="odd").items) == [
        "wf-1",
        "wf-3",
        "wf-5",
    ]
    assert [r.name for r in store.list(sort="-name", limit=1).items] == ["wf-6"]


def test_update_metadata_rename_and_content(store):
    store.save("a", "x = 1", description="old")
    record = store.update(
        "a", rename="b", description="new", tags=["t1", "t2"], is_public=True
    )
    assert (record.name, record.description, record.tags, record.is_public) == (
        "b",
        "new",
        ("t1", "t2"),
        True,
    )
    assert record.version == 1
    record = store.update("b", content="x = 2")
    assert record.version == 2
    assert [v.content for v in store.history("b")] == ["x = 1", "x = 2"]
    with pytest.raises(NotFound):
        store.get("a")


def test_rename_onto_an_existing_name_is_refused(store):
    store.save("a", "x = 1")
    store.save("b", "x = 2")
    with pytest.raises(NameTaken) as caught:
        store.update("a", rename="b")
    assert (
        str(caught.value) == "You already have a resource named 'b': pick another name."
    )
    assert store.get("a").content == "x = 1"


def test_update_with_nothing_is_an_error(store):
    store.save("a", "x = 1")
    with pytest.raises(InvalidInput, match="Nothing to update"):
        store.update("a")


def test_delete(store):
    store.save("a", "x = 1")
    assert store.delete("a") == "a"
    with pytest.raises(NotFound):
        store.get("a")


def _count(store, model, *where):
    with store._transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_delete_user_cascades_to_resources_versions_and_shares(make_store):
    alice = make_store("alice")
    bob = make_store("bob")
    alice.save("a", "x = 1")
    alice.save("a", "x = 2")
    alice.share("a", max_accesses=3)
    bob.save("b", "y = 1")
    assert alice.delete_user() == 1
    assert _count(bob, User, User.name == "alice") == 0
    assert _count(bob, Resource) == 1
    assert _count(bob, ResourceVersion) == 1
    assert _count(bob, ResourceShare) == 0


def test_deleting_a_parent_sets_childrens_parent_to_null(store):
    store.save("parent", "x = 1")
    child = store.fork("parent", "child")
    assert child.parent_id is not None
    store.delete("parent")
    orphan = store.get("child")
    assert orphan.parent_id is None and orphan.parent is None


def test_other_users_private_resource_is_invisible(make_store):
    alice = make_store("alice")
    bob = make_store("bob")
    secret = alice.save("secret", "token = 'x'").resource
    for ref in ("secret", str(secret.id), "alice/secret"):
        with pytest.raises(NotFound):
            bob.get(ref)
        with pytest.raises(NotFound):
            bob.update(ref, description="pwned")
        with pytest.raises(NotFound):
            bob.delete(ref)
        with pytest.raises(NotFound):
            bob.history(ref)
        with pytest.raises(NotFound):
            bob.share(ref)
    assert bob.list().total == 0
    assert bob.list(scope="public").total == 0
    assert bob.list("secret").total == 0
    assert alice.get("secret").description is None


def test_missing_and_not_yours_read_the_same(make_store):
    alice = make_store("alice")
    bob = make_store("bob")
    alice.save("secret", "x = 1")
    with pytest.raises(NotFound) as theirs:
        bob.get("alice/secret")
    with pytest.raises(NotFound) as nobody:
        bob.get("alice/nothing-here")
    assert str(theirs.value).replace("secret", "X") == str(nobody.value).replace(
        "nothing-here", "X"
    )


def test_public_resource_is_readable_but_not_changeable(make_store):
    from resource_magic.errors import NotOwner

    alice = make_store("alice")
    bob = make_store("bob")
    alice.save("shared", "x = 1", is_public=True)
    assert bob.get("alice/shared").content == "x = 1"
    assert [r.qualified_name for r in bob.list(scope="public").items] == [
        "alice/shared"
    ]
    with pytest.raises(NotOwner):
        bob.update("alice/shared", description="mine now")
    with pytest.raises(NotOwner):
        bob.delete("alice/shared")
    assert alice.get("shared").description is None


def test_user_defaults_come_from_the_environment(url_for, monkeypatch):
    from resource_magic.store import ResourceStore

    monkeypatch.setenv("RESOURCE_MAGIC_USER", "carol")
    assert ResourceStore(url_for("carol")).user == "carol"


def test_a_damaged_sqlite_file_reads_as_unavailable(tmp_path):
    from resource_magic.db import dispose_engines
    from resource_magic.errors import DatabaseUnavailable
    from resource_magic.store import ResourceStore

    path = tmp_path / "damaged.db"
    store = ResourceStore(f"sqlite:///{path}", user="alice")
    store.save("a", "x = 1")
    dispose_engines()  # drop pooled connections, as a new kernel would have none
    for suffix in ("", "-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.write_bytes(b"this is not a database" * 200)
    with pytest.raises(DatabaseUnavailable) as caught:
        store.list()
    assert str(caught.value).startswith(f"Cannot use the database sqlite:///{path} (")
    assert str(caught.value).endswith(
        "check that it is running and that ResourceMagic.database_url / "
        "RESOURCE_MAGIC_DATABASE_URL is right."
    )


def test_a_name_wins_over_an_id_so_one_reference_names_one_resource(store):
    first = store.save("first", "x = 1").resource
    impostor = store.save(str(first.id), "x = 2").resource  # named like first's id
    assert store.get(str(first.id)).id == impostor.id
    assert store.record_execution(str(first.id)) == 1
    assert store.get("first").execution_count == 0
    assert store.get(str(first.id)).execution_count == 1
    assert [n.id for n in store.lineage(str(first.id))] == [impostor.id]


def test_a_user_deleted_by_another_kernel_is_never_confused_with_a_new_one(make_store):
    alice, alice_elsewhere = make_store("alice"), make_store("alice")
    alice.save("mine", "x = 1")
    assert alice_elsewhere.names() == ["mine"]
    exported = alice.export()
    alice.delete_user()
    dave = make_store("dave")  # on SQLite may be given alice's old id
    dave.save("daves-secret", "y = 2")
    assert alice_elsewhere.names() == []
    assert alice_elsewhere.list("secret").total == 0
    result = alice_elsewhere.import_(exported)  # recreates alice, not a traceback
    assert result.created == ("mine",)
    assert alice_elsewhere.names() == ["mine"]
    assert dave.names() == ["daves-secret"]


def test_get_is_one_statement_and_outputs_are_read_only_where_there_are_some(store):
    from _sql_capture import capture_sql

    store.save("plot", "x = 1", tags=["viz"], attachments=[("text/plain", "v1")])
    store.save("plot", "x = 2", attachments=[("image/png", b"\x89PNG")])
    store.save("plot", "x = 3", tags=["viz"])  # version 3 keeps no outputs
    with capture_sql(store.engine) as sql:
        record = store.get("plot")
    # the row with owner, parent and tags; the user id is a subquery
    assert len(sql.statements) == 1, sql.statements
    assert (record.version, record.tags) == (3, ("viz",))
    # The current version has no outputs: the record's own query says so.
    with capture_sql(store.engine) as sql:
        assert store.get_with_attachments("plot")[1] == ()
    assert len(sql.statements) == 1, sql.statements
    # An older version's outputs are read, whatever the current one has.
    with capture_sql(store.engine) as sql:
        record, outputs = store.get_with_attachments("plot@2")
    assert record.version == 2
    assert [(a.mime_type, a.data) for a in outputs] == [("image/png", b"\x89PNG")]
    # the record, the version with its content, its outputs
    assert len(sql.statements) == 3, sql.statements
    assert [a.data for a in store.get_with_attachments("plot@1")[1]] == [b"v1"]
    # A label: the same three statements (the label joined to its version).
    store.set_label("plot", "first", 1)
    with capture_sql(store.engine) as sql:
        record, outputs = store.get_with_attachments("plot@first")
    assert (record.version, [a.data for a in outputs]) == (1, [b"v1"])
    assert len(sql.statements) == 3, sql.statements
    # A current version with outputs: the record, then its outputs.
    store.save("plot", "x = 4", attachments=[("text/plain", "v4")])
    with capture_sql(store.engine) as sql:
        _, outputs = store.get_with_attachments("plot")
    assert [a.data for a in outputs] == [b"v4"]
    assert len(sql.statements) == 2, sql.statements
    by_id = store.get_with_attachments(str(record.id))
    assert [a.data for a in by_id[1]] == [b"v4"]
    # Through a token: the same outputs, none where the version has none.
    assert [a.data for a in store.open(store.share("plot").token).attachments] == [
        b"v4"
    ]
    store.save("plot", "x = 5")
    assert store.open(store.share("plot").token).attachments == ()
    assert [a.data for a in store.open(store.share("plot@4").token).attachments] == [
        b"v4"
    ]


@pytest.mark.parametrize(
    "arguments",
    [
        {"name": "a/b"},
        {"name": "ok", "resource_type": "nope"},
        {"name": "ok", "resource_type": "agent_config", "content": "not json"},
        {"name": "ok", "tags": ["bad tag!"]},
        {"name": "ok", "parameters": {"class": 1}},
        {"name": "ok", "attachments": [("nomime", b"x")]},
        {"name": "ok", "message": "x" * 2_001},
    ],
)
def test_check_save_refuses_exactly_what_save_refuses_and_writes_nothing(
    store, arguments
):
    arguments = {"content": "x = 1", **arguments}
    with pytest.raises(InvalidInput) as checked:
        store.check_save(**arguments)
    with pytest.raises(InvalidInput) as saved:
        store.save(**arguments)
    assert str(checked.value) == str(saved.value)
    assert "\n" not in str(checked.value)
    assert store.names() == []


def test_check_save_accepts_what_save_accepts(store):
    arguments = {
        "name": "etl",
        "content": "x = 1",
        "description": "d",
        "tags": ["etl"],
        "parameters": {"n": 1},
        "attachments": [("text/plain", "ok")],
    }
    assert store.check_save(**arguments) is None
    assert store.names() == []
    assert store.save(**arguments).created


def test_show_and_open_read_tags_in_the_records_query_in_the_same_order(store):
    from _sql_capture import capture_sql

    tags = ["zeta", "B", "a", "é", "a-1", "Z9"]
    store.save("tagged", "x = 1", tags=tags)
    expected = store.get("tagged").tags
    assert sorted(expected) == sorted(tags)
    with capture_sql(store.engine) as sql:
        record, outputs = store.get_with_attachments("tagged")
    # the record with its tags and whether it has outputs (it has none): one statement
    assert len(sql.statements) == 1, sql.statements
    assert (record, outputs) == (store.get("tagged"), ())
    opened = store.open(store.share("tagged").token).resource
    assert opened.tags == expected
    store.save("bare", "x = 2")
    assert store.get_with_attachments("bare")[0].tags == ()


def test_opening_a_store_checks_its_schema_on_one_connection(make_store, url_for):
    """The first command in a new kernel waits for the store to open. On an
    up-to-date database that takes one connection; on PostgreSQL two statements:
    one says whether this is a team database and whether the schema has a version
    table, the other reads the revision (no catalogue reflection, no second
    connection and its ping)."""
    from _sql_capture import capture_sql
    from sqlalchemy import create_engine, event

    from resource_magic.store import ResourceStore

    first = make_store("alice")
    first.save("first", "x = 1")  # the database is at head
    engine = create_engine(url_for("alice"))  # new: not yet known to be at head
    checkouts = []
    event.listen(engine, "checkout", lambda *_: checkouts.append(1))
    with capture_sql(engine) as sql:
        opened = ResourceStore(engine=engine, user="alice")
    statements = [" ".join(s.split()) for s in sql.statements]
    assert (opened.user, opened.team) == ("alice", first.team)
    assert len(checkouts) == 1
    if first.backend == "postgresql":
        assert len(statements) == 2, statements
        assert statements[0].startswith("SELECT SESSION_USER")
        assert statements[1] == "SELECT version_num FROM alembic_version"
    else:  # SQLite: its catalogue, then the revision
        assert statements[-1] == "SELECT version_num FROM alembic_version"
    engine.dispose()


def test_sqlite_reads_begin_deferred_beside_a_writer_and_begin_errors_are_wrapped(
    tmp_path,
):
    """db.py sends SQLite's BEGIN to the driver itself. A read begins DEFERRED, so it
    reads while another connection holds the write lock; a BEGIN the driver refuses
    reaches the caller as SQLAlchemy's OperationalError, as any statement's would."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from resource_magic.store import ResourceStore

    path = tmp_path / "begin.db"
    store = ResourceStore(f"sqlite:///{path}", user="alice")
    store.save("a", "x = 1")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        assert store.get("a").content == "x = 1"
        assert store.get_with_attachments("a")[1] == ()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with store.engine.connect() as conn:
        conn.connection.dbapi_connection.execute("BEGIN")  # so BEGIN IMMEDIATE fails
        with pytest.raises(OperationalError) as caught:
            conn.begin()
        assert isinstance(caught.value.orig, sqlite3.OperationalError)
        assert "within a transaction" in str(caught.value.orig)
        conn.connection.dbapi_connection.execute("ROLLBACK")
