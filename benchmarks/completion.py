"""python -m benchmarks.completion [--count N] [--url URL] [--repeat R]: how long Tab
takes on a %resource line, end to end through IPython's completer, at N resources
(default 100,000, seeded as the suite seeds them: 100 users, a quarter public).

Each case is IPython's `Completer.completions(line)` in a real shell with the
extension loaded, as a kernel's complete_request runs it; the target is a p95 under
50 ms. Without --url it seeds a SQLite file in a temporary directory (and removes it);
with --url it seeds that (empty) database.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from .magics import make_shell
from .seed import BENCH_USER, seed, user_name
from .timing import measure

TARGET_P95_MS = 50.0


def _cases(store) -> dict[str, str]:
    mine = store.complete_names("", limit=1)[0]
    first = mine.split("-")[0]
    other = user_name(1)
    return {
        "subcommand": "%resource sh",
        "option": "%resource list --t",
        "my names, one letter": f"%resource show {first[0]}",
        "my names, a word": f"%resource show {first}",
        "my names, no match": "%resource show zzzz",
        "public names, owner/": f"%resource show {other}/",
        "public names, owner/word": f"%resource show {other}/{first}",
        "tags": "%resource list --tag e",
        "versions, NAME@": f"%resource show {mine}@",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--url", help="an empty database to seed (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    workdir = None
    url = args.url
    if url is None:
        workdir = Path(tempfile.mkdtemp(prefix="rm-bench-complete-"))
        url = f"sqlite:///{workdir / 'resources.db'}"
    try:
        seed(url, args.count)
        shell = make_shell(url, BENCH_USER)
        from IPython.core.completer import provisionalcompleter

        from resource_magic.store import ResourceStore

        cases = _cases(ResourceStore(url, BENCH_USER))
        print(f"completion at {args.count:,} resources ({url.split(':')[0]}):")
        print(f"| case | offered | median ms | p95 ms | p95 < {TARGET_P95_MS:.0f} ms |")
        print("| --- | --- | --- | --- | --- |")
        worst = 0.0
        for label, line in cases.items():

            def tab(line=line):
                with provisionalcompleter():
                    return list(shell.Completer.completions(line, len(line)))

            offered = len(tab())
            stats = measure(tab, args.repeat)
            worst = max(worst, stats.p95_ms)
            met = "yes" if stats.p95_ms < TARGET_P95_MS else "NO"
            print(
                f"| {label} | {offered} | {stats.median_ms:.1f} | "
                f"{stats.p95_ms:.1f} | {met} |"
            )
        return 0 if worst < TARGET_P95_MS else 1
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
