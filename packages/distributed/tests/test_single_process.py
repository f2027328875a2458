"""Without a launcher the world has one process, and every function still works."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_data
import plugrad_distributed as dist
import plugrad_optim as optim


def test_world_of_one():
    dist.init()
    assert (dist.rank(), dist.world_size()) == (0, 1)
    dist.barrier()
    assert dist.communicator("cpu").name == "mpi"


def test_mpi_backend_is_found_through_the_plugrad_entry_points():
    assert "mpi" in [c.name for c in dist.communicators()]
    info = {p.name: p for p in B.plugins()}
    assert info["mpi"].distribution == "plugrad-distributed" and info["mpi"].error is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_collectives_of_one_process_return_copies(dtype, op):
    x = np.arange(7, dtype=dtype) - 3
    out = dist.allreduce(x, op=op)
    assert out.dtype == x.dtype and np.array_equal(out, x) and out is not x
    out[0] = 99
    assert x[0] == -3  # the input is never written
    assert np.array_equal(dist.broadcast(x), x)
    assert dist.allgather(x).shape == (1, 7)


def test_scalars_params_and_zero_d():
    assert dist.allreduce(np.float32(2.5)).shape == ()
    assert dist.allreduce(3.0) == 3.0
    p = ag.Param(np.ones((2, 3)))
    assert dist.allreduce(p, op="mean").shape == (2, 3)


def test_bad_op_and_dtype_are_clear_errors():
    with pytest.raises(ValueError, match="op must be one of"):
        dist.allreduce(np.ones(2), op="avg")
    with pytest.raises(TypeError, match="op='mean' needs a float array"):
        dist.allreduce(np.arange(3), op="mean")
    with pytest.raises(TypeError, match="not defined for complex"):
        dist.allreduce(np.ones(2, complex), op="max")
    with pytest.raises(TypeError, match="cannot be communicated"):
        dist.allreduce(np.array(["a"]))
    with pytest.raises(TypeError, match="expected an array"):
        dist.allreduce(None)
    with pytest.raises(ValueError, match="root must be a rank between 0 and 0"):
        dist.broadcast(np.ones(1), root=1)


def test_allreduce_many_keeps_shapes_and_nones():
    arrays = [np.ones((2, 3), "float32"), None, np.float64(4.0), np.arange(5.0)]
    out = dist.allreduce_many(arrays, op="mean")
    assert out[1] is None
    assert [a.shape for a in out if a is not None] == [(2, 3), (), (5,)]
    assert out[0].dtype == np.float32 and np.array_equal(out[3], np.arange(5.0))


def test_allreduce_mean_passes_gradients_through_in_a_world_of_one():
    w = ag.Param(np.array([1.0, 2.0]))
    optim.update([w], [np.array([1.0, 1.0])], optim.chain(dist.AllReduceMean(), optim.SGD(0.5)))
    assert np.array_equal(w.value, [0.5, 1.5])
    with pytest.raises(ValueError, match="bucket_bytes must be >= 1"):
        dist.AllReduceMean(bucket_bytes=0)


def test_broadcast_params_returns_the_params():
    ps = [ag.Param(np.zeros(2)), ag.Param(np.ones(3, "float32"))]
    assert dist.broadcast_params({"a": ps}) == ps


def test_checkpoint_round_trip_with_the_optimizer(tmp_path):
    w = ag.Param(np.array([1.0, -2.0]))
    w.opt = optim.chain(dist.AllReduceMean(bucket_bytes=64), optim.Adam(lr=0.1))
    optim.update(w, np.array([0.5, 0.5]))
    path = tmp_path / "ckpt.safetensors"
    dist.save(path, w=w, step=1)
    w2, step = dist.load(path, "w", "step")
    assert step == 1 and np.array_equal(w2.value, w.value)
    assert isinstance(w2.opt.transforms[0], dist.AllReduceMean)
    assert w2.opt.transforms[0].bucket_bytes == 64
    assert sorted(dist.load(path)) == ["step", "w"]


def test_resume_with_another_world_size_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    plugrad_data.save(path, step=3, distributed_world_size=4)
    with pytest.raises(ValueError, match="written by a run of 4 processes but this run has 1"):
        dist.load(path, "step")
    assert dist.load(path, "step", same_world_size=False) == 3


def test_load_of_a_plain_file_and_reserved_names(tmp_path):
    path = tmp_path / "plain.safetensors"
    plugrad_data.save(path, step=3)
    with pytest.raises(ValueError, match="holds no world size"):
        dist.load(path)
    with pytest.raises(ValueError, match="reserved"):
        dist.save(path, distributed_world_size=2)
    dist.save(path, step=4)
    with pytest.raises(KeyError, match="'nope' is not in"):
        dist.load(path, "nope")


def test_traffic_counts_messages_and_bytes():
    dist.reset_traffic()
    dist.allreduce(np.zeros(4, "float32"))
    dist.allreduce_many([np.zeros(3), np.zeros(2)])  # one bucket
    assert dist.traffic() == dist.Traffic(messages=2, bytes=16 + 40)


def test_launcher_turns_mpiexec_process_ids_into_ranks(tmp_path):
    from plugrad_distributed._launch import explain

    (tmp_path / "rank.0").write_text("100 nodeA")
    (tmp_path / "rank.1").write_text("101 nodeA")
    (tmp_path / "rank.2").write_text("100 nodeB")
    report = (
        "=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES\n"
        "=   PID 100 RUNNING AT nodeB\n"
        "=   EXIT CODE: 9\n"
        "=   PID 101 RUNNING AT nodeA.example.org\n"
        "=   EXIT CODE: 200\n"
    )
    assert explain(report, tmp_path) == [
        "plugrad_distributed: rank 2 (pid 100 on nodeB) was killed by signal 9 (SIGKILL); "
        "mpiexec stopped the other processes",
        "plugrad_distributed: rank 1 (pid 101 on nodeA.example.org) exited with status 200; "
        "mpiexec stopped the other processes",
    ]
    assert explain("all fine\n", tmp_path) == []


class _Missing(dist.Communicator):
    name = "fake"
    backends = ("fake",)

    def is_available(self):
        return False

    def unavailable_reason(self):
        return "libfake is not installed"


class _WorldOfTwo(dist.Communicator):
    name = "two"
    backends = ("cpu",)
    size = 2


def test_arrays_no_backend_moves_are_a_clear_error_in_a_world_of_several(monkeypatch):
    from plugrad_distributed import _world

    monkeypatch.setattr(_world, "_communicators", lambda: [_Missing()])
    with pytest.raises(RuntimeError, match=r"no communication backend moves 'fake' arrays") as e:
        _world._find("fake", _WorldOfTwo(), "allreduce")
    assert "fake: libfake is not installed" in str(e.value)
    # a world of one needs no communication
    assert isinstance(_world._find("fake", dist.SingleProcess(), "allreduce"), dist.SingleProcess)


def test_a_launched_run_without_mpi_is_a_clear_error(monkeypatch):
    from plugrad_distributed import _world

    monkeypatch.setattr(_world, "_communicators", lambda: [])
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(RuntimeError, match="the launcher started 4 processes"):
        _world._choose_main()
    monkeypatch.setenv("PMI_SIZE", "1")
    assert isinstance(_world._choose_main(), dist.SingleProcess)
