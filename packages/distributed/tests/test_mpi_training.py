"""Data-parallel training under mpiexec equals one process on the whole batch; resume."""

from pathlib import Path

import numpy as np
import pytest
from dist_helpers import BATCH, CASES, EPOCHS, check, launch, model, train

import plugrad_data

TOLERANCE = {"float64": 1e-12, "float32": 1e-5}

TRAIN = """
import numpy as np
import plugrad_distributed as dist
from dist_helpers import BATCH, CASES, EPOCHS, model, ok, train

r, W = dist.rank(), dist.world_size()
results = {}
for dtype, rule in CASES:
    ps = model(dtype, seed=100 + r)  # different on every rank until broadcast
    dist.broadcast_params(ps)
    train(ps, dtype, rule, range(EPOCHS), BATCH, shard=(r, W))
    for i, p in enumerate(ps):
        results[f"{dtype}-{rule}-{i}"] = p.value
    # every rank holds the same weights (each applied the same averaged gradient)
    for p in ps:
        assert np.array_equal(dist.allreduce(p.value, "max"), dist.allreduce(p.value, "min"))
if r == 0:
    np.savez(sys.argv[1] + "/trained.npz", **results)
ok(r)
"""


@pytest.mark.parametrize("n", [2, 3])
def test_data_parallel_equals_one_process_on_the_global_batch(tmp_path, n):
    done, _ = launch(n, TRAIN, tmp_path)
    check(done, tmp_path, n)
    trained = np.load(tmp_path / "trained.npz")
    for dtype, rule in CASES:
        start = model(dtype, seed=100)
        ps = train(model(dtype, seed=100), dtype, rule, range(EPOCHS), BATCH * n)
        for i, p in enumerate(ps):
            got = trained[f"{dtype}-{rule}-{i}"]
            assert got.dtype == dtype
            np.testing.assert_allclose(got, p.value, rtol=0, atol=TOLERANCE[dtype])
            assert not np.allclose(got, start[i].value)  # training moved the weights


RESUME = """
import numpy as np
import plugrad_distributed as dist
from dist_helpers import model, ok, train

folder, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r, W = dist.rank(), dist.world_size()
if first == 0:
    ps = model("float64", seed=100)
else:  # every rank reads the checkpoint rank 0 wrote
    ps, epoch = dist.load(folder + "/ckpt.safetensors", "params", "epoch")
    assert epoch == first
train(ps, "float64", "adam", range(first, last), 4, shard=(r, W))
dist.save(folder + f"/ckpt.safetensors", params=ps, epoch=last)
if r == 0:
    np.savez(folder + f"/params_{first}_{last}.npz", *[p.value for p in ps])
ok(r)
"""


def test_resume_from_a_rank0_checkpoint_equals_uninterrupted_training(tmp_path):
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    straight.mkdir()
    stopped.mkdir()
    check(launch(2, RESUME, straight, "0", "3")[0], straight, 2)
    check(launch(2, RESUME, stopped, "0", "1")[0], stopped, 2)
    for p in stopped.glob("ok.*"):
        p.unlink()
    check(launch(2, RESUME, stopped, "1", "3")[0], stopped, 2)
    whole = np.load(straight / "params_0_3.npz")
    resumed = np.load(stopped / "params_1_3.npz")
    halfway = np.load(stopped / "params_0_1.npz")
    for k in whole:
        assert np.array_equal(whole[k], resumed[k])  # bit for bit
        assert not np.array_equal(whole[k], halfway[k])


def test_resume_on_another_number_of_processes_is_a_clear_error(tmp_path):
    # what dist.save writes on a run of 2 processes
    plugrad_data.save(
        tmp_path / "ckpt.safetensors",
        params=model("float64", seed=100),
        epoch=1,
        distributed_world_size=2,
    )
    done, _ = launch(3, RESUME, tmp_path, "1", "2", timeout=60)
    assert done.returncode != 0
    assert "written by a run of 2 processes but this run has 3" in done.stderr
    assert Path(tmp_path / "ckpt.safetensors").exists()
