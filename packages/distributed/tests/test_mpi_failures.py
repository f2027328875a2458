"""A rank that raises or is killed ends the whole run with an error, never a hang."""

import re

import pytest
from dist_helpers import launch

FAIL = """
import os, signal
import numpy as np
import plugrad_distributed as dist
from dist_helpers import model, train

how = sys.argv[2]
r = dist.rank()
ps = model("float64", seed=1)
for step in range(10_000):  # far longer than the test waits
    if step == 5 and r == 1:
        if how == "raise":
            raise RuntimeError("the data file of rank 1 is unreadable")
        os.kill(os.getpid(), signal.SIGKILL)
    dist.average_gradients([p.value for p in ps])
"""


@pytest.mark.parametrize("n", [2, 3])
def test_a_rank_that_raises_aborts_the_run_naming_itself(tmp_path, n):
    done, seconds = launch(n, FAIL, tmp_path, "raise", timeout=60)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert f"plugrad_distributed: rank 1 of {n} failed with RuntimeError: the data file" in out
    assert "MPI_Abort" in out
    assert seconds < 60


@pytest.mark.parametrize("launcher", ["mpiexec", "plugrad_distributed"])
def test_a_killed_rank_ends_the_run_with_an_error(tmp_path, launcher):
    done, seconds = launch(2, FAIL, tmp_path, "kill", timeout=60, launcher=launcher)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "BAD TERMINATION" in out and "signal 9" in out  # mpiexec's report: pid and signal
    if launcher == "plugrad_distributed":  # python -m plugrad_distributed names the rank
        assert re.search(
            r"plugrad_distributed: rank 1 \(pid \d+ on \S+\) was killed by signal 9", out
        )
    assert seconds < 60
