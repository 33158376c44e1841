"""How long the secret scan takes before something becomes visible to others.

    python benchmarks/secret_scan.py            # texts of 1 MiB (the content limit)
    python benchmarks/secret_scan.py --size 65536

Times `secretscan.scan_text` (what share / --public / import run on the content, each
parameter default and each text output) on ordinary code, on data shaped to be slow
(one long line of base64, a minified JSON object full of secret-sounding keys), and on a
small cell; plus the one-off cost of building detect-secrets' detectors (its import).
Prints a Markdown table of the best of a few runs in milliseconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import random
import sys
import time
from pathlib import Path

from resource_magic import secretscan


def ordinary_code(size: int) -> str:
    """The installed pandas' own source: real code with strings, hashes, URLs."""
    import pandas

    root = Path(pandas.__file__).parent / "core"
    text = "".join(p.read_text() for p in sorted(root.glob("*.py")))
    return (text * (1 + size // max(1, len(text))))[:size]


def texts(size: int) -> dict[str, str]:
    rng = random.Random(12)
    return {
        "ordinary Python": ordinary_code(size),
        "one line of base64": base64.b64encode(rng.randbytes(size * 3 // 4)).decode(),
        "minified JSON, secret-sounding keys": json.dumps(
            {f"api_key_{i}": f"value-{i}" for i in range(size // 20)}
        )[:size],
        "a 1 KiB cell": ("import pandas as pd\ndf = pd.read_csv('data.csv')\n" * 24)[
            :1024
        ],
    }


def best_ms(text: str, runs: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(list(secretscan.scan_text(text)))
        times.append(time.perf_counter() - start)
    return min(times) * 1000, found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1 << 20, help="bytes per text")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    secretscan.detectors()
    build = (time.perf_counter() - start) * 1000
    print(f"Python {sys.version.split()[0]}, {platform.machine()}, size {args.size:,}")
    print()
    print("| text | ms | findings |")
    print("| --- | ---: | ---: |")
    print(f"| building the detectors (once per process) | {build:.0f} | |")
    for name, text in texts(args.size).items():
        ms, found = best_ms(text, args.runs)
        print(f"| {name} ({len(text):,} characters) | {ms:.1f} | {found} |")


if __name__ == "__main__":
    main()
