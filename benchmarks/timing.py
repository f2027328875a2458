"""Interleaved timing: every framework takes a turn in each round, so drift hits all alike.

One sample is ``n`` consecutive training steps timed together (``n`` chosen per framework
so that a sample lasts about ``target`` seconds), divided by ``n``. Before each sample the
garbage collector runs once; it stays enabled during the sample, as in real training.
Round ``r`` starts with the ``r``-th framework (A B C, B C A, C A B, ...), so that no
framework always runs right after the same one.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Step = Callable[[], Any]


def steps_per_sample(step: Step, target: float) -> int:
    """Warm up and choose how many steps make a ``target``-second sample.

    At least three warm-up steps, each timed alone; the fastest sets the count (a slow
    first step or a burst of load must not shrink the samples to a single step).
    """
    t_start = time.perf_counter()
    fastest = float("inf")
    k = 0
    while k < 3 or (time.perf_counter() - t_start < target / 2 and k < 10_000):
        t0 = time.perf_counter()
        float(step())
        fastest = min(fastest, time.perf_counter() - t0)
        k += 1
    return max(1, round(target / fastest))


def sample(step: Step, n: int) -> float:
    """Seconds per step over ``n`` consecutive steps."""
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(n):
        out = step()
    float(out)  # waits for asynchronous frameworks
    return (time.perf_counter() - t0) / n


@dataclass
class Series:
    """The per-step times of one framework on one workload, one per round."""

    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)


def interleave(steps: dict[str, tuple[Step, int]], rounds: int) -> dict[str, Series]:
    """Run ``rounds`` rounds; in each, one sample of every framework in rotated order."""
    names = list(steps)
    series = {name: Series() for name in names}
    for r in range(rounds):
        shift = r % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            step, n = steps[name]
            series[name].times.append(sample(step, n))
    return series


def paired_ratios(a: Series, b: Series) -> list[float]:
    """``a / b`` round by round (the two samples of a round ran close together in time)."""
    return [x / y for x, y in zip(a.times, b.times)]
