"""Counters, limits, names and revokes under real concurrency, on both backends.

Workers are real processes (the 'spawn' start method, so nothing is shared but the
database), each with its own ResourceStore on its user's `url_for(user)`; see
_workers.py. They start together at a barrier and count their own successes; the parent
checks those counts against the database. Each test prints its figures (attempts,
successes, elapsed): run with -s.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import _workers
import pytest
from _dump import assert_token_absent
from _models import Resource
from _team import admin_store
from sqlalchemy import func, select

PROCESSES = 8


@pytest.fixture(scope="module")
def spawn():
    """A pool of PROCESSES spawned workers and a manager for barriers and events,
    shared by this module's tests so the interpreters start only once."""
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        ProcessPoolExecutor(PROCESSES, mp_context=context) as pool,
    ):
        yield pool, manager


def _run(spawn, function, calls) -> tuple[list[_workers.Tally], float]:
    """Run `function(*args)` for each args in `calls`, one per process, all at once."""
    pool, _manager = spawn
    assert len(calls) <= PROCESSES
    started = time.perf_counter()
    futures = [pool.submit(function, *args) for args in calls]
    tallies = [f.result(timeout=300) for f in futures]
    return tallies, time.perf_counter() - started


def _report(name, backend, tallies, wall, **extra) -> None:
    attempts = sum(t.attempts for t in tallies)
    successes = sum(t.successes for t in tallies)
    busiest = max(t.elapsed for t in tallies)
    details = "".join(f", {k}={v}" for k, v in extra.items())
    print(
        f"\n[concurrency] {name} on {_backend_name(backend)}: "
        f"{len(tallies)} processes, attempts={attempts}, successes={successes}, "
        f"elapsed={busiest:.2f}s (after the barrier; {wall:.2f}s with dispatch)"
        f"{details}"
    )


def _backend_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _barrier(spawn, parties: int = PROCESSES):
    return spawn[1].Barrier(parties)


def test_redemptions_never_exceed_the_limit(spawn, backend, url_for, make_store):
    alice = make_store("alice")
    alice.save("etl", "x = 1")
    token = alice.share("etl", max_accesses=10).token
    per_process = 25
    barrier = _barrier(spawn)
    tallies, wall = _run(
        spawn,
        _workers.redeem,
        [
            (url_for(f"user{i}"), f"user{i}", token, per_process, barrier)
            for i in range(PROCESSES)
        ],
    )
    _report("8x25 redemptions, max_accesses=10", backend, tallies, wall)
    assert sum(t.attempts for t in tallies) == PROCESSES * per_process
    assert sum(t.successes for t in tallies) == 10
    assert sum(t.refused for t in tallies) == PROCESSES * per_process - 10
    # every success saw its own count: no two redemptions were counted as one
    assert sorted(n for t in tallies for n in t.seen) == list(range(1, 11))
    share = alice.shares()[0]
    assert (share.access_count, share.status) == (10, "exhausted")
    assert share.prefix in assert_token_absent(alice, token)


def test_concurrent_forks_are_all_counted(spawn, backend, url_for, make_store):
    alice = make_store("alice")
    source = alice.save("src", "x = 1", is_public=True).resource
    token = alice.share("src").token
    # two processes per user, so default names collide; four ways to name the source
    refs = {"alice": "src", "bob": "alice/src", "carol": str(source.id), "dave": token}
    users = list(refs)
    per_process = 25
    barrier = _barrier(spawn)
    calls = []
    for i in range(PROCESSES):
        user = users[i % len(users)]
        calls.append((url_for(user), user, refs[user], per_process, i, barrier))
    tallies, wall = _run(spawn, _workers.fork, calls)
    total = PROCESSES * per_process
    with admin_store(alice)._transaction() as session:  # everyone's children
        children = session.scalar(
            select(func.count())
            .select_from(Resource)
            .where(Resource.parent_resource_id == source.id)
        )
    _report("8x25 forks of one resource", backend, tallies, wall, children=children)
    assert sum(t.successes for t in tallies) == total
    assert children == total
    assert alice.get("src").fork_count == total
    lineage = alice.lineage("src")  # her own forks, and the others' only counted
    assert len([n for n in lineage if n.depth == 1]) == total // len(users)
    assert lineage.hidden == total - total // len(users)
    assert alice.shares()[0].access_count == total // len(users)
    # default names stayed unique and gap-free per user: src (alice: src-2), src-3 ...
    for user in users:
        made = [
            n
            for t, c in zip(tallies, calls, strict=True)
            if c[1] == user
            for n in t.seen
        ]
        defaults = sorted((n for n in made if n.startswith("src")), key=_suffix)
        first = 2 if user == "alice" else 1
        # each of the user's two processes made every other fork under the default name
        assert len(defaults) == 2 * len(range(0, per_process, 2))
        assert [_suffix(n) for n in defaults] == list(
            range(first, first + len(defaults))
        ), user


def _suffix(name: str) -> int:
    """1 for `src`, N for `src-N`."""
    return int(name.rpartition("-")[2]) if "-" in name else 1


def test_concurrent_executions_are_all_counted(spawn, backend, url_for, make_store):
    alice = make_store("alice")
    alice.save("etl", "x = 1")
    per_process = 200
    barrier = _barrier(spawn)
    tallies, wall = _run(
        spawn,
        _workers.execute,
        [
            (url_for("alice"), "alice", "etl", per_process, barrier)
            for _ in range(PROCESSES)
        ],
    )
    total = PROCESSES * per_process
    _report("8x200 executions", backend, tallies, wall)
    assert sum(t.successes for t in tallies) == total
    record = alice.get("etl")
    assert record.execution_count == total
    assert record.last_executed_at is not None
    # each increment returned a different count: none was lost or doubled
    assert sorted(n for t in tallies for n in t.seen) == list(range(1, total + 1))


def test_no_redemption_succeeds_after_the_revoke(spawn, backend, url_for, make_store):
    alice = make_store("alice")
    alice.save("etl", "x = 1")
    new = alice.share("etl")
    barrier = _barrier(spawn, PROCESSES + 1)
    revoked = spawn[1].Event()
    after_revoke = 10
    pool, _manager = spawn
    started = time.perf_counter()
    futures = [
        pool.submit(
            _workers.redeem_until_revoked,
            url_for(f"user{i}"),
            f"user{i}",
            new.token,
            barrier,
            revoked,
            after_revoke,
        )
        for i in range(PROCESSES)
    ]
    barrier.wait(_workers.BARRIER_TIMEOUT_S)
    # revoke in the thick of it: once the workers have redeemed a few dozen times
    # (a worker that died ends the wait; its error surfaces from result() below)
    while alice.shares()[0].access_count < 40 and not any(f.done() for f in futures):
        pass
    alice.revoke(new.token)
    count_at_revoke = alice.shares()[0].access_count
    revoked.set()
    tallies = [f.result(timeout=300) for f in futures]
    wall = time.perf_counter() - started
    final = alice.shares()[0]
    _report(
        "redeem racing revoke",
        backend,
        tallies,
        wall,
        successes_before_revoke=count_at_revoke,
        attempts_after_revoke=sum(t.after_revoke_attempts for t in tallies),
        successes_after_revoke=sum(t.after_revoke_successes for t in tallies),
    )
    assert final.status == "revoked"
    assert final.access_count == count_at_revoke >= 40
    assert sum(t.successes for t in tallies) == count_at_revoke
    assert sum(t.after_revoke_attempts for t in tallies) == PROCESSES * after_revoke
    assert sum(t.after_revoke_successes for t in tallies) == 0


def test_two_processes_saving_the_same_name_at_once(
    spawn, backend, url_for, make_store
):
    # nobody has used the database yet as alice: her user row is made in the race too
    make_store("someone-else").save("unrelated", "x = 1")
    rounds = 20
    names = [f"shared-{r}" for r in range(rounds)]
    barrier = _barrier(spawn, 2)
    tallies, wall = _run(
        spawn,
        _workers.save_together,
        [(url_for("alice"), "alice", names, worker, barrier) for worker in (1, 2)],
    )
    _report(f"2 processes x {rounds} same-name saves", backend, tallies, wall)
    assert sum(t.successes for t in tallies) == 2 * rounds
    alice = make_store("alice")
    for name in names:
        history = alice.history(name)
        assert [v.version for v in history] == [1, 2], name
        assert sorted(v.content for v in history) == [
            "saved by worker 1\n",
            "saved by worker 2\n",
        ]
        # each process was told the version it made
        told = sorted(v for t in tallies for n, v in t.seen if n == name)
        assert told == [1, 2]
    assert sorted(alice.names()) == sorted(names)
