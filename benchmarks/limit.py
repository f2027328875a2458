"""The physical floor: numpy's float32 GEMM rate, and each workload's GEMM-only step.

Each workload lists the matrix products of one training step (``Problem.gemms``: the
forward product of every dense layer and of every convolution written as im2col, and the
two backward products, ``x.T @ dy`` and ``dy @ W.T``, the latter only where the input
needs a gradient). The GEMM-only step runs exactly those products with numpy on float32
operands: the step time if the step did nothing but its FLOPs, at the rate this machine's
BLAS reaches on those very shapes. Elementwise work, reductions, im2col copies and pooling
come on top of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from problems import Problem

#: square sizes whose best rate is reported as the machine's peak
PEAK_SIZES = (256, 512, 1024, 2048)


def gemm_seconds(m: int, k: int, n: int, min_time: float, repeats: int) -> float:
    """Best seconds of one float32 ``(m, k) @ (k, n)`` product with numpy (what the machine
    can do: on a shared machine the best of several samples is the least disturbed)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=out)
    t0 = time.perf_counter()
    np.matmul(a, b, out=out)
    once = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / once))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            np.matmul(a, b, out=out)
        samples.append((time.perf_counter() - t0) / inner)
    return min(samples)


def gemm_step(problem: Problem) -> Callable[[], float]:
    """A "training step" that does nothing but the workload's matrix products, with numpy.

    Operands are allocated once per distinct shape; timed by ``run.py`` in the same rounds
    as the frameworks, so that it sees the same machine.
    """
    rng = np.random.default_rng(0)
    operands = {}
    for m, k, n in set(problem.gemms):
        operands[m, k, n] = (
            rng.standard_normal((m, k), dtype=np.float32),
            rng.standard_normal((k, n), dtype=np.float32),
            np.empty((m, n), dtype=np.float32),
        )
    products = [operands[shape] for shape in problem.gemms]

    def step() -> float:
        for a, b, out in products:
            np.matmul(a, b, out=out)
        return 0.0

    return step


def peak_rates(quick: bool = False) -> dict[int, float]:
    """numpy's float32 GFLOP/s on square products of each of PEAK_SIZES."""
    min_time, repeats = (0.01, 3) if quick else (0.1, 7)
    return {
        s: 2 * s**3 / gemm_seconds(s, s, s, min_time=min_time, repeats=repeats) / 1e9
        for s in PEAK_SIZES
    }
