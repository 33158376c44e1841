"""python -m benchmarks: seed, measure, and write benchmarks/RESULTS.md.

    python -m benchmarks                      # 10k and 100k, SQLite and PostgreSQL
    python -m benchmarks --million            # ... and 1M
    python -m benchmarks --sizes 1m --only search,memory --backend postgresql

PostgreSQL: --postgres-url names a server where a database rm_bench_<size> may be
created and dropped (default: RESOURCE_MAGIC_BENCH_POSTGRES_URL, else the local
server at 127.0.0.1:5432). Each run's figures are merged into benchmarks/results.json
(by backend and size), from which RESULTS.md is written, so sizes can be run apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import report
from .timing import Stats

GROUPS = ("seed", "magics", "search", "memory", "load_ext", "first", "connections")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _size(text_: str) -> int:
    text_ = text_.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text_[-1:], 1)
    return int(float(text_.rstrip("km")) * factor)


def _stats(value):
    """Stats and dataclasses -> plain JSON (with median and p95 precomputed)."""
    if isinstance(value, Stats):
        return {
            "median_ms": value.median_ms,
            "p95_ms": value.p95_ms,
            "n": value.n,
            "samples_ms": [round(s * 1000, 3) for s in value.samples],
        }
    if dataclasses.is_dataclass(value):
        out = {
            f.name: _stats(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
        if hasattr(value, "ratio"):
            out["ratio"] = value.ratio
        return out
    if isinstance(value, dict):
        return {k: _stats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stats(v) for v in value]
    return value


def _machine() -> dict:
    import IPython
    import pandas
    import psycopg
    import sqlalchemy

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError):
        memory = "?"
    try:
        import sql  # jupysql

        jupysql = getattr(sql, "__version__", "?")
    except ImportError:
        jupysql = "not installed"
    import sqlite3

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    versions = (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}, "
        f"IPython {IPython.__version__}, pandas {pandas.__version__}, "
        f"jupysql {jupysql}, resource_magic {commit or '?'}"
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
    }


def _context() -> str:
    """When a figure was taken, and how busy the shared machine was."""
    return (
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def _pg_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


class Databases:
    """One database per backend and size: a SQLite file, or rm_bench_<size>."""

    def __init__(self, workdir: Path, pg_admin: str, keep: bool) -> None:
        self.workdir = workdir
        self.pg_admin = pg_admin
        self.keep = keep

    def url(self, backend: str, n: int) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.workdir / f'bench_{n}.db'}"
        return (
            make_url(self.pg_admin)
            .set(database=f"rm_bench_{n}")
            .render_as_string(hide_password=False)
        )

    def exists(self, backend: str, n: int) -> bool:
        if backend == "sqlite":
            return (self.workdir / f"bench_{n}.db").exists()
        return self._pg_has(f"rm_bench_{n}")

    def create(self, backend: str, n: int) -> None:
        self.drop(backend, n)
        if backend == "postgresql":
            self._pg(f'CREATE DATABASE "rm_bench_{n}"')

    def drop(self, backend: str, n: int) -> None:
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.workdir / f'bench_{n}.db'}{suffix}").unlink(
                    missing_ok=True
                )
        else:
            self._pg(f'DROP DATABASE IF EXISTS "rm_bench_{n}" WITH (FORCE)')

    def _pg(self, statement: str) -> None:
        engine = create_engine(self.pg_admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    def _pg_has(self, name: str) -> bool:
        engine = create_engine(self.pg_admin)
        try:
            with engine.connect() as conn:
                return (
                    conn.execute(
                        text("SELECT 1 FROM pg_database WHERE datname = :n"),
                        {"n": name},
                    ).scalar()
                    is not None
                )
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="10k,100k", help="e.g. 10k,100k (default)")
    parser.add_argument("--million", action="store_true", help="also run at 1M")
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument(
        "--only",
        default=",".join(GROUPS),
        help=f"measurement groups: {','.join(GROUPS)}",
    )
    parser.add_argument("--repeat", type=int, default=30, help="repetitions per figure")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("RESOURCE_MAGIC_BENCH_POSTGRES_URL", DEFAULT_PG),
    )
    parser.add_argument(
        "--connections-seconds",
        type=float,
        default=45.0,
        help="how long the many-connections load runs (PostgreSQL only)",
    )
    parser.add_argument("--workdir", default="/tmp/resource_magic_bench")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases, and reuse ones already seeded",
    )
    args = parser.parse_args(argv)

    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.million and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = groups - set(GROUPS) or set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    databases = Databases(workdir, args.postgres_url, args.keep)

    data = report.load()
    machine = _machine()
    if "postgresql" in backends:
        try:
            machine["versions"] += f", PostgreSQL {_pg_version(args.postgres_url)}"
        except Exception as exc:  # unreachable, wrong credentials, bad URL
            reason = str(exc).strip().splitlines()[0][:200]
            parser.error(
                f"cannot use PostgreSQL at {args.postgres_url} ({reason}): pass "
                "--postgres-url URL, or --backend sqlite"
            )
    loads = [os.getloadavg()]

    def save():
        loads.append(os.getloadavg())
        machine["load"] = (
            f"{min(x[0] for x in loads):.1f} to {max(x[0] for x in loads):.1f} "
            f"(1-minute, on {os.cpu_count()} cores)"
        )
        data["machine"] = machine
        report.save(data)
        report.write(data)

    if "load_ext" in groups:
        from .loadext import bench_load_ext, bench_load_ext_inside

        without, with_ = bench_load_ext(max(10, args.repeat // 2))
        inside = bench_load_ext_inside(max(10, args.repeat // 2))
        data["load_ext"] = {
            "without": _stats(without),
            "with": _stats(with_),
            "inside": _stats(inside),
        }
        print(
            f"load_ext: {without.median_ms:.0f} -> {with_.median_ms:.0f} ms", flush=True
        )
        save()

    for backend in backends:
        for n in sizes:
            key = f"{backend}/{n}"
            run = data["runs"].setdefault(key, {})
            url = databases.url(backend, n)
            reuse = args.keep and databases.exists(backend, n) and run.get("seed")
            if not reuse:
                from .seed import seed

                databases.create(backend, n)
                started = time.perf_counter()
                seed(url, n)
                run["seed"] = {
                    "seconds": time.perf_counter() - started,
                    "context": _context(),
                }
                print(f"{key}: seeded in {run['seed']['seconds']:.1f} s", flush=True)
                save()
            try:
                if "search" in groups:
                    from .search import bench_search

                    run["search"] = _stats(bench_search(url, args.repeat))
                    run["search"]["context"] = _context()
                    print(f"{key}: search done", flush=True)
                    save()
                if "memory" in groups:
                    from .memory import bench_memory

                    run["memory"] = bench_memory(url)
                    run["memory_context"] = _context()
                    print(f"{key}: memory {run['memory']}", flush=True)
                    save()
                if "first" in groups:
                    from .firstcell import bench_first_cell

                    places = (("ipython", "first"), ("kernel", "first_kernel"))
                    for where, field in places:
                        first = bench_first_cell(url, max(10, args.repeat // 2), where)
                        run[field] = {**_stats(first), "context": _context()}
                        print(
                            f"{key}: first show {first.show.median_ms:.0f} ms, "
                            f"list {first.list.median_ms:.0f} ms ({where})",
                            flush=True,
                        )
                        save()
                if "magics" in groups:
                    from .magics import bench_magics

                    results = _stats(bench_magics(url, args.repeat))
                    results["repeat"] = args.repeat
                    results["context"] = _context()
                    run["magics"] = results
                    print(f"{key}: magics done", flush=True)
                    save()
                if (
                    "connections" in groups
                    and backend == "postgresql"
                    and n == sizes[0]
                ):  # last: its load adds rows
                    from .connections import bench_connections, markdown

                    load = bench_connections(url, seconds=args.connections_seconds)
                    data["connections"] = {
                        "markdown": markdown(load),
                        "size": n,
                        "errors": len(load.errors),
                        "throughput": load.throughput,
                        "context": _context(),
                    }
                    print(f"{key}: {load.throughput:.0f} operations/s", flush=True)
                    save()
            finally:
                from resource_magic.db import dispose_engines

                dispose_engines()
                if not args.keep:
                    databases.drop(backend, n)
    save()
    print(f"wrote {report.RESULTS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
