"""How much a second thread buys plugrad and PyTorch: one step at 1 thread and at the default.

plugrad's threads are BLAS's (numpy's elementwise passes run on one thread); PyTorch's are
its intra-op pool. The ratio 1-thread / default says how well each framework uses the
cores it is given, which is where the two differ most on a small machine.

Usage (from the repository root)::

    python benchmarks/scaling.py                      # mlp, lenet, lstm; 5 rounds
    python benchmarks/scaling.py --workloads lstm --rounds 9

Each round times plugrad at default threads, plugrad at 1, torch at default, torch at 1
(one ``timing.sample`` of ``steps`` steps each); the table gives medians over rounds.
"""

from __future__ import annotations

import argparse
import statistics

import problems
import threadpoolctl
import timing
from frameworks import bench_plugrad, bench_torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="mlp,lenet,lstm")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="steps timed per sample")
    args = parser.parse_args(argv)
    import torch

    default_threads = torch.get_num_threads()
    controller = threadpoolctl.ThreadpoolController()
    print(
        f"{'workload':<9} {'plugrad N':>10} {'plugrad 1':>10} {'gain':>5}   "
        f"{'torch N':>9} {'torch 1':>9} {'gain':>5}   (ms/step, N = default threads)"
    )
    for name in args.workloads.split(","):
        problem = problems.BUILDERS[name]()
        ours = bench_plugrad.build(problem).step
        theirs = bench_torch.build(problem).step
        for step in (ours, theirs):
            timing.sample(step, 3)  # warm up
        rows: dict[str, list[float]] = {k: [] for k in ("pN", "p1", "tN", "t1")}
        for _ in range(args.rounds):
            rows["pN"].append(timing.sample(ours, args.steps))
            with controller.limit(limits=1, user_api="blas"):
                rows["p1"].append(timing.sample(ours, args.steps))
            rows["tN"].append(timing.sample(theirs, args.steps))
            torch.set_num_threads(1)
            rows["t1"].append(timing.sample(theirs, args.steps))
            torch.set_num_threads(default_threads)
        m = {k: statistics.median(v) * 1e3 for k, v in rows.items()}
        print(
            f"{name:<9} {m['pN']:>10.1f} {m['p1']:>10.1f} {m['p1'] / m['pN']:>5.2f}   "
            f"{m['tN']:>9.1f} {m['t1']:>9.1f} {m['t1'] / m['tN']:>5.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
