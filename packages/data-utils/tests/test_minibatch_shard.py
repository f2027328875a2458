"""minibatch(..., shard=(rank, world_size)): each process's part of every pass."""

import itertools

import numpy as np
import pytest

import plugrad_backends as B
from plugrad_data import minibatch


def _pass(n, batchsize, rank, size, partial=False, seed=7):
    B.seed(seed)
    d = minibatch(
        np.arange(n), batchsize=batchsize, shuffle=True, partial=partial, shard=(rank, size)
    )
    return [b.tolist() for b in d]


@pytest.mark.parametrize("n,batchsize,size", [(100, 8, 2), (101, 5, 3), (7, 2, 3), (9, 1, 4)])
@pytest.mark.parametrize("partial", [False, True])
def test_shards_are_disjoint_and_cover_the_pass(n, batchsize, size, partial):
    shards = [_pass(n, batchsize, r, size, partial) for r in range(size)]
    counts = {len(s) for s in shards}
    assert len(counts) == 1  # every rank takes the same number of steps
    seen = [i for s in shards for b in s for i in b]
    assert len(seen) == len(set(seen))  # disjoint
    if partial:
        assert sorted(seen) == list(range(n))  # covering
    else:
        assert len(seen) == (n // (batchsize * size)) * batchsize * size
        assert all(len(b) == batchsize for s in shards for b in s)


@pytest.mark.parametrize("size", [2, 3])
def test_the_ranks_batches_together_are_one_process_batches(size):
    one = _pass(50, 4 * size, 0, 1)
    shards = [_pass(50, 4, r, size) for r in range(size)]
    assert len(one) == len(shards[0]) == 50 // (4 * size)
    for k, whole in enumerate(one):
        together = [i for r in range(size) for i in shards[r][k]]
        assert sorted(together) == sorted(whole)
        # rank r holds positions r, r + size, ... of the global batch
        assert shards[1][k] == whole[1::size]


def test_same_seed_same_order_new_order_each_pass():
    B.seed(3)
    d = minibatch(np.arange(40), batchsize=5, shuffle=True, shard=(1, 2))
    first, second = [b.tolist() for b in d], [b.tolist() for b in d]
    assert first != second  # a fresh shuffle each pass
    B.seed(3)
    again = minibatch(np.arange(40), batchsize=5, shuffle=True, shard=(1, 2))
    assert [b.tolist() for b in again] == first


def test_x_and_y_stay_paired_and_len_counts_global_steps():
    x = np.arange(30)
    d = minibatch(x, x * 10, batchsize=4, shuffle=True, shard=(2, 3), partial=True)
    assert len(d) == 3  # ceil(30 / 12)
    for xb, yb in d:
        assert np.array_equal(yb, xb * 10)
    assert "shard 2 of 3" in repr(d)


def test_unshuffled_shard_takes_every_world_size_th_item():
    d = minibatch(np.arange(12), batchsize=2, shard=(1, 3))
    assert [b.tolist() for b in d] == [[1, 4], [7, 10]]


def test_partial_last_batch_may_be_empty_on_some_ranks():
    # 7 instances, 3 ranks, batchsize 2: the second global batch holds one instance
    shards = [_pass(7, 2, r, 3, partial=True) for r in range(3)]
    assert [len(s[-1]) for s in shards] == [1, 0, 0]


@pytest.mark.parametrize(
    "shard,kind",
    [
        ((2, 2), ValueError),
        ((-1, 2), ValueError),
        ((0, 0), ValueError),
        ((0,), TypeError),
        ((0.0, 2), TypeError),
        ("0,2", TypeError),
        ((True, 2), TypeError),
    ],
)
def test_bad_shard_is_a_clear_error(shard, kind):
    with pytest.raises(kind, match="shard"):
        minibatch(np.arange(10), batchsize=2, shard=shard)


def test_shard_of_one_is_plain_minibatch():
    B.seed(5)
    plain = [b.tolist() for b in minibatch(np.arange(23), batchsize=4, shuffle=True)]
    B.seed(5)
    sharded = [
        b.tolist() for b in minibatch(np.arange(23), batchsize=4, shuffle=True, shard=(0, 1))
    ]
    assert plain == sharded
    assert list(itertools.chain(*plain))  # not empty
