"""The fused CPU updates of plugrad-optim against its portable path, on an MLP's weights.

Usage (from the repository root)::

    python benchmarks/optimizers.py            # 9 rounds, 40 updates per sample

Each round times ``update`` of the 784-512-512-10 MLP's six float32 weights (670k numbers)
with the CPU backend's kernels removed (the portable path) and installed (fused), in turn;
the table gives the median time per update of all six weights and the median ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import plugrad_backends as B
import plugrad_optim as po

SHAPES = [(784, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
RULES = {
    "SGD": lambda: po.SGD(lr=0.1),
    "Momentum": lambda: po.Momentum(lr=0.1),
    "Nesterov": lambda: po.Nesterov(lr=0.1),
    "Adagrad": lambda: po.Adagrad(),
    "Rmsprop": lambda: po.Rmsprop(),
    "Adadelta": lambda: po.Adadelta(),
    "Adam": lambda: po.Adam(),
}


def _per_update(make, kernels: dict, installed: dict, updates: int) -> float:
    kernels.clear()
    kernels.update(installed)
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-3 for s in SHAPES]
    opt = make()
    po.update(weights, grads, opt)  # creates the state
    t0 = time.perf_counter()
    for _ in range(updates):
        po.update(weights, grads, opt)
    return (time.perf_counter() - t0) / updates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--updates", type=int, default=40)
    args = parser.parse_args(argv)
    kernels = B.get("cpu").kernels
    fused = dict(kernels)
    print(f"{'rule':<9} {'portable':>10} {'fused':>10} {'fused/portable':>15}  (ms per update)")
    try:
        for name, make in RULES.items():
            slow, fast = [], []
            for _ in range(args.rounds):
                slow.append(_per_update(make, kernels, {}, args.updates))
                fast.append(_per_update(make, kernels, fused, args.updates))
            ratio = statistics.median(f / s for f, s in zip(fast, slow))
            print(
                f"{name:<9} {statistics.median(slow) * 1e3:>10.3f} "
                f"{statistics.median(fast) * 1e3:>10.3f} {ratio:>15.2f}"
            )
    finally:
        kernels.clear()
        kernels.update(fused)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
