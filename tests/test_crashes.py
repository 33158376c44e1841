"""kill -9 in the middle of multi-statement writes: fork, save with attachments, import.

A forkserver child writes until it is SIGKILLed; then the database must be whole:
SQLite's `PRAGMA integrity_check` and foreign keys are ok, every invariant of
`_invariants.violations` holds (no fork without its count, no version without its
content or attachments, no half import), the operation that was cut off left no trace,
and the next process just carries on. Half of the kills stop the child inside a
transaction right after one of its write statements (so they certainly land mid-write);
the other half come after a random delay, wherever the child happens to be.

The negative control runs the same operations split into two transactions and kills the
child between them: the checker must report the half-written state, which proves these
tests would notice a store that did not write atomically.

Figures: the default run kills DEFAULT_KILLS times per backend; the `stress` variant
does 100 kills per backend.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest
from _crash_worker import SPLIT, crash_main, prepare
from _invariants import violations
from _procs import mp_context

from resource_magic.store import ResourceStore

DEFAULT_KILLS = 30
STRESS_KILLS = 100
USER = "crasher"


def _kill(process) -> None:
    process.kill()  # SIGKILL, to this child's own pid
    process.join(30)
    assert process.exitcode == -signal.SIGKILL, process.exitcode


def _drain(receive) -> int:
    """How many messages the killed child sent (its pipe ends in EOF)."""
    count = 0
    try:
        while receive.poll():
            receive.recv()
            count += 1
    except EOFError:
        pass
    return count


def _left_no_trace(store: ResourceStore, op: str, name: str, marker: str) -> list[str]:
    """The cut-off operation is wholly absent."""
    names = store.names()
    if op == "fork" and name in names:
        return [f"the killed fork {name!r} exists"]
    if op == "import_group" and any(n.startswith(name + "-") for n in names):
        return [f"part of the killed import {name!r} exists"]
    if op == "save_with_attachments" and any(
        isinstance(v.content, str) and marker in v.content for v in store.history(name)
    ):
        return [f"the killed save of {name!r} left a version"]
    return []


def run_kills(url: str, login: str, kills: int, seed: int) -> Counter:
    """Kill `kills` children mid-write on the database at `url`, each writing as USER
    through `login` (the test's `url_for(USER)`); fail at the first broken invariant."""
    prepare(login, USER)
    rng = random.Random(seed)
    context = mp_context()
    store = ResourceStore(login, user=USER)
    figures: Counter = Counter()
    for i in range(kills):
        receive, send = context.Pipe(duplex=False)
        in_tx = context.Value("i", 0, lock=False)
        pausing = i % 2 == 0
        child = context.Process(
            target=crash_main,
            args=(
                login,
                USER,
                rng.randrange(1 << 30),
                "pause" if pausing else "free",
                rng.randint(1, 2),
                send,
                in_tx,
            ),
        )
        child.start()
        send.close()
        if pausing:
            assert receive.poll(60), "the child never reached its pause"
            _, op, name, marker, writes = receive.recv()
            _kill(child)
            figures[f"paused in {op} after {writes} writes"] += 1
            problems = _left_no_trace(store, op, name, marker)
        else:
            assert receive.poll(60) and receive.recv() == ("ready",)
            started = time.perf_counter()
            time.sleep(rng.uniform(0.0, 0.2))
            figures["ms of writing before random kills"] += round(
                1000 * (time.perf_counter() - started)
            )
            writes = in_tx.value
            _kill(child)
            figures["random kills"] += 1
            figures["random kills mid-transaction"] += writes > 0
            problems = []
        figures["operations completed before a kill"] += _drain(receive)
        receive.close()
        problems += violations(url)
        assert not problems, f"after kill {i + 1}:\n" + "\n".join(problems[:20])
        figures["kills survived"] += 1
    # The database is still fully usable by a new kernel.
    after = ResourceStore(login, user=USER)
    after.fork("src-0", "after-the-crashes")
    after.save("att-0", "x = 'after'", attachments=[("text/plain", b"ok")])
    assert after.get("after-the-crashes").parent == f"{USER}/src-0"
    assert violations(url) == []
    return figures


def _report(login: str, figures: Counter) -> None:
    backend = ResourceStore(login, user=USER).backend
    print(f"\ncrashes on {backend}:", dict(sorted(figures.items())))


def test_kill_mid_write(backend, url_for):
    figures = run_kills(backend, url_for(USER), DEFAULT_KILLS, seed=9)
    _report(url_for(USER), figures)
    assert figures["kills survived"] == DEFAULT_KILLS
    assert (
        sum(v for k, v in figures.items() if k.startswith("paused"))
        == (DEFAULT_KILLS + 1) // 2
    )


@pytest.mark.stress
def test_kill_mid_write_100_times(backend, url_for):
    figures = run_kills(backend, url_for(USER), STRESS_KILLS, seed=2024)
    _report(url_for(USER), figures)
    assert figures["kills survived"] == STRESS_KILLS


@pytest.mark.parametrize("kind", [f.__name__ for f in SPLIT])
def test_negative_control_split_transaction_is_caught(backend, url_for, kind):
    prepare(url_for(USER), USER)
    assert violations(backend) == []
    context = mp_context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=crash_main,
        args=(
            url_for(USER),
            USER,
            1,
            "split",
            [f.__name__ for f in SPLIT].index(kind),
            send,
            context.Value("i", 0, lock=False),
        ),
    )
    child.start()
    send.close()
    assert receive.poll(60), "the split worker never got between its transactions"
    assert receive.recv()[0] == "between"
    _kill(child)
    problems = violations(backend)
    print(f"\nnegative control {kind} on {backend.split(':')[0]}: {problems}")
    expected = {
        "split_fork": "fork_count 0 but 1 children",
        "split_save": "attachments, its manifest says 2",
        "split_import": "1 of 3 resources",
    }[kind]
    assert any(expected in p for p in problems), problems
