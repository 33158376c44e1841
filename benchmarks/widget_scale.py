"""How the resource browser feels with many resources: first page, keystrokes, paging.

    python benchmarks/widget_scale.py                    # 100,000 resources, SQLite
    python benchmarks/widget_scale.py --count 1000000
    python benchmarks/widget_scale.py --url postgresql+psycopg://postgres@127.0.0.1/bench

One user owns all the resources (the worst case for the "mine" scope), a quarter of them
public. They are seeded in bulk through SQLAlchemy Core on the store's own engine and
tables, then the real ResourceBrowser is driven headless exactly as the tests do
(debounce 0, so each keystroke is one query plus one redraw), inside a running asyncio
loop as in a kernel, which idles for IDLE seconds after the opening as a kernel does
between the opening cell and a person's first click. Prints a Markdown table of
the median and p95 in milliseconds, and the Python memory peak of building the browser
(tracemalloc), which must be bounded by the page, not the table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from resource_magic.schema import resource_table, user_table, version_table
from resource_magic.store import ResourceStore
from resource_magic.validate import search_text
from resource_magic.widgets import ResourceBrowser

USER = "bench-browser"
_WORDS = """
clean load transform join merge filter daily weekly report model train evaluate sales
customer churn forecast plot chart summary export pivot aggregate sample feature score
metric pipeline query json csv parquet warehouse stream batch cache
"""
WORDS = tuple(_WORDS.split())
RARE = "quokka"  # in exactly 3 descriptions: a search that must find needles
BATCH = 10_000
# Seconds the kernel idles after the cell that opened the browser, before the first
# click: less than a person takes to find and click a result.
IDLE = 0.5


def seed(store: ResourceStore, count: int) -> float:
    """Bulk-insert resources (and their version 1) until the user has `count`."""
    engine = store.engine
    with engine.begin() as conn:
        uid = conn.scalar(
            select(user_table.c.id).where(user_table.c.name == store.user)
        )
        if uid is None:
            uid = conn.scalar(
                insert(user_table)
                .values(name=store.user, created_at=datetime.now(UTC))
                .returning(user_table.c.id)
            )
        have = conn.scalar(
            select(func.count())
            .select_from(resource_table)
            .where(resource_table.c.user_id == uid)
        )
    if have >= count:
        return 0.0
    rng = random.Random(20261126)
    start = time.perf_counter()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    rare_at = {have + 7, (have + count) // 2, count - 3}
    for first in range(have, count, BATCH):
        resources, versions = [], []
        for i in range(first, min(first + BATCH, count)):
            name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i:07d}"
            words = rng.sample(WORDS, 6) + ([RARE] if i in rare_at else [])
            description = " ".join(words)
            rid = uuid.uuid4()
            moment = base + timedelta(seconds=i)
            code = f"df = load('{name}')\nprint(len(df))"
            resources.append(
                {
                    "id": rid,
                    "user_id": uid,
                    "name": name,
                    "description": description,
                    "resource_type": "workflow",
                    "content": code,
                    "parameters": None,
                    "execution_count": rng.randrange(50),
                    "fork_count": rng.randrange(5),
                    "is_public": i % 4 == 0,
                    "current_version": 1,
                    "search_text": search_text(name, description),
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
            versions.append(
                {
                    "resource_id": rid,
                    "version": 1,
                    "content": code,
                    "parameters": None,
                    "created_at": moment,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(resource_table), resources)
            conn.execute(insert(version_table), versions)
    # What autovacuum (PostgreSQL) or a long-lived database would have by now: planner
    # statistics for the rows just bulk-inserted, not part of the seeding's cost to
    # users. Without them PostgreSQL plans a rare term as if the table were empty.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def timed(fn, repeat: int) -> list[float]:
    """`repeat` timings of `fn` after one untimed call: with 10 repetitions the p95 is
    the slowest, so a once-per-kernel cost (an import, a regex compiled on first use)
    would otherwise be reported as the p95 of every later call. Such costs get a row
    of their own (`cold`)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def timed_once(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


class Rows:
    """The timed rows, and the full garbage collections (generation 2: a scan of the
    whole heap, 100 ms and more here) that ran while each was measured. CPython runs one
    wherever allocations cross its threshold, so it may land in any row and be that
    row's p95: which row had one is printed under the table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, list[float]]] = []
        self.collections: list[tuple[str, float]] = []
        self._row, self._start = "", 0.0
        gc.callbacks.append(self._observe)

    def measure(self, label: str, samples: Callable[[], list[float]]) -> None:
        self._row = label
        try:
            self.rows.append((label, samples()))
        finally:
            self._row = ""

    def _observe(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        elif self._row:
            ms = (time.perf_counter() - self._start) * 1000
            self.collections.append((self._row, ms))


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--page-size", type=int, default=25)
    args = parser.parse_args(argv)
    return asyncio.run(measure(args))


async def measure(args: argparse.Namespace) -> int:
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'browser.db'}"
    store = ResourceStore(url, user=USER)
    seconds = seed(store, args.count)
    table = Rows()

    def build():
        return ResourceBrowser(
            store=store, shell=None, page_size=args.page_size, debounce_seconds=0
        )

    tracemalloc.start()
    browser = build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await asyncio.sleep(IDLE)  # the kernel, idle after the opening cell
    table.measure(
        "open the browser (first page shown)", lambda: timed(build, args.repeat)
    )
    state = browser.state
    search, next_button, results, sort, scope, page_size = (
        browser.find(f"rm-{name}")
        for name in ("search", "next", "results", "sort", "scope", "page-size")
    )
    table.measure(
        "first page query alone (state.refresh)",
        lambda: timed(state.refresh, args.repeat),
    )

    keys = "clean"
    prefixes = [keys[: n + 1] for n in range(len(keys))]

    def type_word():
        for text in prefixes:
            search.value = text
        search.value = ""

    def keystrokes():
        samples = []
        for _ in range(args.repeat):
            for text in [*prefixes, ""]:
                start = time.perf_counter()
                search.value = text
                samples.append((time.perf_counter() - start) * 1000)
        return samples

    table.measure("one keystroke, common text (query + redraw)", keystrokes)

    def rare():
        search.value = RARE
        assert state.total >= 1, "the rare term must be found"
        search.value = ""

    table.measure(
        "type a rare term and clear it (2 updates)", lambda: timed(rare, args.repeat)
    )

    def next_page():
        next_button.click()

    table.measure("next page", lambda: timed(next_page, args.repeat))

    if hasattr(state, "last_page"):  # keyset paging: read back from the end

        def last_page():
            state.last_page()

        label = "jump to the last page (keyset, read from the end)"
    else:  # offset paging (before keyset paging): the deepest OFFSET

        def last_page():
            state.page = state.page_count - 2
            next_button.click()

        label = "jump to the last page (deep offset)"
    table.measure(label, lambda: timed(last_page, args.repeat))
    if hasattr(state, "first_page"):
        state.first_page()
    page_size.value = args.page_size

    def pick():
        results.value = results.options[0][1]
        results.value = results.options[1][1]

    def first_preview():
        return [timed_once(lambda: setattr(results, "value", results.options[2][1]))]

    table.measure("first preview in this kernel, once (cold)", first_preview)
    table.measure("select a result (2 previews)", lambda: timed(pick, args.repeat))

    def resort():
        sort.value = "name"
        sort.value = "-updated"

    table.measure(
        "sort by name and back (2 queries)", lambda: timed(resort, args.repeat)
    )

    def public():
        scope.value = "public"
        scope.value = "mine"

    table.measure(
        "scope public and back (2 queries)", lambda: timed(public, args.repeat)
    )

    print(f"# Resource browser at {args.count:,} resources\n")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC \u00b7 {store.backend} \u00b7 "
        f"Python {platform.python_version()} \u00b7 {platform.machine()} \u00b7 "
        f"{platform.processor() or platform.platform()} \u00b7 "
        f"page size {args.page_size} \u00b7 {args.repeat} repetitions \u00b7 "
        f"load average {os.getloadavg()[0]:.1f} (1 min, {os.cpu_count()} cores)"
    )
    if seconds:
        print(f"\nSeeded in {seconds:.1f} s.")
    print("\n| action | median ms | p95 ms |\n| --- | ---: | ---: |")
    for label, samples in table.rows:
        median, p95 = summary(samples)
        print(f"| {label} | {median:.1f} | {p95:.1f} |")
    landed = "; ".join(f"{label}, {ms:.0f} ms" for label, ms in table.collections)
    print(f"\nFull garbage collections while measuring: {landed or 'none'}")
    print(f"\nPython memory peak while opening the browser: {peak / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
