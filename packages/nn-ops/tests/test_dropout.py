"""dropout: when it acts, its scaling, reproducibility, and its gradient (the mask)."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def test_inactive_outside_diff_and_with_drop_false():
    x = np.ones(10, np.float32)
    assert nn.dropout(x, 0.5) is x
    w = ag.Param(np.ones(10))
    t = ag.diff(lambda: ag.sum(nn.dropout(w, 0.5, drop=False)))
    assert ag.grad(t, w).tolist() == [1.0] * 10


def test_drops_and_scales(backend):
    x = backend.xp.ones(20000, dtype=np.float32)
    y = B.to_host(nn.dropout(x, 0.25, drop=True, seed=3))
    assert y.dtype == np.float32
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert abs(y.mean() - 1.0) < 0.03


def test_active_inside_diff_and_the_gradient_is_the_mask(backend):
    w = ag.Param(backend.xp.asarray(np.arange(1.0, 101.0)))
    captured = {}

    def f():
        y = nn.dropout(w, 0.5)
        captured["y"] = B.to_host(ag.value(y))
        return ag.sum(y)

    g = B.to_host(ag.grad(ag.diff(f), w))
    mask = captured["y"] / np.arange(1.0, 101.0)
    assert set(np.unique(mask).tolist()) == {0.0, 2.0}
    np.testing.assert_array_equal(g, mask)


def test_reproducible_with_seed_and_with_the_backend_seed(backend):
    x = backend.xp.ones(50)
    a = B.to_host(nn.dropout(x, 0.5, drop=True, seed=7))
    b = B.to_host(nn.dropout(x, 0.5, drop=True, seed=7))
    np.testing.assert_array_equal(a, b)
    B.seed(11)
    c = B.to_host(nn.dropout(x, 0.5, drop=True))
    B.seed(11)
    d = B.to_host(nn.dropout(x, 0.5, drop=True))
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(c, B.to_host(nn.dropout(x, 0.5, drop=True)))


def test_edge_probabilities_and_errors():
    x = np.ones(5)
    assert nn.dropout(x, 0.0, drop=True) is x
    assert nn.dropout(x, 1.0, drop=True).tolist() == [0.0] * 5
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got 1.5"):
        nn.dropout(x, 1.5)
