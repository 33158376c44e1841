"""Mixed load: 4 processes x 4 threads of seeded random store operations on one
database.

Saves to the same names, forks (by name, by owner/name, by token), redemptions of
limited tokens, executions, restores, renames, imports, deletes and reads all run at
once. Afterwards: not one unexpected error (no "database is locked" on SQLite, no
deadlock on PostgreSQL), every invariant of `_invariants.violations` holds, and the
counters agree with what the callers counted. The default run is 4 x 4 x DEFAULT_OPS;
the `stress` variant is 4 x 4 x STRESS_OPS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from _invariants import violations
from _load_worker import BASES, COUNTERS, HOT, Tally, process_main
from _procs import mp_context

from resource_magic.store import ResourceStore

PROCESSES, THREADS = 4, 4
DEFAULT_OPS = 40
STRESS_OPS = 300
USERS = ("alice", "bob")
TOKEN_LIMITS = (3, 10, 40, None)


def _prepare(url_for: Callable[[str], str]) -> list[str]:
    """Alice's public bases with limited tokens; hot names for both users."""
    alice = ResourceStore(url_for("alice"), user="alice")
    tokens = []
    for k in range(BASES):
        alice.save(f"base-{k}", f"base = {k}", is_public=True, tags=["base"])
        tokens.append(alice.share(f"base-{k}", max_accesses=TOKEN_LIMITS[k]).token)
    for user in USERS:
        store = ResourceStore(url_for(user), user=user)
        for k in range(HOT):
            store.save(f"hot-{k}", "x = 0")
        for k in range(2):
            store.save(f"contested-{k}", "x = 0", tags=["contested"])
    return tokens


def run_mixed_load(
    url_for: Callable[[str], str], ops: int
) -> tuple[dict[str, Tally], list[str]]:
    """Run the load (each process on its user's URL from `url_for`); the tally of each
    user's processes, and the tokens used."""
    tokens = _prepare(url_for)
    context = mp_context()
    results = context.Queue()
    processes = [
        context.Process(
            target=process_main,
            args=(
                url_for(USERS[i % 2]),
                USERS[i % 2],
                tokens,
                THREADS,
                ops,
                i + 1,
                results,
            ),
        )
        for i in range(PROCESSES)
    ]
    for p in processes:
        p.start()
    by_user = {user: Tally() for user in USERS}
    for _ in range(PROCESSES):
        got = results.get(timeout=600)
        tally = Tally(
            **{name: Counter(got[name]) for name in COUNTERS},
            unexpected=got["unexpected"],
        )
        by_user[got["user"]].merge(tally)
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0, f"a load process exited with {p.exitcode}"
    return by_user, tokens


def check_after_load(
    url: str,
    url_for: Callable[[str], str],
    by_user: dict[str, Tally],
    tokens: list[str],
) -> Tally:
    """The invariants of the database at `url`, and the counters as each user sees
    them (through `url_for`)."""
    total = Tally()
    for tally in by_user.values():
        total.merge(tally)
    attempts = sum(total.ops.values())
    print(
        f"\nmixed load on {ResourceStore(url_for('alice'), user='alice').backend}: "
        f"{attempts} operations, {sum(total.ok.values())} succeeded, "
        f"{sum(total.refused.values())} refused as expected, "
        f"{len(total.unexpected)} unexpected errors"
    )
    print(
        "  per operation (ok/attempts):",
        {k: f"{total.ok[k]}/{n}" for k, n in total.ops.items()},
    )
    locked = [e for e in total.unexpected if "locked" in e.lower()]
    assert not locked, f"{len(locked)} 'database is locked' errors: {locked[:3]}"
    assert not total.unexpected, "\n".join(total.unexpected[:20])
    assert attempts == PROCESSES * THREADS * (attempts // (PROCESSES * THREADS))

    problems = violations(url)
    assert not problems, "\n".join(problems[:30])

    # Every redemption the callers counted is counted once in the database, and no more.
    alice = ResourceStore(url_for("alice"), user="alice")
    shares = {s.prefix: s for s in alice.shares() if s.resource.startswith("base-")}
    for token, limit in zip(tokens, TOKEN_LIMITS, strict=True):
        share = shares[token[:10]]
        assert share.access_count == total.redeemed[token]
        if limit is not None and total.attempts[token] >= limit:
            assert share.access_count == limit, (token[:10], total.attempts[token])
    # Every run the callers recorded is counted: no lost increment.
    for user, tally in by_user.items():
        store = ResourceStore(url_for(user), user=user)
        for k in range(HOT):
            name = f"hot-{k}"
            assert store.get(name).execution_count == tally.executions[name]
    print(
        "  redemptions per token (ok/tried):",
        [f"{total.redeemed[t]}/{total.attempts[t]}" for t in tokens],
    )
    return total


def test_mixed_load(backend, url_for):
    by_user, tokens = run_mixed_load(url_for, DEFAULT_OPS)
    total = check_after_load(backend, url_for, by_user, tokens)
    assert sum(total.ops.values()) == PROCESSES * THREADS * DEFAULT_OPS


@pytest.mark.stress
def test_mixed_load_full(backend, url_for):
    by_user, tokens = run_mixed_load(url_for, STRESS_OPS)
    total = check_after_load(backend, url_for, by_user, tokens)
    assert sum(total.ops.values()) == PROCESSES * THREADS * STRESS_OPS
