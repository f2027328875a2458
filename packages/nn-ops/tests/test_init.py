"""Initializers and param/param0: fans in plugrad's layouts, ranges, statistics, seeding."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def test_fans_in_plugrad_layouts():
    assert nn.fans((784, 100)) == (784, 100)  # dense (in, out)
    assert nn.fans((20, 1, 5, 5)) == (25, 500)  # conv (O, I, kH, kW)
    assert nn.fans((8, 4, 3, 3, 3)) == (108, 216)
    assert nn.fans((7,)) == (7, 1)


@pytest.mark.parametrize(
    ("init", "bound"),
    [
        (nn.xavier_uniform, np.sqrt(6 / (30 + 20))),
        (nn.kaiming_uniform, np.sqrt(2) * np.sqrt(3 / 30)),
    ],
)
def test_uniform_initializers_fill_their_range(backend, init, bound):
    B.seed(0)
    w = B.to_host(init(30, 20, device=backend.name))
    assert w.shape == (30, 20) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.05 * bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


@pytest.mark.parametrize(
    ("init", "std"),
    [
        (nn.xavier_normal, np.sqrt(2 / (4 * 9 + 8 * 9))),
        (nn.kaiming_normal, np.sqrt(2) / np.sqrt(4 * 9)),
        (lambda *d, **kw: nn.gaussian(*d, **kw), 0.01),
    ],
)
def test_normal_initializers_have_their_std(backend, init, std):
    B.seed(1)
    w = B.to_host(init(8, 4, 3, 3, device=backend.name, dtype="float64"))
    assert w.shape == (8, 4, 3, 3) and w.dtype == np.float64
    assert w.std() == pytest.approx(std, rel=0.1)


def test_gaussian_mean_and_xavier_alias():
    B.seed(2)
    w = nn.gaussian((200, 50), mean=3.0, std=0.5)
    assert w.mean() == pytest.approx(3.0, abs=0.02) and w.std() == pytest.approx(0.5, rel=0.05)
    assert nn.xavier is nn.xavier_uniform
    assert nn.kaiming_uniform(10, 10, mode="fan_out", gain=1.0).max() <= np.sqrt(3 / 10)
    with pytest.raises(ValueError, match="kaiming_uniform: mode must be 'fan_in' or 'fan_out'"):
        nn.kaiming_uniform(3, 3, mode="in")


def test_seed_makes_draws_reproducible():
    B.seed(42)
    a = nn.param(5, 3)
    B.seed(42)
    b = nn.param(5, 3)
    np.testing.assert_array_equal(a.value, b.value)
    assert not np.array_equal(a.value, nn.param(5, 3).value)


def test_param_forms_and_atype(backend):
    w = nn.param(4, 3)
    assert isinstance(w, ag.Param) and w.shape == (4, 3) and w.dtype == np.float32
    assert nn.param((4, 3)).shape == (4, 3)
    assert nn.param(4, atype="float64").dtype == np.float64
    p = nn.param(2, 2, atype=backend.name)
    assert isinstance(p.value, backend.array_types)
    q = nn.param(2, atype=(backend.name, "float64"))
    assert q.dtype == np.float64 and isinstance(q.value, backend.array_types)
    z = nn.param0(2, 3)
    assert z.value.tolist() == [[0.0] * 3] * 2 and z.dtype == np.float32
    a = np.arange(3.0)
    assert nn.param(a).value is a  # Knet's param(array): wrapped as it is
    assert nn.param(a, atype="float32").dtype == np.float32
    custom = nn.param(2, 2, init=lambda *d: np.full(d, 7))  # any init(*dims)
    assert custom.value.tolist() == [[7.0, 7.0], [7.0, 7.0]] and custom.dtype == np.float32
    with pytest.raises(TypeError, match="param: atype must be a dtype"):
        nn.param(2, atype=3.5)
    with pytest.raises(TypeError, match="param: dimensions must be non-negative ints"):
        nn.param(2, -1)


def test_bilinear_upsampling_filter():
    w = nn.bilinear(2, 2, 3, 3)
    assert w.shape == (3, 3, 4, 4) and w.dtype == np.float32
    taps = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(w[1, 1], np.outer(taps, taps))
    assert w[0, 1].sum() == 0 and w[2, 0].sum() == 0
    odd = nn.bilinear(3, 3, 1, 1)[0, 0]
    assert odd.shape == (5, 5) and odd[2, 2] == 1.0 and odd[0, 0] == pytest.approx(1 / 9)
    # deconv4 with it doubles a constant image's size and keeps the interior constant
    y = nn.deconv4(w, np.ones((1, 3, 4, 4), np.float32), stride=2, padding=1)
    assert y.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(y[0, :, 1:-1, 1:-1], 1.0, rtol=1e-6)
