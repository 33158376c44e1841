"""What the concurrency tests' worker processes run.

Top-level functions only (the 'spawn' start method pickles them by name). Each opens its
own ResourceStore as `user` from `url` (the test's `url_for(user)`), waits at a barrier
so the workers start together, does its share of the work, and returns what it saw to
the parent: the parent asserts, the workers only count. Anything other than the expected
refusal propagates to the parent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from resource_magic.errors import TokenRefused
from resource_magic.store import ResourceStore

BARRIER_TIMEOUT_S = 120


@dataclass
class Tally:
    """One worker's figures."""

    attempts: int = 0
    successes: int = 0
    refused: int = 0
    elapsed: float = 0.0
    # The value each success returned (an access or execution count, a name...).
    seen: list = field(default_factory=list)
    # Redeem-versus-revoke only: attempts begun after the revoke had returned.
    after_revoke_attempts: int = 0
    after_revoke_successes: int = 0


def _start(barrier) -> float:
    barrier.wait(BARRIER_TIMEOUT_S)
    return time.perf_counter()


def redeem(url: str, user: str, token: str, attempts: int, barrier) -> Tally:
    """Open a share token `attempts` times; count what succeeds."""
    store = ResourceStore(url, user=user)
    tally = Tally()
    started = _start(barrier)
    for _ in range(attempts):
        tally.attempts += 1
        try:
            opened = store.open(token)
        except TokenRefused:
            tally.refused += 1
        else:
            tally.successes += 1
            tally.seen.append(opened.access_count)
    tally.elapsed = time.perf_counter() - started
    return tally


def fork(url: str, user: str, source: str, count: int, worker: int, barrier) -> Tally:
    """Fork `source` `count` times, every other time under the default name."""
    store = ResourceStore(url, user=user)
    tally = Tally()
    started = _start(barrier)
    for i in range(count):
        tally.attempts += 1
        name = None if i % 2 == 0 else f"w{worker}-copy-{i}"
        copy = store.fork(source, name)
        tally.successes += 1
        tally.seen.append(copy.name)
    tally.elapsed = time.perf_counter() - started
    return tally


def execute(url: str, user: str, ref: str, count: int, barrier) -> Tally:
    """Record `count` executions of one resource."""
    store = ResourceStore(url, user=user)
    tally = Tally()
    started = _start(barrier)
    for _ in range(count):
        tally.attempts += 1
        tally.seen.append(store.record_execution(ref))
        tally.successes += 1
    tally.elapsed = time.perf_counter() - started
    return tally


def redeem_until_revoked(
    url: str, user: str, token: str, barrier, revoked, after_revoke: int
) -> Tally:
    """Open a token over and over; once `revoked` is set (the parent's revoke has
    returned), make `after_revoke` more attempts, noting which began after it."""
    store = ResourceStore(url, user=user)
    tally = Tally()
    started = _start(barrier)
    while tally.after_revoke_attempts < after_revoke:
        # Read the flag *before* the attempt: if it is set, the revoke had committed
        # before this redemption began, so this one must fail.
        began_after_revoke = revoked.is_set()
        tally.attempts += 1
        try:
            store.open(token)
        except TokenRefused:
            tally.refused += 1
            ok = False
        else:
            tally.successes += 1
            ok = True
        if began_after_revoke:
            tally.after_revoke_attempts += 1
            tally.after_revoke_successes += ok
    tally.elapsed = time.perf_counter() - started
    return tally


def save_together(url: str, user: str, names: list[str], worker: int, barrier) -> Tally:
    """For each name: meet the other process at the barrier, then save that name."""
    store = ResourceStore(url, user=user)
    tally = Tally()
    started = 0.0
    for name in names:
        barrier.wait(BARRIER_TIMEOUT_S)
        started = started or time.perf_counter()
        tally.attempts += 1
        result = store.save(name, f"saved by worker {worker}\n")
        tally.successes += 1
        tally.seen.append((name, result.version))
    tally.elapsed = time.perf_counter() - started
    return tally
