"""Repeat a callable and summarise its wall time: median and p95 (nearest rank)."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    samples: tuple[float, ...]  # seconds, in the order measured

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median_ms(self) -> float:
        ordered = sorted(self.samples)
        mid = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[mid] * 1000
        return (ordered[mid - 1] + ordered[mid]) / 2 * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] * 1000


def measure(fn: Callable[[], object], repeat: int, warmup: int = 2) -> Stats:
    """Run `fn` warmup times unmeasured, then `repeat` times measured."""
    for _ in range(warmup):
        fn()
    samples = []
    gc.collect()
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Stats(tuple(samples))


def measure_pair(
    first: Callable[[], object],
    second: Callable[[], object],
    repeat: int,
    warmup: int = 2,
) -> tuple[Stats, Stats]:
    """Interleave two callables so drift in machine load hits both alike."""
    for _ in range(warmup):
        first()
        second()
    a, b = [], []
    gc.collect()
    for _ in range(repeat):
        started = time.perf_counter()
        first()
        a.append(time.perf_counter() - started)
        started = time.perf_counter()
        second()
        b.append(time.perf_counter() - started)
    return Stats(tuple(a)), Stats(tuple(b))
