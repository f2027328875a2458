"""Hand-written numpy, no tape: the floor of the overhead workload.

The forward pass keeps what the backward pass needs, the backward pass is written out by
hand; this is what any tape-based framework on numpy pays at least.
"""

from __future__ import annotations

import numpy as np
from problems import LR, OVERHEAD_REPEATS, Problem

from frameworks import Built, Skip

NAME = "numpy"


def available() -> str | None:
    return None


def version() -> str:
    return f"numpy {np.__version__}"


def build(problem: Problem) -> Built:
    if problem.name != "overhead":
        raise Skip("the hand-written floor exists for overhead only")
    w = problem.params["w"].copy()
    b = problem.params["b"].copy()
    x = problem.data["x"]

    def step() -> np.float32:
        # forward: h*w, h+b, tanh, h*0.5, exp, keeping h (before *w), tanh and exp outputs
        saved = []
        h = x
        for _ in range(OVERHEAD_REPEATS):
            t = np.tanh(h * w + b)
            e = np.exp(t * 0.5)
            saved.append((h, t, e))
            h = e
        loss = h.sum()
        # backward
        g = np.ones_like(h)
        gw = np.zeros_like(w)
        gb = np.zeros_like(b)
        for h_in, t, e in reversed(saved):
            g = g * e * 0.5
            g = g * (1 - t * t)
            gb += g
            gw += g * h_in
            g = g * w
        w[:] -= LR * gw
        b[:] -= LR * gb
        return loss

    return Built(step, w.size + b.size, "forward and backward written out by hand")
