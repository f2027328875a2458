"""pool and unpool: loop references for every mode, gradients, ties, errors."""

import itertools

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def reference_pool(x, window, padding, stride, mode):
    """Knet's pool by the definition: a loop over the windows."""
    nd = x.ndim - 2
    win, pad, st = (
        tuple([v] * nd) if np.isscalar(v) else tuple(v) for v in (window, padding, stride)
    )
    out = [(x.shape[2 + i] + 2 * pad[i] - win[i]) // st[i] + 1 for i in range(nd)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for b, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for pos in itertools.product(*(range(m) for m in out)):
            values = []
            for tap in itertools.product(*(range(k) for k in win)):
                idx = tuple(pos[i] * st[i] + tap[i] - pad[i] for i in range(nd))
                inside = all(0 <= idx[i] < x.shape[2 + i] for i in range(nd))
                values.append(x[(b, c, *idx)] if inside else None)
            real = [v for v in values if v is not None]
            if mode == 0:
                y[(b, c, *pos)] = max(real)
            elif mode == 1:
                y[(b, c, *pos)] = sum(real) / len(values)
            else:
                y[(b, c, *pos)] = sum(real) / len(real)
    return y


CASES = [
    # window, padding, stride (None: the window)
    (2, 0, None),
    (3, 0, None),
    ((2, 3), 0, None),
    (3, 1, 2),
    (2, 1, 1),
    (3, 0, 1),
]


# (7, 6) crops odd edges; (8, 12) divides evenly, the contiguous fast path of tiled pooling
@pytest.mark.parametrize("size", [(7, 6), (8, 12)])
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize(("window", "padding", "stride"), CASES)
def test_pool_2d_matches_the_loop_reference(backend, window, padding, stride, mode, size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, *size)).astype(np.float32)
    expected = reference_pool(x, window, padding, window if stride is None else stride, mode)
    y = nn.pool(backend.xp.asarray(x), window=window, padding=padding, stride=stride, mode=mode)
    assert y.dtype == np.float32
    np.testing.assert_allclose(B.to_host(y), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("window", "padding", "stride", "mode"),
    [
        (2, 0, None, 0),
        ((1, 2, 2), 0, None, 1),
        (2, 1, 1, 2),
        (3, 1, 2, 0),
    ],
)
def test_pool_3d_matches_the_loop_reference(backend, window, padding, stride, mode):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 5, 4, 6))
    expected = reference_pool(x, window, padding, window if stride is None else stride, mode)
    y = nn.pool(backend.xp.asarray(x), window=window, padding=padding, stride=stride, mode=mode)
    np.testing.assert_allclose(B.to_host(y), expected, rtol=1e-12)


def test_pool_hand_example_and_mode3_is_max():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert nn.pool(x).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert nn.pool(x, mode=3).tolist() == nn.pool(x).tolist()
    # padding 1, window 3, stride 2: corners average 4 real values over 9 (mode 1) or 4 (mode 2)
    assert nn.pool(x, 3, 1, 2, mode=1)[0, 0, 0, 0] == pytest.approx((0 + 1 + 4 + 5) / 9)
    assert nn.pool(x, 3, 1, 2, mode=2)[0, 0, 0, 0] == pytest.approx((0 + 1 + 4 + 5) / 4)


@pytest.mark.parametrize(
    ("window", "padding", "stride", "mode"),
    [
        (2, 0, None, 0),
        (3, 0, None, 0),
        ((2, 3), 0, None, 1),
        (3, 1, 2, 0),
        (3, 1, 2, 1),
        (2, 1, 1, 2),
        (3, 0, 1, 0),
    ],
)
@pytest.mark.parametrize("size", [(7, 6), (8, 4)])
def test_pool_gradients(backend, numgrad, window, padding, stride, mode, size):
    rng = np.random.default_rng(2)
    # distinct values: max pooling has no ties to make the numeric derivative ambiguous
    n = 2 * 2 * size[0] * size[1]
    x = ag.Param(backend.xp.asarray(rng.permutation(n).reshape(2, 2, *size) / 10.0))
    probe = None

    def f():
        nonlocal probe
        y = nn.pool(x, window=window, padding=padding, stride=stride, mode=mode)
        if probe is None:
            probe = backend.xp.asarray(rng.normal(size=y.shape))
        return ag.sum(y * probe)

    numgrad(f, [x])


def test_pool_3d_gradient(backend, numgrad):
    rng = np.random.default_rng(3)
    x = ag.Param(backend.xp.asarray(rng.permutation(60).reshape(1, 2, 3, 2, 5) / 7.0))
    numgrad(lambda: ag.sum(nn.pool(x, window=(1, 2, 2), padding=(0, 1, 0)) ** 2), [x])


@pytest.mark.parametrize(("window", "stride"), [(2, None), (2, 1)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(window, stride):
    x = ag.Param(np.zeros((1, 1, 2, 4)))
    g = ag.grad(ag.diff(lambda: ag.sum(nn.pool(x, window, stride=stride))), x)
    if stride is None:
        assert g.tolist() == [[[[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]
    else:  # overlapping windows: each of the 3 windows picks its own first element
        assert g.tolist() == [[[[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_pool_outside_diff_returns_plain_arrays_and_inside_records():
    x = ag.Param(np.arange(16.0).reshape(1, 1, 4, 4))
    assert isinstance(nn.pool(x), np.ndarray)
    t = ag.diff(lambda: ag.sum(nn.pool(x)))
    assert ag.grad(t, x).reshape(-1).tolist() == [0, 0, 0, 0, 0, 1, 0, 1] + [0, 0, 0, 0, 0, 1, 0, 1]


def test_pool_second_order_through_max_and_average(backend):
    rng = np.random.default_rng(4)
    x0 = backend.xp.asarray(rng.permutation(32).reshape(1, 2, 4, 4) / 5.0 + 0.1)
    for mode in (0, 1):

        def f(x, mode=mode):
            return ag.sum(nn.pool(x * x, mode=mode) ** 2)

        def inner(x, f=f):
            return ag.sum(ag.grad(f)(x) ** 2)

        h = B.to_host(ag.grad(inner)(x0)).reshape(-1)
        flat = x0.reshape(-1)
        for i in range(0, 32, 3):
            old = float(flat[i])
            flat[i] = old + 1e-6
            up = float(inner(x0))
            flat[i] = old - 1e-6
            down = float(inner(x0))
            flat[i] = old
            assert h[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-6)


def test_unpool_replicates_and_pool_undoes_it(backend):
    x = backend.xp.asarray(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    y = nn.unpool(x)
    assert B.to_host(y).tolist() == [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]
    for mode in (0, 1):
        np.testing.assert_allclose(B.to_host(nn.pool(y, mode=mode)), B.to_host(x))
    assert nn.unpool(x, window=3, alpha=2.0).shape == (1, 1, 6, 6)
    assert float(nn.unpool(x, window=3, alpha=2.0)[0, 0, 5, 5]) == 8.0


def test_unpool_overlapping_windows_sum_and_gradient(backend, numgrad):
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    # window (1, 2) stride 1: outputs 0..3 see inputs {0}, {0,1}, {1,2}, {2}
    assert nn.unpool(x, window=(1, 2), stride=1).tolist() == [[[[1.0, 3.0, 5.0, 3.0]]]]
    rng = np.random.default_rng(5)
    p = ag.Param(backend.xp.asarray(rng.normal(size=(1, 2, 3, 2))))
    numgrad(lambda: ag.sum(nn.unpool(p, window=2, padding=(1, 0)) ** 2), [p])


def test_pool_errors():
    x = np.ones((2, 3, 4, 4), np.float32)
    with pytest.raises(
        ValueError, match=r"pool: expected x of shape \(N, C, H, W\).*got shape \(4, 4\)"
    ):
        nn.pool(np.ones((4, 4)))
    with pytest.raises(
        ValueError, match=r"pool: the window \(5, 5\) is larger than the padded input \(4, 4\)"
    ):
        nn.pool(x, window=5)
    with pytest.raises(ValueError, match="pool: mode must be 0"):
        nn.pool(x, mode=4)
    with pytest.raises(ValueError, match="pool: max pooling needs padding"):
        nn.pool(x, window=2, padding=2)
    with pytest.raises(ValueError, match=r"pool: window must be >= 1"):
        nn.pool(x, window=0)


def test_pool_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 3, 11, 9)).astype(np.float32)
    F = torch.nn.functional
    np.testing.assert_allclose(nn.pool(x, 3, 1, 2), F.max_pool2d(torch.tensor(x), 3, 2, 1).numpy())
    np.testing.assert_allclose(
        nn.pool(x, 3, 1, 2, mode=2),
        F.avg_pool2d(torch.tensor(x), 3, 2, 1, count_include_pad=False).numpy(),
        rtol=1e-6,
    )
