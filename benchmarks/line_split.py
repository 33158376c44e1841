"""python -m benchmarks.line_split: how long a %resource line takes to split into
words, by shape and size, against shlex.split (quadratic) where that is bearable.

Each figure is the best of 3 runs on a line of that many characters, in CPU seconds
of this process (time.process_time, so a busy machine does not inflate it); the largest
size is the line limit, past which the answer is a refusal at once.
"""

from __future__ import annotations

import contextlib
import shlex
import time

from resource_magic.errors import InvalidInput
from resource_magic.magic.words import MAX_LINE, split_line

SHAPES = {
    "one plain word": lambda n: "run p -p a=" + "x" * n,
    "one quoted value": lambda n: "run p -p 'a=" + "x y" * (n // 3) + "'",
    "double quotes, escapes": lambda n: 'run p -p "a=' + '\\"x' * (n // 3) + '"',
    "bare escapes": lambda n: "run p -p a=" + "\\ " * (n // 2),
    "many words": lambda n: "run " + "a " * (n // 2),
    "many quoted words": lambda n: "run " + "'' " * (n // 3),
    "unclosed quote": lambda n: 'run "' + "\\x" * (n // 2),
}
SIZES = (125_000, MAX_LINE - 32)
SHLEX_UP_TO = 125_000  # 0.5 s here, 23 s at 1 MB


def _best(function, line: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        with contextlib.suppress(ValueError, InvalidInput):  # the refusals count too
            function(line)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    print("| shape | characters | split_line CPU s | shlex.split CPU s |")
    print("|---|---:|---:|---:|")
    for shape, make in SHAPES.items():
        for size in SIZES:
            line = make(size)
            ours = _best(split_line, line)
            theirs = f"{_best(shlex.split, line):.3f}" if size <= SHLEX_UP_TO else "-"
            print(f"| {shape} | {len(line):,} | {ours:.3f} | {theirs} |")
    over = "x" * (MAX_LINE + 1)
    print(f"| over the limit | {len(over):,} | {_best(split_line, over):.3f} | - |")


if __name__ == "__main__":
    main()
