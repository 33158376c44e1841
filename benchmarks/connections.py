"""Many kernels on one PostgreSQL: a mixed load from 10 processes x 5 threads.

    python -m benchmarks.connections --url postgresql+psycopg://postgres@127.0.0.1/db

Each process is one user's kernel (its own ResourceStore, so its own pool of 5), forked
from a parent that has already used the store (the case the at-fork hook in db.py is
for); each of its threads loops over save, list, search, show, open, fork and share
for the given time. Reports throughput, p50/p95 per operation, every error (the target
is none), the client processes' CPU against wall time, and what the server's sessions
were waiting on (pg_stat_activity sampled twice a second): where the time goes.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import random
import threading
import time
import traceback
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from resource_magic.store import ResourceStore

OPS = ("save", "list", "search", "show", "open", "fork", "share")
OWNER = "conn-owner"


@dataclass
class LoadResult:
    seconds: float
    processes: int
    threads: int
    operations: int
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    client_cpu_s: float = 0.0
    waits: dict[str, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.operations / self.seconds


def _prepare(url: str) -> tuple[str, str]:
    """The shared public resource and a token to it; used in this (parent) process."""
    owner = ResourceStore(url, user=OWNER)
    owner.save("shared", "x = 1", description="a shared data step", is_public=True)
    token = owner.share("shared").token
    owner.list("data")
    return f"{OWNER}/shared", token


def _thread(store, source, token, worker, stop_at, out, errors) -> None:
    rng = random.Random(worker)
    mine = f"t{worker}"
    try:
        store.save(mine, "x = 0", description="data for the load")
    except Exception:
        errors.append(f"setup: {traceback.format_exc(limit=2)}")
        return
    k = 0
    while time.perf_counter() < stop_at:
        op = OPS[k % len(OPS)] if k < len(OPS) else rng.choice(OPS)
        k += 1
        started = time.perf_counter()
        try:
            if op == "save":
                store.save(mine, f"x = {k}")
            elif op == "list":
                store.list()
            elif op == "search":
                store.list("data")
            elif op == "show":
                store.get_with_attachments(mine)
            elif op == "open":
                store.open(token)
            elif op == "fork":
                store.fork(source, f"{mine}-fork-{k}")
            elif op == "share":
                store.share(mine)
        except Exception:
            errors.append(f"{op}: {traceback.format_exc(limit=2)}")
            continue
        out[op].append((time.perf_counter() - started) * 1000)


def _process(url, source, token, index, threads, seconds, queue) -> None:
    store = ResourceStore(url, user=f"conn-{index:02d}")
    out = collections.defaultdict(list)
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds
    workers = [
        threading.Thread(
            target=_thread,
            args=(store, source, token, index * 100 + t, stop_at, out, errors),
        )
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    cpu = sum(os.times()[:2])
    queue.put((dict(out), errors, cpu))


def sample_waits(url: str, stop: threading.Event, waits: collections.Counter) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            while not stop.wait(0.5):
                rows = conn.execute(
                    text(
                        "SELECT coalesce(wait_event_type || ':' || wait_event, "
                        "'running'), count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'active' "
                        "AND pid <> pg_backend_pid() GROUP BY 1"
                    )
                ).all()
                for name, count in rows:
                    waits[name] += count
    finally:
        engine.dispose()


def bench_connections(
    url: str, processes: int = 10, threads: int = 5, seconds: float = 45.0
) -> LoadResult:
    source, token = _prepare(url)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    waits: collections.Counter = collections.Counter()
    stop = threading.Event()
    sampler = threading.Thread(target=sample_waits, args=(url, stop, waits))
    sampler.start()
    started = time.perf_counter()
    procs = [
        context.Process(
            target=_process, args=(url, source, token, i, threads, seconds, queue)
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(60)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    result = LoadResult(wall, processes, threads, 0, waits=dict(waits))
    for out, errors, cpu in reports:
        for op, samples in out.items():
            result.latencies_ms.setdefault(op, []).extend(samples)
            result.operations += len(samples)
        result.errors += errors
        result.client_cpu_s += cpu
    return result


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def markdown(result: LoadResult, ops: tuple[str, ...] = OPS) -> str:
    """The figures as RESULTS.md shows them (`ops`: the rows, in order)."""
    cores = os.cpu_count() or 1
    lines = [
        f"{result.processes} processes x {result.threads} threads, "
        f"{result.seconds:.0f} s, load average {os.getloadavg()[0]:.1f} "
        f"({cores} cores): **{result.throughput:.0f} operations/s**, "
        f"{len(result.errors)} errors; client CPU {result.client_cpu_s:.0f} s "
        f"= {result.client_cpu_s / (result.seconds * cores):.0%} of the machine.",
        "",
        "| operation | count | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for op in ops:
        samples = result.latencies_ms.get(op, [])
        if samples:
            lines.append(
                f"| {op} | {len(samples)} | {percentile(samples, 0.5):.1f} | "
                f"{percentile(samples, 0.95):.1f} |"
            )
    total = sum(result.waits.values()) or 1
    top = sorted(result.waits.items(), key=lambda kv: -kv[1])[:6]
    lines += [
        "",
        "Server sessions, sampled: "
        + ", ".join(f"{name} {count / total:.0%}" for name, count in top),
    ]
    if result.errors:
        lines += ["", "First error:", "", "```", result.errors[0], "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL database URL")
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=45.0)
    args = parser.parse_args(argv)
    result = bench_connections(args.url, args.processes, args.threads, args.seconds)
    print(markdown(result))
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
