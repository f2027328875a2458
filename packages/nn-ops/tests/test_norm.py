"""batchnorm, bnmoments, bnparams: the formula, running statistics, gradients, errors."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def reference(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 5), (2, 3, 2, 3, 2)])
def test_training_mode_normalizes_per_channel(backend, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=shape)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    params = backend.xp.asarray(np.concatenate([gamma, beta]))
    y = nn.batchnorm(backend.xp.asarray(x), None, params, training=True)
    np.testing.assert_allclose(B.to_host(y), reference(x, gamma, beta), rtol=1e-10, atol=1e-10)
    plain = B.to_host(nn.batchnorm(backend.xp.asarray(x), training=True))
    np.testing.assert_allclose(plain, reference(x, np.ones(3), np.zeros(3)), atol=1e-10)


def test_bnparams_and_bnmoments_layout():
    p = nn.bnparams(3)
    assert isinstance(p, ag.Param)
    assert p.value.tolist() == [1, 1, 1, 0, 0, 0] and p.dtype == np.float32
    assert nn.bnparams(2, atype="float64").dtype == np.float64
    m = nn.bnmoments()
    assert (m.momentum, m.mean, m.var) == (0.1, None, None)
    nn.batchnorm(np.ones((2, 3, 4, 4), np.float32), m, training=True)
    assert m.mean.shape == (1, 3, 1, 1) and m.var.shape == (1, 3, 1, 1)
    assert m.mean.dtype == np.float32


def test_running_statistics_follow_knet_momentum():
    rng = np.random.default_rng(1)
    m = nn.bnmoments(momentum=0.25)
    x1 = rng.normal(1.0, 2.0, size=(8, 2))
    x2 = rng.normal(-1.0, 0.5, size=(8, 2))
    nn.batchnorm(x1, m, training=True)
    nn.batchnorm(x2, m, training=True)
    mean, var = np.zeros(2), np.ones(2)
    for x in (x1, x2):
        mean = 0.75 * mean + 0.25 * x.mean(axis=0)
        var = 0.75 * var + 0.25 * x.var(axis=0, ddof=1)  # the unbiased batch variance
    np.testing.assert_allclose(m.mean.reshape(-1), mean, rtol=1e-12)
    np.testing.assert_allclose(m.var.reshape(-1), var, rtol=1e-12)


def test_test_mode_uses_the_running_statistics(backend):
    x = backend.xp.asarray(np.array([[1.0, 2.0], [3.0, 6.0]]))
    m = nn.bnmoments(mean=np.array([1.0, 2.0]), var=np.array([4.0, 16.0]))
    params = backend.xp.asarray(np.array([2.0, 1.0, 0.5, -0.5]))
    y = B.to_host(nn.batchnorm(x, m, params, eps=0.0))  # outside diff: test mode
    np.testing.assert_allclose(y, [[0.5, -0.5], [2.5, 0.5]])
    assert m.mean.shape == (1, 2)


def test_training_follows_diff_by_default():
    m = nn.bnmoments()
    x = np.array([[1.0], [3.0]])
    w = ag.Param(np.array([2.0]))
    t = ag.diff(lambda: ag.sum(nn.batchnorm(x * w, m) ** 2))
    assert m.mean.tolist() == [[0.4]]  # 0.9 * 0 + 0.1 * 4: the batch mean was used
    assert float(ag.value(t)) == pytest.approx(2.0, rel=1e-4)
    with pytest.raises(ValueError, match=r"batchnorm: test mode .* pass the bnmoments"):
        nn.batchnorm(x)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 2, 2), (2, 3, 2, 1, 2)])
def test_training_gradients(backend, numgrad, shape):
    rng = np.random.default_rng(2)
    x = ag.Param(backend.xp.asarray(rng.normal(size=shape)))
    params = ag.Param(backend.xp.asarray(rng.normal(size=6)))
    probe = backend.xp.asarray(rng.normal(size=shape))
    numgrad(
        lambda: ag.sum(nn.batchnorm(x, None, params, training=True) * probe),
        [x, params],
        rtol=1e-5,
        atol=1e-6,
    )
    numgrad(lambda: ag.sum(nn.batchnorm(x, training=True) * probe), [x], rtol=1e-5, atol=1e-6)


def test_test_mode_gradients(backend, numgrad):
    rng = np.random.default_rng(3)
    x = ag.Param(backend.xp.asarray(rng.normal(size=(4, 2, 3, 3))))
    params = ag.Param(backend.xp.asarray(rng.normal(size=4)))
    m = nn.bnmoments(mean=rng.normal(size=2), var=rng.uniform(0.5, 2, size=2))
    numgrad(lambda: ag.sum(nn.batchnorm(x, m, params, training=False) ** 2), [x, params])


def test_batchnorm_second_order_is_refused_clearly():
    x0 = np.random.default_rng(4).normal(size=(4, 2))
    with pytest.raises(NotImplementedError, match="batchnorm: second derivatives"):
        ag.grad(
            lambda x: ag.sum(ag.grad(lambda x: ag.sum(nn.batchnorm(x, training=True) ** 3))(x))
        )(x0)


def test_bnmoments_is_serializable_and_drops_initializers():
    name = ag.serializable_name(nn.BNMoments)
    assert ag.serializable_class(name) is nn.BNMoments
    m = nn.bnmoments(meaninit=lambda shape: np.full(shape, 5.0))
    nn.batchnorm(np.zeros((2, 3)), m, training=False)
    assert m.mean.tolist() == [[5.0, 5.0, 5.0]] and m.meaninit is None


def test_batchnorm_errors():
    with pytest.raises(
        ValueError, match=r"batchnorm: expected x of shape \(N, C\).*got shape \(2, 3, 4\)"
    ):
        nn.batchnorm(np.ones((2, 3, 4)), training=True)
    with pytest.raises(
        ValueError,
        match=r"params must be the vector \[gamma; beta\] of length 2C = 6.*bnparams\(3\)",
    ):
        nn.batchnorm(np.ones((2, 3)), None, np.ones(4), training=True)
    m = nn.bnmoments(mean=np.zeros(4))
    with pytest.raises(
        ValueError, match=r"moments.mean has shape \(4,\) but the input has 3 channels"
    ):
        nn.batchnorm(np.ones((2, 3)), m, training=False)
