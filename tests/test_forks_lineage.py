"""Forks and lineage on both backends: what a fork copies, how it is named and
counted, and the one recursive statement that answers lineage however deep the chain."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from _models import Resource
from _sql_capture import capture_sql, one_line
from _team import admin_store
from sqlalchemy import insert, select, update

from resource_magic.errors import (
    TOKEN_REFUSED_MESSAGE,
    NameTaken,
    NotFound,
    TokenRefused,
)


def _rich(store, name="etl", **extra):
    """A resource with every forkable attribute set."""
    return store.save(
        name,
        "df = load(path)\n",
        description="Daily clean",
        tags=["etl", "daily"],
        parameters={"path": "in.csv"},
        attachments=[("text/plain", "42 rows"), ("image/png", b"\x89PNG\r\n")],
        **extra,
    ).resource


def test_fork_of_my_resource_is_a_full_copy_pointing_at_its_source(store):
    source = _rich(store)
    copy = store.fork("etl", "etl-mine")
    assert copy.owner == "alice" and copy.name == "etl-mine"
    assert (copy.resource_type, copy.content, copy.description, copy.tags) == (
        "workflow",
        "df = load(path)\n",
        "Daily clean",
        ("daily", "etl"),
    )
    assert copy.parameters == {"path": "in.csv"}
    assert copy.parent_id == source.id and copy.parent == "alice/etl"
    assert (copy.version, copy.fork_count, copy.execution_count) == (1, 0, 0)
    assert copy.is_public is False and copy.id != source.id
    assert [(a.mime_type, a.data) for a in store.attachments("etl-mine")] == [
        ("text/plain", b"42 rows"),
        ("image/png", b"\x89PNG\r\n"),
    ]
    assert store.get("etl").fork_count == 1
    # the source itself is untouched
    assert store.get("etl").content == "df = load(path)\n"
    assert store.get("etl").version == 1


@pytest.mark.parametrize(
    ("resource_type", "content"),
    [("prompt", "Hello {{ name }}"), ("agent_config", {"model": "small", "k": [1]})],
)
def test_fork_keeps_the_type(store, resource_type, content):
    store.save("thing", content, resource_type=resource_type)
    copy = store.fork("thing")
    assert (copy.name, copy.resource_type, copy.content) == (
        "thing-2",
        resource_type,
        content,
    )


def test_default_names_are_made_unique(store):
    store.save("etl", "x = 1")
    assert [store.fork("etl").name for _ in range(3)] == ["etl-2", "etl-3", "etl-4"]
    # forking a fork starts from that fork's own name
    assert store.fork("etl-2").name == "etl-2-2"
    store.delete("etl-3")
    assert store.fork("etl").name == "etl-3"
    assert store.get("etl").fork_count == 4


def test_fork_of_another_users_public_resource_by_owner_name(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    source = _rich(alice, is_public=True)
    first = bob.fork("alice/etl")
    assert (first.owner, first.name, first.parent, first.parent_id) == (
        "bob",
        "etl",
        "alice/etl",
        source.id,
    )
    assert first.tags == ("daily", "etl") and first.description == "Daily clean"
    assert bob.fork("alice/etl").name == "etl-2"
    assert alice.get("etl").fork_count == 2
    # the copies are bob's: private, changeable by him, invisible to alice
    bob.update("etl", description="mine now")
    assert alice.get("etl").description == "Daily clean"
    with pytest.raises(NotFound):
        alice.get("bob/etl")


def test_another_users_private_resource_cannot_be_forked_by_name(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    secret = alice.save("secret", "x = 1").resource
    for ref in ("alice/secret", str(secret.id)):
        with pytest.raises(NotFound):
            bob.fork(ref)
    with pytest.raises(NotFound) as caught:
        bob.fork("alice/secret")
    assert str(caught.value) == (
        "No public resource 'alice/secret': check the spelling, or ask alice for a "
        "share token."
    )
    assert bob.list().total == 0
    assert alice.get("secret").fork_count == 0


def test_fork_by_share_token(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    source = _rich(alice)
    token = alice.share("etl", max_accesses=2).token
    copy = bob.fork(token)
    assert (copy.owner, copy.name, copy.content, copy.tags) == (
        "bob",
        "etl",
        "df = load(path)\n",
        ("daily", "etl"),
    )
    # bob may not see alice's private source: the link is kept, but neither its name
    # nor its id is shown to him until alice makes it public
    assert copy.parent_id is None and copy.parent is None
    alice.update("etl", is_public=True)
    assert bob.get("etl").parent_id == source.id
    assert bob.get("etl").parent == "alice/etl"
    alice.update("etl", is_public=False)
    assert [a.data for a in bob.attachments("etl")] == [b"42 rows", b"\x89PNG\r\n"]
    assert bob.fork(f"  '{token}' ", "again").name == "again"
    assert alice.get("etl").fork_count == 2
    assert alice.shares("etl")[0].access_count == 2
    with pytest.raises(TokenRefused) as caught:
        bob.fork(token)
    assert str(caught.value) == TOKEN_REFUSED_MESSAGE
    assert bob.list().total == 2


def test_a_taken_name_refuses_the_fork_and_changes_nothing(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    bob.save("mine", "y = 1")
    token = alice.share("etl").token
    with pytest.raises(NameTaken) as caught:
        bob.fork(token, "mine")
    assert str(caught.value) == (
        "You already have a resource named 'mine': fork under another name with "
        "--as NEW_NAME."
    )
    # one transaction: neither the access nor the fork count moved, no copy exists
    assert alice.shares()[0].access_count == 0
    assert alice.get("etl").fork_count == 0
    assert bob.names() == ["mine"]
    assert bob.get("mine").content == "y = 1"


def test_long_names_are_kept_and_suffixed_within_the_limit(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    name = "n" * 255
    alice.save(name, "x = 1", is_public=True)
    # nothing to collide with: the fork keeps the source's name exactly
    assert bob.fork(f"alice/{name}").name == name
    suffixed = bob.fork(f"alice/{name}").name
    assert len(suffixed) <= 255 and suffixed.endswith("-2")
    assert suffixed.startswith("n" * 200)
    assert bob.fork(f"alice/{name}").name == suffixed[:-2] + "-3"


def test_fork_count_is_one_sql_increment_in_the_forks_transaction(store):
    store.save("etl", "x = 1")
    store.fork("etl")  # warm-up: the user id is cached after this
    with capture_sql(store.engine) as sql:
        store.fork("etl")
    fork_updates = [
        one_line(s) for s in sql.statements if re.search(r"fork_count\s*=", s)
    ]
    if store.team:
        # A member may not update counters: the database's trigger counts the fork
        # in the copy's own INSERT, inside the same transaction.
        assert fork_updates == []
        assert len(sql.transactions()) == 1
        assert store.get("etl").fork_count == 2
        return
    assert len(fork_updates) == 1, fork_updates
    assert re.match(
        r"UPDATE resource SET fork_count=\(resource\.fork_count \+ \S+\) WHERE ",
        fork_updates[0],
    ), fork_updates[0]
    # the copy's INSERT and the increment are in the same (single) transaction
    transactions = sql.transactions()
    assert len(transactions) == 1
    kinds = [one_line(s).split(" ", 2)[:2] for s in transactions[0]]
    assert ["INSERT", "INTO"] in kinds and ["UPDATE", "resource"] in kinds
    assert store.get("etl").fork_count == 2


@pytest.mark.parametrize("source", ["alice/etl", "etl", "etl@1"])
def test_the_fork_counter_is_the_last_statement_before_the_commit(make_store, source):
    # Many forking one public resource queue on its row: the increment comes last,
    # so the row stays locked only until the commit.
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1", tags=["daily"], is_public=True)
    forker = bob if "/" in source else alice
    forker.fork("alice/etl" if "/" in source else "etl")  # warm-up
    with capture_sql(forker.engine) as sql:
        forker.fork(source)
    (statements,) = sql.transactions()
    if forker.team:  # the trigger counts it, in the copy's INSERT
        assert not any(re.search(r"fork_count\s*=", s) for s in statements)
    else:
        assert re.match(r"UPDATE resource SET fork_count=", one_line(statements[-1]))
    assert alice.get("etl").fork_count == 2


def test_a_forks_record_is_the_copy_as_the_store_reads_it(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    _rich(alice, is_public=True)
    for store, source in ((bob, "alice/etl"), (alice, "etl"), (alice, "alice/etl")):
        copy = store.fork(source)
        assert copy == store.get(copy.name)
        assert copy.parent == "alice/etl" and copy.tags == ("daily", "etl")


def _chain(make_store):
    """alice/root (public) <- bob/root (private) <- carol/root; alice/root-2 beside."""
    alice, bob, carol = make_store("alice"), make_store("bob"), make_store("carol")
    root = alice.save("root", "x = 1", is_public=True).resource
    middle = bob.fork("alice/root")
    leaf = carol.fork(bob.share("root").token)
    sibling = alice.fork("root")
    return (alice, bob, carol), (root, middle, leaf, sibling)


def _shape(lineage):
    return [(n.depth, n.owner, n.name) for n in lineage], lineage.hidden


def test_lineage_shows_mine_and_public_ones_and_only_counts_the_rest(make_store):
    """Regression: other users' private resources in a lineage (descendants, or a
    parent made private) were listed with their id, depth, parent and fork count."""
    (alice, bob, carol), (root, middle, leaf, sibling) = _chain(make_store)
    assert _shape(carol.lineage("root")) == (
        [(-2, "alice", "root"), (0, "carol", "root")],
        1,
    )
    from_root = alice.lineage("root")
    assert [n.id for n in from_root] == [root.id, sibling.id]
    assert _shape(from_root) == ([(0, "alice", "root"), (1, "alice", "root-2")], 2)
    assert from_root[0].fork_count == 2  # my own resource's count, as list shows it
    assert from_root[1].parent_id == root.id
    assert _shape(bob.lineage("root")) == (
        [(-1, "alice", "root"), (0, "bob", "root")],
        1,
    )
    # a public resource's lineage can be asked for by owner/name
    assert _shape(bob.lineage("alice/root")) == (
        [(0, "alice", "root"), (1, "bob", "root")],
        2,
    )
    # nothing of a hidden resource reaches the caller: no id, name or parent id
    for viewer in (alice, carol):
        for ref in ("root", "alice/root"):
            try:
                found = viewer.lineage(ref)
            except NotFound:
                continue
            assert middle.id not in {n.id for n in found}
            assert middle.id not in {n.parent_id for n in found}
            assert leaf.id not in {n.id for n in found} or viewer is carol
    assert carol.get("root").parent_id is None  # its parent is bob's, private
    assert carol.get("root").parent is None


def test_a_parent_made_private_drops_out_of_lineage(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    base = alice.save("base", "x = 1", is_public=True).resource
    bob.fork("alice/base", "mine")
    bob.fork("mine", "grandchild")
    assert _shape(bob.lineage("mine")) == (
        [(-1, "alice", "base"), (0, "bob", "mine"), (1, "bob", "grandchild")],
        0,
    )
    assert bob.get("mine").parent_id == base.id
    alice.update("base", is_public=False)
    found = bob.lineage("mine")
    assert _shape(found) == ([(0, "bob", "mine"), (1, "bob", "grandchild")], 1)
    assert found[0].parent_id is None
    assert base.id not in {n.id for n in found} | {n.parent_id for n in found}
    assert bob.get("mine").parent_id is None and bob.get("mine").parent is None
    # the owner still sees the whole chain
    assert _shape(alice.lineage("base")) == ([(0, "alice", "base")], 2)


def test_lineage_of_what_i_cannot_see_is_not_found(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("secret", "x = 1")
    for ref in ("alice/secret", "secret", "nothing"):
        with pytest.raises(NotFound):
            bob.lineage(ref)


def _deep_chain(store, depth: int) -> None:
    """n0 <- n1 <- ... <- n{depth-1}: real forks for the first links, then the same
    rows in one batch (500 forks one by one would make the test slow, not stronger)."""
    store.save("n0", "x = 0")
    for i in range(1, 4):
        store.fork(f"n{i - 1}", f"n{i}")
    mine = store.get("n3").id
    with store._transaction() as session:
        mine = session.scalar(select(Resource.user_id).where(Resource.id == mine))
    # On a team database, a trigger counts each fork on its parent as it is inserted.
    counted = store.team
    with admin_store(store)._transaction(write=True) as session:
        last = session.execute(
            select(Resource.__table__).where(
                Resource.name == "n3", Resource.user_id == mine
            )
        ).one()
        now = datetime.now(UTC)
        rows, parent = [], last.id
        for i in range(4, depth):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": last.user_id,
                    "name": f"n{i}",
                    "resource_type": "workflow",
                    "content": f"x = {i}",
                    "parent_resource_id": parent,
                    "fork_count": 1 if i < depth - 1 and not counted else 0,
                    "search_text": f"n{i}",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            parent = rows[-1]["id"]
        session.execute(insert(Resource), rows)
        if not counted:
            session.execute(
                update(Resource).where(Resource.id == last.id).values(fork_count=1)
            )


def test_lineage_of_a_500_deep_chain_is_one_statement(store):
    depth = 500
    _deep_chain(store, depth)
    store.lineage("n0")  # warm-up
    with capture_sql(store.engine) as sql:
        from_leaf = store.lineage(f"n{depth - 1}")
    assert len(sql.statements) == 1, sql.statements
    # the walk is one recursive query: ours, or on a team database the function's
    assert re.search("RECURSIVE|rm_lineage", sql.statements[0], re.IGNORECASE)
    with capture_sql(store.engine) as sql:
        from_root = store.lineage("n0")
    assert len(sql.statements) == 1
    assert [(n.depth, n.name) for n in from_leaf] == [
        (d, f"n{d + depth - 1}") for d in range(-(depth - 1), 1)
    ]
    assert [(n.depth, n.name) for n in from_root] == [
        (d, f"n{d}") for d in range(depth)
    ]
    assert all(n.fork_count == 1 for n in from_root[:-1])
