"""Peak Python memory (tracemalloc) of one `%resource list` cell and of the browser's
first page: both must be bounded by the page, not by the table."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

from .magics import make_shell, run_cell
from .seed import BENCH_USER


def _peak(action: Callable[[], object]) -> int:
    action()  # warm: imports, statement caches, the store opened
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_memory(url: str) -> dict[str, int]:
    """Peak bytes allocated showing the first page: by the magic, by the browser."""
    from resource_magic.store import ResourceStore
    from resource_magic.widgets import ResourceBrowser

    shell = make_shell(url)
    store = ResourceStore(url, user=BENCH_USER)
    peaks = {
        "list": _peak(lambda: run_cell(shell, "%resource list")),
        "browser": _peak(lambda: ResourceBrowser(store=store, shell=shell)),
    }
    store.engine.dispose()
    return peaks
