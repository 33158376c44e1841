"""Races the mixed load turned up, replayed deterministically on both backends.

A random load hits these interleavings only now and then, so each test forces one: the
first writer is stopped just before a chosen statement (a `before_cursor_execute` hook
that waits on an event), a second writer runs meanwhile, then the first one goes on. On
SQLite the second writer queues on BEGIN IMMEDIATE, so the gate opens after a short
grace period instead; on PostgreSQL it runs to completion in between, which is the
interleaving that used to break.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from _invariants import violations
from sqlalchemy import event

from resource_magic.errors import NotFound, TokenRefused
from resource_magic.store import EXPORT_FORMAT, ResourceStore

GRACE_S = 1.0  # how long the second writer may run while the first one waits


Statement = str | Callable[[str], bool]


def _matches(statement: Statement, sql: str) -> bool:
    """`statement` is the start of the (upper-cased, one-line) SQL, or a test of it."""
    sql = " ".join(sql.split()).upper()
    return statement(sql) if callable(statement) else sql.startswith(statement)


@contextmanager
def paused_before(
    store: ResourceStore, statement: Statement
) -> Iterator[threading.Event]:
    """Threads named 'first' stop before `statement` until the yielded event is set."""
    gate, reached = threading.Event(), threading.Event()

    def before(conn, cursor, sql, parameters, context, executemany):
        if (
            threading.current_thread().name == "first"
            and _matches(statement, sql)
            and not reached.is_set()
        ):
            reached.set()
            gate.wait(30)

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield gate, reached
    finally:
        gate.set()
        event.remove(store.engine, "before_cursor_execute", before)


def interleave(
    store: ResourceStore,
    statement: Statement,
    first: Callable[[], object],
    second: Callable[[], object],
) -> list[object]:
    """Run `first` up to `statement`, then `second`, then the rest of `first`."""
    results: dict[str, object] = {}

    def run(name, fn):
        try:
            results[name] = fn()
        except Exception as exc:  # reported below, with its type
            results[name] = exc

    with paused_before(store, statement) as (gate, reached):
        one = threading.Thread(target=run, args=("first", first), name="first")
        one.start()
        assert reached.wait(30), f"the first writer never reached {statement}"
        two = threading.Thread(target=run, args=("second", second), name="second")
        two.start()
        two.join(GRACE_S)
        gate.set()
        one.join(60)
        two.join(60)
    return [results["first"], results["second"]]


def test_rename_racing_a_new_description_keeps_search_text_right(make_store, backend):
    alice = make_store("alice")
    rid = str(alice.save("report", "x = 1", description="old words").resource.id)
    other = make_store("alice")
    first, second = interleave(
        alice,
        "UPDATE RESOURCE SET",
        lambda: alice.update(rid, rename="quarterly"),
        lambda: other.update(rid, description="fresh words"),
    )
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    record = alice.get(rid)
    assert (record.name, record.description) == ("quarterly", "fresh words")
    assert violations(backend) == []
    assert [r.name for r in alice.list("quarterly").items] == ["quarterly"]
    assert [r.name for r in alice.list("fresh words").items] == ["quarterly"]


def _export(name: str, content: str) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "resources": [
            {
                "name": name,
                "resource_type": "workflow",
                "versions": [{"content": content}],
            }
        ],
    }


def test_two_imports_of_one_new_name_both_land(make_store, backend):
    alice = make_store("alice")
    other = make_store("alice")
    alice.save("unrelated", "x = 0")  # the user row exists: no wait on its insert
    first, second = interleave(
        alice,
        "INSERT INTO RESOURCE ",
        lambda: alice.import_(_export("shared", "x = 'first'")),
        lambda: other.import_(_export("shared", "x = 'second'")),
    )
    assert not isinstance(first, Exception), repr(first)
    assert not isinstance(second, Exception), repr(second)
    assert {first.created + second.created} == {("shared",)}
    assert first.new_versions + second.new_versions == ("shared",)
    assert sorted(v.content for v in alice.history("shared")) == [
        "x = 'first'",
        "x = 'second'",
    ]
    assert violations(backend) == []


# -- a token's last use taken between another redemption's read and its count ---------
# A redemption reads what the token shows first and counts the use last (the share's
# row, which every holder of the token updates, stays locked only until the commit).
# The count is the conditional UPDATE that decides: a token used up meanwhile is
# refused then, and the redemption's reads and writes (a fork's copy) roll back.


@pytest.mark.parametrize("redeem", ["open", "fork"])
def test_a_token_used_up_meanwhile_is_refused_and_changes_nothing(
    make_store, backend, redeem
):
    alice, bob, carol = make_store("alice"), make_store("bob"), make_store("carol")
    alice.save("etl", "x = 1")
    token = alice.share("etl", max_accesses=1).token
    bob.save("unrelated", "x = 0")  # the user rows exist: no wait on their insert
    carol.save("unrelated", "x = 0")
    # A team database counts inside rm_redeem, which the first call reaches then.
    counts = "SELECT RM_REDEEM" if bob.team else "UPDATE RESOURCE_SHARE"
    first, second = interleave(
        bob,
        counts,
        lambda: getattr(bob, redeem)(token),
        lambda: getattr(carol, redeem)(token),
    )
    refused = [isinstance(r, TokenRefused) for r in (first, second)]
    assert sorted(refused) == [False, True], (first, second)
    if redeem == "open" and not backend.startswith("sqlite"):
        # The second ran to its end in between. (A fork's second waits for the
        # first's lock on the parent's fork count, so either may be the one.)
        assert refused == [True, False], (first, second)
    assert [s.access_count for s in alice.shares()] == [1]
    if redeem == "fork":
        assert sorted(bob.names() + carol.names()) == ["etl", "unrelated", "unrelated"]
        assert alice.get("etl").fork_count == 1
    assert violations(backend) == []


# -- a delete committed between another transaction's lookup and its write -------------
# On PostgreSQL the delete runs to completion while the first transaction waits between
# its read and its write; its write then meets a row that is gone, which used to
# surface as ForeignKeyViolation / IntegrityError / "Could not refresh instance". On
# SQLite the delete queues behind the first writer, so the first one succeeds and the
# delete follows.


NO_ETL = "No resource named 'etl': see your resources with %resource list."


def _race_a_delete(make_store, backend, statement, first_call, paused="alice"):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1", is_public=True)
    bob.save("unrelated", "x = 0")  # bob's user row exists: no wait on its insert
    deleter = make_store("alice")
    # Pause the first call on its own connection (bob's, when bob makes it: on a
    # team database each user has an engine of their own).
    first, second = interleave(
        {"alice": alice, "bob": bob}[paused],
        statement,
        lambda: first_call(alice, bob),
        lambda: deleter.delete("etl"),
    )
    assert second == "etl", repr(second)  # the delete went through either way
    assert violations(backend) == []
    return first, alice, bob


def _gone(first, message: str, backend: str) -> None:
    if backend.startswith("sqlite"):
        assert not isinstance(first, Exception), repr(first)
    else:
        assert isinstance(first, NotFound), repr(first)
        assert str(first) == message


def test_fork_of_a_resource_deleted_meanwhile_is_not_found(make_store, backend):
    first, alice, bob = _race_a_delete(
        make_store,
        backend,
        "INSERT INTO RESOURCE ",
        lambda alice, bob: bob.fork("alice/etl"),
        paused="bob",
    )
    _gone(
        first,
        "No public resource 'alice/etl': check the spelling, or ask alice for a "
        "share token.",
        backend,
    )
    expected = ["etl", "unrelated"] if backend.startswith("sqlite") else ["unrelated"]
    assert bob.names() == expected


def test_fork_of_my_own_resource_deleted_meanwhile_is_not_found(make_store, backend):
    first, alice, bob = _race_a_delete(
        make_store,
        backend,
        "INSERT INTO RESOURCE ",
        lambda alice, bob: alice.fork("etl", "copy"),
    )
    _gone(
        first,
        "No resource named 'etl'. Did you mean 'copy'?"
        if backend.startswith("sqlite")
        else "No resource named 'etl': see your resources with %resource list.",
        backend,
    )


def test_share_of_a_resource_deleted_meanwhile_is_not_found(make_store, backend):
    first, alice, bob = _race_a_delete(
        make_store,
        backend,
        "INSERT INTO RESOURCE_SHARE",
        lambda alice, bob: alice.share("etl"),
    )
    _gone(first, NO_ETL, backend)
    assert alice.shares() == []  # on SQLite the delete took the share with it


def test_update_of_a_resource_deleted_meanwhile_is_not_found(make_store, backend):
    first, alice, bob = _race_a_delete(
        make_store,
        backend,
        # the row lock after the lookup (SQLite has none: its first write)
        lambda sql: sql.endswith("FOR UPDATE") or sql.startswith("UPDATE RESOURCE "),
        lambda alice, bob: alice.update("etl", description="new words"),
    )
    _gone(first, NO_ETL, backend)
    assert alice.names() == []
