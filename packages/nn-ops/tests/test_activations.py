"""Activations and normalizers: published formulas, stability, gradients."""

import math

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn

X = np.array([-30.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.5, 4.0, 25.0])

FORMULAS = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "elu_alpha": (lambda x: nn.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    "selu": (
        nn.selu,
        lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543778 * (np.exp(x) - 1)),
    ),
    "sigm": (nn.sigm, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (nn.tanh, np.tanh),
    "softplus": (nn.softplus, lambda x: np.log1p(np.exp(x))),
    "gelu": (nn.gelu, lambda x: np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])),
    "gelu_tanh": (
        lambda x: nn.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_its_formula(backend, name):
    op, formula = FORMULAS[name]
    y = op(backend.xp.asarray(X))
    np.testing.assert_allclose(B.to_host(y), formula(X), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_gradient(backend, numgrad, name):
    op, _ = FORMULAS[name]
    x = ag.Param(backend.xp.asarray(X[1:-1]))
    numgrad(lambda: ag.sum(op(x) * ag.sum(x)), [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "sigm", "elu", "selu", "softplus", "gelu", "leaky_relu"])
def test_activation_second_derivative(name):
    op, _ = FORMULAS[name]
    x0 = np.array([-1.3, -0.4, 0.3, 1.1])
    d2 = ag.grad(lambda x: ag.sum(ag.grad(lambda x: ag.sum(op(x)))(x)))(x0)
    d1 = lambda x: ag.grad(lambda x: ag.sum(op(x)))(x)  # noqa: E731
    numeric = (d1(x0 + 1e-6) - d1(x0 - 1e-6)) / 2e-6
    np.testing.assert_allclose(d2, numeric, rtol=1e-5, atol=1e-6)


def test_extreme_inputs_stay_finite():
    big = np.array([-1e4, -800.0, 800.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = nn.sigm(big)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0] and s.dtype == np.float32
    assert nn.softplus(big).tolist() == [0.0, 0.0, 800.0, 1e4]
    assert np.isfinite(nn.elu(big)).all() and np.isfinite(nn.selu(big)).all()
    assert nn.sigmoid is nn.sigm


def test_relu_gradient_uses_the_output():
    x = ag.Param(np.array([-1.0, 0.0, 2.0]))
    assert ag.grad(ag.diff(lambda: ag.sum(nn.relu(x))), x).tolist() == [0.0, 0.0, 1.0]


def test_softmax_and_logsoftmax_formulas_and_default_axis(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True)
    xb = backend.xp.asarray(x)
    np.testing.assert_allclose(B.to_host(nn.softmax(xb)), expected, rtol=1e-12)
    np.testing.assert_allclose(B.to_host(nn.logsoftmax(xb)), np.log(expected), rtol=1e-12)
    assert nn.logp is nn.logsoftmax
    # axis=None normalizes the whole array (Knet's default), axis=0 the columns
    whole = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(B.to_host(nn.softmax(xb, axis=None)), whole, rtol=1e-12)
    cols = np.exp(x) / np.exp(x).sum(axis=0)
    np.testing.assert_allclose(B.to_host(nn.softmax(xb, axis=0)), cols, rtol=1e-12)
    np.testing.assert_allclose(B.to_host(nn.logsoftmax(xb, axis=0)), np.log(cols), rtol=1e-12)


def test_softmax_family_is_stable_for_large_scores():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e5, 0.0, 1e5]], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = nn.softmax(x)
        ls = nn.logsoftmax(x)
        lse = nn.logsumexp(x, axis=-1)
    np.testing.assert_allclose(s, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(ls[0, :2], [-math.log(2)] * 2, rtol=1e-6)
    assert ls[1, 2] == 0.0 and ls[1, 0] == -2e5
    np.testing.assert_allclose(lse, [1000 + math.log(2), 1e5], rtol=1e-6)
    assert nn.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + math.log(2))


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_softmax_family_gradients(backend, numgrad, axis):
    rng = np.random.default_rng(1)
    x = ag.Param(backend.xp.asarray(rng.normal(size=(3, 4))))
    probe = backend.xp.asarray(rng.normal(size=(3, 4)))
    numgrad(lambda: ag.sum(nn.softmax(x, axis=axis) * probe), [x])
    numgrad(lambda: ag.sum(nn.logsoftmax(x, axis=axis) * probe), [x])


def test_softmax_family_second_order():
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(2, 3))
    probe = rng.normal(size=(2, 3))
    for op in (nn.softmax, nn.logsoftmax):

        def g(x, op=op):
            return ag.grad(lambda x: ag.sum(op(x) * probe) ** 2)(x)

        h = ag.grad(lambda x: ag.sum(g(x) * probe))(x0)
        for i in range(6):
            dx = np.zeros(6)
            dx[i] = 1e-6
            dx = dx.reshape(2, 3)
            numeric = (np.sum(g(x0 + dx) * probe) - np.sum(g(x0 - dx) * probe)) / 2e-6
            assert h.reshape(-1)[i] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        nn.gelu(np.ones(2), approximate="erf")


_ZERO_D = ["relu", "elu", "selu", "sigm", "sigmoid", "tanh", "leaky_relu", "gelu", "softplus"]
_ZERO_D += ["silu", "softmax", "logsoftmax", "logsumexp"]


@pytest.mark.parametrize("name", _ZERO_D)
@pytest.mark.parametrize("make", [np.float64, np.float32, np.array], ids=["f64", "f32", "0d"])
def test_activations_take_0d_input(name, make):
    f = getattr(nn, name)
    x = make(0.3)
    dtype = np.asarray(x).dtype
    y = f(x)
    one = f(np.array([0.3], dtype=dtype))
    assert np.shape(y) == () and np.asarray(y).dtype == dtype
    assert float(y) == float(np.asarray(one).reshape(-1)[0])
    g = ag.grad(lambda v: ag.sum(f(v)))(x)
    g_one = ag.grad(lambda v: ag.sum(f(v)))(np.array([0.3], dtype=dtype))
    assert np.shape(g) == () and float(g) == pytest.approx(float(g_one[0]), rel=1e-6)
