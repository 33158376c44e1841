"""One process of the mixed-load test: N threads, each doing a seeded random mix of
store operations against one shared database, tallying what happened.

Runs in a child process started by multiprocessing (forkserver/spawn), so it must be
importable by name: the test puts this directory on sys.path (pytest does, in prepend
mode). Expected refusals (a used-up token, a scratch resource another thread already
deleted) are counted as such; any other exception, "database is locked" above all, is
reported back as an unexpected error with its type and first line.
"""

from __future__ import annotations

import os
import random
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field

from _invariants import manifest_content

from resource_magic.errors import NameTaken, NotFound, TokenRefused
from resource_magic.store import EXPORT_FORMAT, ResourceStore

HOT = 4  # hot-0..3: names every thread of a user saves new versions to
BASES = 4  # alice's public base-0..3: everyone forks them


COUNTERS = ("ops", "ok", "refused", "attempts", "redeemed", "executions")


@dataclass
class Tally:
    ops: Counter = field(default_factory=Counter)  # attempts per operation
    ok: Counter = field(default_factory=Counter)  # successes per operation
    refused: Counter = field(default_factory=Counter)  # expected refusals
    attempts: Counter = field(default_factory=Counter)  # token -> opens/forks tried
    redeemed: Counter = field(
        default_factory=Counter
    )  # token -> successful opens/forks
    executions: Counter = field(default_factory=Counter)  # hot name -> runs recorded
    unexpected: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        for name in COUNTERS:
            getattr(self, name).update(getattr(other, name))
        self.unexpected.extend(other.unexpected)


def run_process(
    url: str, user: str, tokens: list[str], threads: int, ops: int, seed: int
) -> Tally:
    """Run `threads` threads of `ops` operations each, as `user` on `url` (the test's
    `url_for(user)`); return their merged tally."""
    tallies = [Tally() for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_thread_main,
            args=(url, user, tokens, ops, seed * 1000 + i, tallies[i]),
        )
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total = Tally()
    for t in tallies:
        total.merge(t)
    return total


def process_main(url, user, tokens, threads, ops, seed, results) -> None:
    """multiprocessing target: run, then put the tally (as plain dicts) on `results`."""
    try:
        tally = run_process(url, user, tokens, threads, ops, seed)
    except BaseException:  # the parent must hear about it, not hang
        tally = Tally(unexpected=[traceback.format_exc()])
    results.put(
        {
            "user": user,
            **{name: dict(getattr(tally, name)) for name in COUNTERS},
            "unexpected": tally.unexpected,
        }
    )


def _thread_main(url, user, tokens, ops, seed, tally: Tally) -> None:
    rng = random.Random(seed)
    store = ResourceStore(url, user=user)
    tag = f"{os.getpid()}-{seed}"
    scratch: list[str] = []
    for i in range(ops):
        op = rng.choices(OPERATIONS, weights=WEIGHTS)[0]
        tally.ops[op.__name__] += 1
        try:
            op(store, rng, tally, tokens, scratch, f"{tag}-{i}")
        except (TokenRefused, NotFound, NameTaken) as exc:
            tally.refused[f"{op.__name__}: {type(exc).__name__}"] += 1
        except Exception as exc:  # everything else is a finding
            first = (str(exc).splitlines() or [""])[0][:300]
            tally.unexpected.append(f"{op.__name__}: {type(exc).__name__}: {first}")
        else:
            tally.ok[op.__name__] += 1


# -- the operations: (store, rng, tally, tokens, scratch, unique) -> None --------------
def save_hot(store, rng, tally, tokens, scratch, unique):
    files = [os.urandom(rng.randint(1, 4096)) for _ in range(rng.randint(0, 3))]
    store.save(
        f"hot-{rng.randrange(HOT)}",
        manifest_content(files, body=f"v = {unique!r}"),
        attachments=[("application/octet-stream", f) for f in files],
        tags=[f"t{rng.randrange(3)}"] if rng.random() < 0.3 else None,
    )


def create_scratch(store, rng, tally, tokens, scratch, unique):
    name = f"scratch-{unique}"
    store.save(name, "x = 1", description=f"scratch {unique}")
    scratch.append(name)


def delete_scratch(store, rng, tally, tokens, scratch, unique):
    if not scratch:
        raise NotFound("nothing to delete yet")
    store.delete(scratch.pop(rng.randrange(len(scratch))))


def rename_scratch(store, rng, tally, tokens, scratch, unique):
    if not scratch:
        raise NotFound("nothing to rename yet")
    i = rng.randrange(len(scratch))
    new = f"scratch-{unique}-r"
    store.update(scratch[i], rename=new, description=f"renamed {unique}")
    scratch[i] = new


def describe_hot(store, rng, tally, tokens, scratch, unique):
    store.update(f"hot-{rng.randrange(HOT)}", description=f"hot {unique}")


def contest(store, rng, tally, tokens, scratch, unique):
    """Rename and re-describe one shared resource from many threads (by its id)."""
    ids = [r.id for r in store.list(tag="contested").items]
    ref = str(rng.choice(ids))
    if rng.random() < 0.5:
        store.update(ref, rename=f"contested-{unique}")
    else:
        store.update(ref, description=f"contested {unique}")


def fork_base(store, rng, tally, tokens, scratch, unique):
    store.fork(f"alice/base-{rng.randrange(BASES)}")


def fork_hot(store, rng, tally, tokens, scratch, unique):
    store.fork(f"hot-{rng.randrange(HOT)}", f"forked-{unique}")


def redeem(store, rng, tally, tokens, scratch, unique):
    token = rng.choice(tokens)
    tally.attempts[token] += 1
    if rng.random() < 0.5:
        store.open(token)
    else:
        store.fork(token, f"via-token-{unique}")
    tally.redeemed[token] += 1


def run_hot(store, rng, tally, tokens, scratch, unique):
    name = f"hot-{rng.randrange(HOT)}"
    store.record_execution(name)
    tally.executions[name] += 1


def restore_hot(store, rng, tally, tokens, scratch, unique):
    name = f"hot-{rng.randrange(HOT)}"
    current = store.get(name).version
    store.restore(name, rng.randint(1, current))


def share_and_revoke(store, rng, tally, tokens, scratch, unique):
    new = store.share(f"hot-{rng.randrange(HOT)}", max_accesses=rng.randint(1, 5))
    store.open(new.token)
    if rng.random() < 0.5:
        store.revoke(new.token)


def import_group(store, rng, tally, tokens, scratch, unique):
    group = f"imp-{unique}"
    size, count = 2, 2
    store.import_(
        {
            "format": EXPORT_FORMAT,
            "resources": [
                {
                    "name": f"{group}-{j}",
                    "resource_type": "workflow",
                    "versions": [
                        {
                            "content": manifest_content(
                                group=group, size=size, versions=count
                            )
                        }
                        for _ in range(count)
                    ],
                }
                for j in range(size)
            ],
        }
    )


def read_things(store, rng, tally, tokens, scratch, unique):
    name = f"hot-{rng.randrange(HOT)}"
    store.get(name)
    store.history(name)
    store.lineage(f"alice/base-{rng.randrange(BASES)}")
    store.list("hot", sort=rng.choice(["updated", "name", "forks"]))
    store.list(scope="public")
    store.shares()


OPERATIONS = [
    save_hot,
    create_scratch,
    delete_scratch,
    rename_scratch,
    describe_hot,
    contest,
    fork_base,
    fork_hot,
    redeem,
    run_hot,
    restore_hot,
    share_and_revoke,
    import_group,
    read_things,
]
WEIGHTS = [14, 8, 4, 4, 5, 8, 8, 5, 12, 10, 5, 5, 3, 17]
