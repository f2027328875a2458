"""plugrad-distributed on this machine: gradient traffic, allreduce time, 2 ranks against 2 threads.

Usage (from the repository root; the script starts its own mpiexec runs)::

    python benchmarks/distributed.py                 # both parts, 5 rounds
    python benchmarks/distributed.py --rounds 9 --steps 20

Part 1, under ``mpiexec -n 2``: for the parameter sets of the MLP (784-512-512-10) and LeNet
workloads of ``problems.py`` (float32), the bytes each rank hands to the allreduce per
training step (one gradient per parameter; a ring allreduce puts 2 (N-1)/N of that on each
rank's link) and the time of ``average_gradients`` over them (one bucket), median of rounds.

Part 2, the MLP's training step on a global batch of 128: one process with 2 BLAS threads
on the whole batch, against ``mpiexec -n 2`` with 1 thread per rank on 64 instances each
and ``chain(AllReduceMean(), SGD())``. The two take turns, round by round; ms per global
step, median of rounds. One process with 1 thread is timed too, as the yardstick: on a
busy machine OpenBLAS's second thread can cost more than it gives (its threads spin while
they wait), and the load average is printed so that such a run can be recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import problems

HERE = Path(__file__).resolve().parent


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


def _run(worker: str, ranks: int, threads: int, out: Path, *args: str) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", worker, "--out", str(out)]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks), *cmd]
    subprocess.run([*cmd, *args], check=True, env=env, timeout=600)
    return json.loads(out.read_text())


# -- workers (run inside the launched processes) ------------------------------------------


def _params(problem: problems.Problem) -> list:
    import plugrad_autograd as ag

    return [ag.Param(v.copy()) for v in problem.params.values()]


def _traffic_worker(out: Path, rounds: int, steps: int) -> None:
    import plugrad_distributed as dist

    result = {}
    for problem in (problems.mlp(), problems.lenet()):
        grads = [v.copy() for v in problem.params.values()]
        dist.average_gradients(grads)  # plan and check the layout once
        dist.reset_traffic()
        dist.average_gradients(grads)
        traffic = dist.traffic()
        times = []
        for _ in range(rounds):
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(steps):
                dist.average_gradients(grads)
            times.append((time.perf_counter() - t0) / steps)
        worst = dist.allreduce(np.array(statistics.median(times)), op="max")
        result[problem.name] = {
            "params": problem.n_params,
            "bytes": traffic.bytes,
            "messages": traffic.messages,
            "ms": float(worst) * 1e3,
            "world": dist.world_size(),
        }
    if dist.rank() == 0:
        out.write_text(json.dumps(result))


def _mlp_worker(out: Path, steps: int) -> None:
    import plugrad_autograd as ag
    import plugrad_distributed as dist
    import plugrad_nn as nn
    import plugrad_optim as optim

    problem = problems.mlp()
    r, world = dist.rank(), dist.world_size()
    x, y = problem.data["x"][r::world], problem.data["y"][r::world]
    w1, b1, w2, b2, w3, b3 = _params(problem)
    ps = [w1, b1, w2, b2, w3, b3]
    opt = optim.chain(dist.AllReduceMean(), optim.SGD(lr=problems.LR))

    def loss():
        h = nn.relu(x @ w1 + b1)
        h = nn.relu(h @ w2 + b2)
        return nn.nll(h @ w3 + b3, y)

    def step():
        tape = ag.diff(loss)
        optim.update(ps, [ag.grad(tape, p) for p in ps], opt)

    for _ in range(3):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    seconds = (time.perf_counter() - t0) / steps
    if r == 0:
        out.write_text(json.dumps({"ms": seconds * 1e3}))


# -- the report ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="steps timed per sample")
    parser.add_argument("--worker", choices=("traffic", "mlp"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "traffic":
        _traffic_worker(args.out, args.rounds, args.steps)
        return 0
    if args.worker == "mlp":
        _mlp_worker(args.out, args.steps)
        return 0
    folder = Path(tempfile.mkdtemp())
    traffic = _run("traffic", 2, 1, folder / "t.json", "--rounds", str(args.rounds))
    print("allreduce of one step's gradients, 2 ranks x 1 thread, float32, one bucket:")
    print(
        f"{'workload':<8} {'params':>9} {'bytes/step/rank':>16} {'ring link bytes':>16} "
        f"{'msgs':>5} {'ms':>8}"
    )
    for name, t in traffic.items():
        ring = 2 * (t["world"] - 1) / t["world"] * t["bytes"]
        print(
            f"{name:<8} {t['params']:>9} {t['bytes']:>16} {ring:>16.0f} "
            f"{t['messages']:>5} {t['ms']:>8.3f}"
        )
    variants = {"1 process x 2 threads": (1, 2), "2 ranks x 1 thread": (2, 1)}
    variants["1 process x 1 thread"] = (1, 1)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.rounds):
        for name, (ranks, threads) in variants.items():
            res = _run("mlp", ranks, threads, folder / "m.json", "--steps", str(args.steps))
            times[name].append(res["ms"])
    print("\nMLP training step, global batch 128 (ms per step, median of rounds, taking turns):")
    for name, values in times.items():
        rounds = ", ".join(f"{v:.1f}" for v in values)
        print(f"  {name:<22}: {statistics.median(values):8.2f}   (rounds: {rounds})")
    two_threads = statistics.median(times["1 process x 2 threads"])
    two_ranks = statistics.median(times["2 ranks x 1 thread"])
    print(f"  ratio 2 ranks / 2 threads: {two_ranks / two_threads:.2f}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"  load average (1, 5, 15 min) at the end: {load} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
