"""What `%load_ext resource_magic` adds to a fresh IPython process, whole-process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .timing import Stats


def _ipython() -> list[str]:
    beside = Path(sys.executable).with_name("ipython")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "IPython"]


def fresh_env(home: str) -> dict[str, str]:
    """The environment of a fresh measured process: its own IPython directory, and
    .pyc files written (PYTHONDONTWRITEBYTECODE, which some machines set, dropped).
    The warm-up run writes them, as a user's first import of an editable checkout
    does (and pip writes them when it installs): without it every sample compiled
    this package's source again, ~100 ms of a first `show` that no user pays
    (median of 10 interleaved pairs, 473 -> 367 ms), while the peer's installed
    modules had theirs."""
    env = {**os.environ, "IPYTHONDIR": home}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


_INSIDE = (
    "import time; t = time.perf_counter(); "
    "get_ipython().run_line_magic('load_ext', 'resource_magic'); "
    "print(time.perf_counter() - t)"
)


def bench_load_ext_inside(repeat: int) -> Stats:
    """The same, timed inside each fresh process: the magic call alone, less noisy."""
    with tempfile.TemporaryDirectory(prefix="rm_ipy") as home:
        env = fresh_env(home)
        cmd = [*_ipython(), "--HistoryManager.enabled=False", "-c", _INSIDE]
        samples = []
        for i in range(repeat + 1):
            out = subprocess.run(
                cmd, env=env, check=True, capture_output=True, text=True
            )
            if i:  # the first one warms the page cache and .pyc files
                samples.append(float(out.stdout.strip().splitlines()[-1]))
    return Stats(tuple(samples))


def bench_load_ext(repeat: int) -> tuple[Stats, Stats]:
    """(without, with): `ipython -c` wall time, the two interleaved, after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="rm_ipy") as home:
        env = fresh_env(home)
        plain = [*_ipython(), "--HistoryManager.enabled=False", "-c", "pass"]
        loaded = [
            *_ipython(),
            "--HistoryManager.enabled=False",
            "-c",
            "%load_ext resource_magic",
        ]

        def timed(cmd: list[str]) -> float:
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        for _ in range(2):  # page cache, .pyc files
            timed(plain)
            timed(loaded)
        without, with_ = [], []
        for _ in range(repeat):
            without.append(timed(plain))
            with_.append(timed(loaded))
    return Stats(tuple(without)), Stats(tuple(with_))
