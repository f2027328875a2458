"""Collectives on 2 and 3 processes under mpiexec: every rank checks the exact answers."""

import pytest
from dist_helpers import check, launch

COLLECTIVES = """
import numpy as np
import plugrad_autograd as ag
import plugrad_distributed as dist
from dist_helpers import ok

dist.init()
r, W = dist.rank(), dist.world_size()
assert W == int(sys.argv[2])
ranks = np.arange(W)

for dtype in ("float32", "float64"):
    for n in (1, 7, 1001):  # odd sizes
        x = (np.arange(n) + 1.0).astype(dtype) * (r + 1)
        base = (np.arange(n) + 1.0).astype(dtype)
        total = base * (ranks + 1).sum()
        assert np.array_equal(dist.allreduce(x, "sum"), total), (dtype, n)
        mean = dist.allreduce(x, "mean")
        assert mean.dtype == dtype and np.allclose(mean, total / W, rtol=1e-6, atol=0)
        assert np.array_equal(dist.allreduce(-x, "max"), -base)
        assert np.array_equal(dist.allreduce(-x, "min"), -base * W)
        assert np.array_equal(dist.allreduce(x, "max"), base * W)
        gathered = dist.allgather(x)
        assert gathered.shape == (W, n) and gathered.dtype == dtype
        assert np.array_equal(gathered, base[None, :] * (ranks[:, None] + 1))
    # 0-d arrays and Python numbers
    zero_d = dist.allreduce(np.array(r + 0.5, dtype=dtype), "sum")
    assert zero_d.shape == () and zero_d.dtype == dtype and zero_d == (ranks + 0.5).sum()
    assert dist.allgather(np.array(r, dtype=dtype)).tolist() == list(range(W))
    assert dist.allreduce(float(r), "max") == W - 1
    # broadcast: only the root has data; it arrives with root's shape and dtype
    for root in range(W):
        got = dist.broadcast(np.full((2, 3), root, dtype) if r == root else None, root=root)
        assert got.dtype == dtype and got.shape == (2, 3) and (got == root).all()
    zero = dist.broadcast(np.array(1.5, dtype) if r == 0 else None)
    assert zero.shape == () and zero.dtype == dtype and zero == 1.5

# integers and booleans
assert dist.allreduce(np.array([r, 1]), "sum").tolist() == [sum(range(W)), W]
assert dist.allreduce(np.array([r == 0, True]), "max").tolist() == [True, True]

# many small arrays: one message for the lot, the same answers
many = [np.full(k % 5 + 1, float(r * k), "float64") for k in range(200)]
many[3] = None
dist.allreduce_many(many, "sum")  # the first call with a layout checks it against the others
dist.reset_traffic()
summed = dist.allreduce_many(many, "sum")
t = dist.traffic()
assert t.messages == 1 and t.bytes == sum(a.nbytes for a in many if a is not None), t
for k, (a, s) in enumerate(zip(many, summed)):
    if a is None:
        assert s is None
    else:
        assert s.shape == a.shape and np.array_equal(s, np.full(a.shape, k * ranks.sum()))
small = dist.allreduce_many(many, "mean", bucket_bytes=256)
for k, (a, s) in enumerate(zip(many, small)):
    assert a is None or np.allclose(s, np.full(a.shape, k * ranks.mean()))
mixed = dist.allreduce_many([np.ones(3, "float32") * r, np.ones(2) * r], "sum")
assert mixed[0].dtype == np.float32 and (mixed[0] == ranks.sum()).all()

# broadcast_params: every rank gets rank 0's values, in place
ps = [ag.Param(np.full((3, 2), float(r))), ag.Param(np.full(5, r + 1.0, "float32"))]
values = [p.value for p in ps]
dist.broadcast_params(ps)
assert all((p.value == w).all() for p, w in zip(ps, (0.0, 1.0))) and ps[0].value is values[0]

# a rank whose arrays differ is a clear error on every rank
try:
    dist.allreduce_many([np.ones(2 + (r == 1))], "sum")
except ValueError as e:
    assert "pass different ones" in str(e), e
else:
    raise AssertionError("no error for mismatched layouts")
dist.barrier()
ok(r)
"""


@pytest.mark.parametrize("n", [2, 3])
def test_collectives(tmp_path, n):
    done, _ = launch(n, COLLECTIVES, tmp_path, str(n))
    check(done, tmp_path, n)
