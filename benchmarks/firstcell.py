"""The first `%resource` command in a new kernel, on an existing up-to-date database.

Each sample is a fresh `ipython -c` process: timed inside it from just before
`%load_ext resource_magic` to the end of the first `%resource show` (or `list`) cell,
display included (captured as Jupyter would, every mime type formatted). So the figure
is what that first cell costs over a bare IPython: importing the store, SQLAlchemy (and
pandas for a listing), opening the database and checking its schema revision, the query,
the rendering. jupysql's first `%sql` query (load, connect, a page of 50 as a DataFrame)
is measured the same way, interleaved, as the peer.

The first `%resource browse` (the browser built and its first page drawn, ipywidgets
imported) is timed the same way; it has no peer.

`where="kernel"` times the same cells in a fresh Jupyter kernel (ipykernel, started by
jupyter_client) instead: what a notebook user feels. A kernel has already imported
much that a bare IPython has not (asyncio, ssl, importlib.metadata, decimal: all of
which SQLAlchemy's own import pulls in), so the figure there is lower.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass

from resource_magic.store import ResourceStore

from .loadext import _ipython, fresh_env
from .magics import jupysql_page_sql
from .search import _uid
from .seed import BENCH_USER
from .timing import Stats

_TIMED = r"""
import os, time
started, cpu = time.perf_counter(), time.process_time()
from IPython import get_ipython
from IPython.utils.capture import capture_output
shell = get_ipython()
ok = True
with capture_output(stdout=True, stderr=True, display=True):
    for cell in os.environ["RM_FIRST_CELLS"].split("\n@@\n"):
        ok = ok and shell.run_cell(cell, store_history=False).success
print("@first@", time.perf_counter() - started, time.process_time() - cpu, ok)
"""


@dataclass
class FirstCell:
    """Wall time of each first cell, and its CPU time (less hurt by a busy machine)."""

    show: Stats
    list: Stats
    browse: Stats
    jupysql: Stats
    show_cpu: Stats
    list_cpu: Stats
    browse_cpu: Stats
    jupysql_cpu: Stats
    show_source: str


def _cells(url: str, last: str) -> list[str]:
    return [
        "%load_ext resource_magic",
        f"%config ResourceMagic.database_url = {url!r}",
        f"%config ResourceMagic.user = {BENCH_USER!r}",
        last,
    ]


def _jupysql_cells(url: str, page_sql: str) -> list[str]:
    return [
        "%load_ext sql",
        "%config SqlMagic.autopandas = True",
        "%config SqlMagic.displaycon = False",
        f"%sql {url}",
        f"%sql {page_sql}",
    ]


def _parse(stdout: str, cells: list[str]) -> tuple[float, float]:
    line = next(x for x in stdout.splitlines() if x.startswith("@first@"))
    _, wall, cpu, ok = line.split()
    if ok != "True":
        raise RuntimeError(f"a first cell failed: {cells[-1]!r}\n{stdout}")
    return float(wall), float(cpu)


def _timed_in_kernel(cells: list[str], env: dict) -> tuple[float, float]:
    """The cells timed inside a fresh ipykernel, started and shut down around them."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(
        kernel_name="python3",
        env={**env, "RM_FIRST_CELLS": "\n@@\n".join(cells)},
        stderr=subprocess.DEVNULL,  # its "running over TCP" warning, each time
    )
    printed: list[str] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    try:
        client.execute_interactive(_TIMED, timeout=120, output_hook=keep)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return _parse("".join(printed), cells)


def _timed(cells: list[str], env: dict) -> tuple[float, float]:
    cmd = [*_ipython(), "--HistoryManager.enabled=False", "-c", _TIMED]
    out = subprocess.run(
        cmd,
        env={**env, "RM_FIRST_CELLS": "\n@@\n".join(cells)},
        check=True,
        capture_output=True,
        text=True,
    )
    return _parse(out.stdout, cells)


def bench_first_cell(url: str, repeat: int, where: str = "ipython") -> FirstCell:
    """show, list and jupysql's first query, each in fresh processes, interleaved;
    `where`: "ipython" (a bare `ipython -c`) or "kernel" (a fresh Jupyter kernel)."""
    timed = {"ipython": _timed, "kernel": _timed_in_kernel}[where]
    store = ResourceStore(url, user=BENCH_USER)  # the database is at head from here
    name = store.list(limit=1).items[0].name
    sqlite = store.backend == "sqlite"
    store.engine.dispose()
    uid = _uid(url, qmark=sqlite)
    kinds = {
        "show": _cells(url, f"%resource show {name}"),
        "list": _cells(url, "%resource list"),
        "browse": _cells(url, "%resource browse"),
        "jupysql": _jupysql_cells(url, jupysql_page_sql(sqlite, uid)),
    }
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="rm_ipy") as home:
        env = fresh_env(home)
        for i in range(repeat + 1):
            for kind, cells in kinds.items():
                sample = timed(cells, env)
                if i:  # the first round warms the page cache and .pyc files
                    samples[kind].append(sample)

    def wall(kind: str) -> Stats:
        return Stats(tuple(w for w, _ in samples[kind]))

    def cpu(kind: str) -> Stats:
        return Stats(tuple(c for _, c in samples[kind]))

    return FirstCell(
        show=wall("show"),
        list=wall("list"),
        browse=wall("browse"),
        jupysql=wall("jupysql"),
        show_cpu=cpu("show"),
        list_cpu=cpu("list"),
        browse_cpu=cpu("browse"),
        jupysql_cpu=cpu("jupysql"),
        show_source=f"%resource show {name}",
    )
