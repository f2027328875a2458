"""Launching test scripts under mpiexec, and the small model the training tests share."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_data
import plugrad_distributed as dist
import plugrad_optim as optim

HERE = Path(__file__).parent


def mpiexec() -> str:
    """The mpiexec of this Python's environment (the mpich wheel's), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        raise RuntimeError("no mpiexec: pip install mpich (plugrad-distributed depends on it)")
    return found


def launch(
    n: int, code: str, folder: Path, *args: str, timeout: float = 120, launcher: str = "mpiexec"
):
    """Run ``code`` on ``n`` processes; return (completed process, seconds).

    ``launcher`` is ``"mpiexec"`` or ``"plugrad_distributed"`` (``python -m
    plugrad_distributed``). The script gets ``folder`` as ``sys.argv[1]`` (for its results:
    mpiexec's forwarding of the ranks' stdout can lose the last lines of a rank that exits),
    then ``args``.
    """
    script = folder / f"script_{time.monotonic_ns()}.py"
    header = f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
    script.write_text(header + textwrap.dedent(code))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.monotonic()
    runner = [mpiexec()] if launcher == "mpiexec" else [sys.executable, "-m", launcher]
    done = subprocess.run(
        [*runner, "-n", str(n), sys.executable, str(script), str(folder), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return done, time.monotonic() - start


def check(done, folder: Path | None = None, n: int = 0) -> None:
    """The run succeeded; with ``folder``, every one of the ``n`` ranks wrote ``ok.<rank>``."""
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    if folder is not None:
        assert sorted(p.name for p in folder.glob("ok.*")) == [f"ok.{r}" for r in range(n)]


def ok(rank: int) -> None:
    """Record in the launch folder that this rank finished its checks."""
    (Path(sys.argv[1]) / f"ok.{rank}").write_text("ok")


# -- the model ------------------------------------------------------------------------------

N_IN, N_HIDDEN, N_OUT, N_DATA = 5, 7, 3, 96
BATCH = 4  # per rank
EPOCHS = 2  # 96 instances: 12 steps per epoch on 2 ranks, 8 on 3
CASES = [(d, r) for d in ("float64", "float32") for r in ("sgd", "adam")]


def dataset(dtype: str):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N_DATA, N_IN)).astype(dtype)
    y = np.sin(x @ rng.standard_normal((N_IN, N_OUT))).astype(dtype)
    return x, y


def model(dtype: str, seed: int) -> list[ag.Param]:
    rng = np.random.default_rng(seed)
    shapes = [(N_IN, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, N_OUT), (N_OUT,)]
    return [ag.Param((0.5 * rng.standard_normal(s)).astype(dtype)) for s in shapes]


def loss(ps, x, y):
    w1, b1, w2, b2 = ps
    return ag.mean((ag.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2)


def rule(name: str):
    return optim.SGD(lr=0.1) if name == "sgd" else optim.Adam(lr=0.01)


def train(ps, dtype: str, rule_name: str, epochs: range, batchsize: int, shard=None):
    """Train ``ps`` for ``epochs`` with the averaged gradients; each epoch reseeds the order."""
    x, y = dataset(dtype)
    opt = optim.chain(dist.AllReduceMean(), rule(rule_name))
    for epoch in epochs:
        B.seed(1000 + epoch)
        data = plugrad_data.minibatch(x, y, batchsize=batchsize, shuffle=True, shard=shard)
        optim.train(lambda x, y: loss(ps, x, y), data, opt)
    return ps
