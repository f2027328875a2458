"""Do the compiled kernels' threads and BLAS's threads busy-wait against each other?

Each setting runs in a fresh process (OpenMP reads its wait policy when it loads): a loop
that alternates numpy GEMMs (OpenBLAS's pool) with compiled kernels (the plugin's OpenMP
pool), then sleeps briefly, as a training step alternates them. It reports the wall time
and the CPU time the process used per iteration. Threads that spin while the other pool
works, or while nothing runs, show up as CPU time beyond the work itself; on a machine with
few cores they also slow the other pool down.

Usage (from the repository root)::

    python benchmarks/threads.py              # the plugin's default (passive) against active
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, time
import numpy as np
import plugrad_backends as B
import plugrad_cpu_kernels as K
B.get("cpu")
kernels = K.kernel_table()
rng = np.random.default_rng(0)
a = rng.random((384, 384), dtype=np.float32)
x = rng.normal(size=(1 << 21,)).astype(np.float32)
def step():
    for _ in range(3):
        a @ a                      # OpenBLAS's threads work, the plugin's are idle
        kernels["tanh"](x)         # the plugin's threads work, OpenBLAS's are idle
    time.sleep(0.002)              # both idle, as between a step's Python ops
step()
n = 40
w0, c0 = time.perf_counter(), time.process_time()
for _ in range(n):
    step()
wall, cpu = (time.perf_counter() - w0) / n, (time.process_time() - c0) / n
print(json.dumps({"wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3,
                  "policy": os.environ.get("OMP_WAIT_POLICY"), "threads": K.num_threads()}))
"""

SETTINGS = {
    "passive (plugin default)": {},
    "active (spinning OpenMP threads)": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "10000000"},
}


def run(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(extra)
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    rounds = 3
    results: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    for _ in range(rounds):  # interleaved, so machine drift hits both alike
        for name, extra in SETTINGS.items():
            results[name].append(run(extra))
    print(f"{'setting':<34} {'wall ms/iter':>13} {'CPU ms/iter':>12} {'CPU/wall':>9}")
    for name, rows in results.items():
        wall = sorted(r["wall_ms"] for r in rows)[rounds // 2]
        cpu = sorted(r["cpu_ms"] for r in rows)[rounds // 2]
        print(f"{name:<34} {wall:>13.2f} {cpu:>12.2f} {cpu / wall:>9.2f}")
    print(f"threads: {rows[0]['threads']}; load: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
