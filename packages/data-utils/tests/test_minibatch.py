import itertools

import numpy as np
import pytest

import plugrad_backends as B
from plugrad_data import minibatch, onehot, seqbatch


@pytest.mark.parametrize(
    ("n", "bs", "partial", "count", "last"),
    [
        (10, 3, False, 3, 3),
        (10, 3, True, 4, 1),
        (9, 3, False, 3, 3),
        (9, 3, True, 3, 3),
        (2, 5, False, 0, None),
        (2, 5, True, 1, 2),
        (100, 100, False, 1, 100),
    ],
)
def test_batch_counts(n, bs, partial, count, last):
    d = minibatch(np.arange(n), batchsize=bs, partial=partial)
    batches = list(d)
    assert len(d) == count == len(batches)
    if count:
        assert len(batches[-1]) == last
        assert all(len(b) == bs for b in batches[:-1])


def test_batches_follow_axis_0_and_pair_x_with_y():
    x = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    y = np.arange(6) * 10
    d = minibatch(x, y, batchsize=4, partial=True)
    (x0, y0), (x1, y1) = d
    assert x0.shape == (4, 2, 2) and x1.shape == (2, 2, 2)
    assert y0.tolist() == [0, 10, 20, 30] and y1.tolist() == [40, 50]
    assert np.array_equal(x1, x[4:])


def test_int_in_place_of_y_is_the_batch_size():
    d = minibatch(np.arange(7), 2)
    assert len(d) == 3
    assert [b.tolist() for b in d] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(TypeError, match="batch size once"):
        minibatch(np.arange(7), 2, batchsize=3)


def test_reiterable_and_restarts_from_the_beginning():
    d = minibatch(np.arange(10), batchsize=2)
    first = next(iter(d))
    assert first.tolist() == [0, 1]
    assert next(iter(d)).tolist() == [0, 1]  # a new loop starts over
    assert [b.tolist() for b in itertools.islice(d, 2)] == [[0, 1], [2, 3]]
    assert [b.tolist() for b in d] == [b.tolist() for b in d]


def test_shuffle_draws_a_fresh_permutation_each_pass():
    x, y = np.arange(20), np.arange(20) + 100
    d = minibatch(x, y, batchsize=5, shuffle=True)
    B.seed(3)
    passes = [np.concatenate([xb for xb, _ in d]) for _ in range(3)]
    for xs in passes:
        assert sorted(xs.tolist()) == list(range(20))
    assert passes[0].tolist() != passes[1].tolist() != passes[2].tolist()
    # x and y stay paired
    for xb, yb in d:
        assert (yb - xb).tolist() == [100] * 5


def test_shuffle_is_reproducible_with_seed():
    d = minibatch(np.arange(50), batchsize=7, shuffle=True)
    B.seed(11)
    a = [b.tolist() for b in d]
    B.seed(11)
    b = [b.tolist() for b in d]
    assert a == b
    assert len(a) == 7 and len({v for batch in a for v in batch}) == 49


def test_shuffle_without_partial_drops_different_instances():
    d = minibatch(np.arange(10), batchsize=3, shuffle=True)
    B.seed(0)
    dropped = {
        tuple(sorted(set(range(10)) - set(np.concatenate(list(d)).tolist()))) for _ in range(20)
    }
    assert all(len(t) == 1 for t in dropped)
    assert len(dropped) > 1


def test_mismatched_counts_are_rejected():
    with pytest.raises(ValueError, match=r"x has 10 instances.*y has 9"):
        minibatch(np.zeros((10, 3)), np.zeros(9))
    with pytest.raises(ValueError, match="at least 1"):
        minibatch(np.zeros(3), batchsize=0)
    with pytest.raises(ValueError, match="axis 0"):
        minibatch(np.float32(3.0))


def test_xtype_ytype_convert_each_batch():
    x, y = np.arange(6), np.arange(6)
    d = minibatch(x, y, batchsize=3, xtype="float64", ytype=np.int8)
    xb, yb = next(iter(d))
    assert xb.dtype == np.float64 and yb.dtype == np.int8
    d = minibatch(x, y, batchsize=3, xtype=lambda a: a * 2, ytype="cpu")
    xb, yb = next(iter(d))
    assert xb.tolist() == [0, 2, 4] and B.of(yb).name == "cpu"
    with pytest.raises(ValueError, match="neither a dtype nor a registered backend"):
        minibatch(x, batchsize=2, xtype="no-such-thing")
    with pytest.raises(TypeError, match="dtype, a backend name or a callable"):
        minibatch(x, batchsize=2, ytype=3)


def test_xsize_ysize_reshape_each_batch_including_the_partial_one():
    x = np.arange(7 * 4).reshape(7, 4)
    y = np.arange(7 * 2).reshape(7, 2)
    d = minibatch(x, y, batchsize=3, partial=True, xsize=(7, 2, 2), ysize=(-1, 2, 1))
    shapes = [(xb.shape, yb.shape) for xb, yb in d]
    assert shapes == [((3, 2, 2), (3, 2, 1)), ((3, 2, 2), (3, 2, 1)), ((1, 2, 2), (1, 2, 1))]
    assert next(iter(d))[0][1].tolist() == [[4, 5], [6, 7]]


def test_lists_are_accepted():
    assert [b.tolist() for b in minibatch([1, 2, 3, 4], batchsize=2)] == [[1, 2], [3, 4]]


def test_batches_stay_on_the_data_backend(backend):
    x = backend.xp.arange(12, dtype=backend.xp.float32).reshape(6, 2)
    batches = list(minibatch(x, batchsize=4, shuffle=True, partial=True))
    assert all(B.of(b).name == backend.name for b in batches)
    assert sorted(B.to_host(backend.xp.concatenate(batches))[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]


def test_seqbatch_layout_steps_by_batch():
    s = seqbatch(np.arange(11), 3)
    assert s.shape == (3, 3)
    assert s.tolist() == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    # column b is the b-th consecutive piece; rows are time steps
    assert s[:, 1].tolist() == [3, 4, 5]
    v = seqbatch(np.arange(20).reshape(10, 2), 2)
    assert v.shape == (5, 2, 2)
    assert v[1, 1].tolist() == [12, 13]
    with pytest.raises(ValueError, match="between 1 and"):
        seqbatch(np.arange(3), 4)


def test_onehot():
    h = onehot(np.array([[0, 2], [-1, 1]]), 3)
    assert h.shape == (2, 2, 3) and h.dtype == np.float32
    assert h.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 1, 0]]]
    assert onehot([1], 2, dtype="int64").dtype == np.int64
    with pytest.raises(ValueError, match=r"-1\.\.2.*from 0 to 3"):
        onehot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="integers"):
        onehot(np.array([0.5]), 3)


def test_onehot_on_backend(backend):
    labels = backend.xp.asarray([2, 0, 1])
    h = onehot(labels, 4)
    assert B.of(h).name == backend.name
    assert B.to_host(h).argmax(axis=1).tolist() == [2, 0, 1]
    assert float(B.to_host(h).sum()) == 3.0
