"""Where plugrad's time goes in one workload: cProfile's top entries over many steps.

Usage (from the repository root)::

    python benchmarks/profile_plugrad.py overhead            # 500 steps, top 25 by own time
    python benchmarks/profile_plugrad.py mlp --steps 20 --sort cumulative --top 40

The step profiled is exactly the one ``run.py`` times (``frameworks/bench_plugrad.py``).
It also prints the minor page faults per step: memory the step faulted in afresh (see
``PLUGRAD_MALLOC`` in ``plugrad_backends/_malloc.py``). cProfile adds a roughly constant
cost per Python call, so it inflates the share of small Python functions; compare the
totals with ``run.py``'s unprofiled times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

try:
    import resource
except ImportError:  # not on Windows
    resource = None

import problems
from frameworks import bench_plugrad


def _minor_faults() -> float:
    """Minor page faults of this process so far (memory faulted in afresh), NaN if unknown."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=list(problems.BUILDERS))
    parser.add_argument("--steps", type=int, help="steps profiled (default 500 overhead, 20 else)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=25, help="entries shown")
    args = parser.parse_args(argv)
    steps = args.steps or (500 if args.workload == "overhead" else 20)

    step = bench_plugrad.build(problems.BUILDERS[args.workload]()).step
    for _ in range(3):  # warm up
        step()
    faults0 = _minor_faults()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    plain = (time.perf_counter() - t0) / steps
    faults = (_minor_faults() - faults0) / steps
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    print(f"{args.workload}: {plain * 1e3:.3f} ms per step without the profiler, {steps} steps")
    print(f"minor page faults per step: {faults:.1f}")
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
