"""Elementwise functions of one array: values, first and second derivatives, discrete ops."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugrad_autograd as ag
import plugrad_backends

SETTINGS = dict(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# name: (low, high, avoid_zero, numpy/scipy reference)
UNARY = {
    "abs": (0.1, 2.0, True, np.abs),
    "square": (-2.0, 2.0, False, np.square),
    "sqrt": (0.1, 4.0, False, np.sqrt),
    "cbrt": (0.2, 3.0, True, np.cbrt),
    "exp": (-2.0, 2.0, False, np.exp),
    "exp2": (-2.0, 2.0, False, np.exp2),
    "exp10": (-1.0, 1.0, False, lambda x: 10.0**x),
    "expm1": (-2.0, 2.0, False, np.expm1),
    "log": (0.1, 4.0, False, np.log),
    "log2": (0.1, 4.0, False, np.log2),
    "log10": (0.1, 4.0, False, np.log10),
    "log1p": (-0.8, 3.0, False, np.log1p),
    "sin": (-3.0, 3.0, False, np.sin),
    "cos": (-3.0, 3.0, False, np.cos),
    "tan": (-1.2, 1.2, False, np.tan),
    "arcsin": (-0.9, 0.9, False, np.arcsin),
    "arccos": (-0.9, 0.9, False, np.arccos),
    "arctan": (-3.0, 3.0, False, np.arctan),
    "sinh": (-2.0, 2.0, False, np.sinh),
    "cosh": (-2.0, 2.0, False, np.cosh),
    "tanh": (-2.0, 2.0, False, np.tanh),
    "arcsinh": (-3.0, 3.0, False, np.arcsinh),
    "arccosh": (1.1, 4.0, False, np.arccosh),
    "arctanh": (-0.9, 0.9, False, np.arctanh),
    "sinpi": (-2.0, 2.0, False, lambda x: np.sin(np.pi * x)),
    "cospi": (-2.0, 2.0, False, lambda x: np.cos(np.pi * x)),
    "erf": (-2.0, 2.0, False, sp.erf),
    "erfc": (-2.0, 2.0, False, sp.erfc),
    "erfcx": (-1.0, 3.0, False, sp.erfcx),
    "erfinv": (-0.9, 0.9, False, sp.erfinv),
    "erfcinv": (0.1, 1.9, False, sp.erfcinv),
    "gamma": (0.5, 4.0, False, sp.gamma),
    "lgamma": (0.5, 5.0, False, sp.gammaln),
    "digamma": (0.5, 5.0, False, sp.digamma),
    "trigamma": (0.5, 5.0, False, lambda x: sp.polygamma(1, x)),
}

ALIASES = {
    "abs2": "square",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
    "loggamma": "lgamma",
}

DISCRETE = {
    "sign": np.sign,
    "round": np.round,
    "floor": np.floor,
    "ceil": np.ceil,
    "trunc": np.trunc,
}


def _elements(lo: float, hi: float, avoid_zero: bool) -> st.SearchStrategy[float]:
    finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if avoid_zero:  # a kink or pole at 0: keep away from it on both sides
        return st.one_of(st.floats(lo, hi, **finite), st.floats(-hi, -lo, **finite))
    return st.floats(lo, hi, **finite)


@st.composite
def _unary_input(draw, name):
    lo, hi, avoid_zero, _ = UNARY[name]
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    return draw(hnp.arrays(np.float64, shape, elements=_elements(lo, hi, avoid_zero)))


def _weighted(op, c):
    return lambda x: ag.sum(op(x) * c)


def test_every_unary_function_is_covered():
    public = {
        n
        for n in ag.__all__
        if getattr(getattr(ag, n), "__module__", "") == "plugrad_autograd._ops_unary"
    }
    covered = set(UNARY) | set(ALIASES) | set(DISCRETE) | {"polygamma"}
    assert public == covered


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_same_op(alias):
    assert getattr(ag, alias) is getattr(ag, ALIASES[alias])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_matches_reference(backend, num, name):
    lo, hi, avoid_zero, ref = UNARY[name]
    x = np.linspace(lo, hi, 7).reshape(7, 1) * np.ones((1, 2))
    if avoid_zero:
        x[::2] *= -1
    got = num.host(getattr(ag, name)(num.to_device(backend, x)))
    np.testing.assert_allclose(got, ref(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name",
    [n for n in sorted(UNARY)],
)
def test_unary_keeps_float32(backend, num, name):
    lo, hi, _, _ = UNARY[name]
    x = num.to_device(backend, np.linspace(lo, hi, 4), dtype="float32")
    op = getattr(ag, name)
    assert op(x).dtype == np.float32
    assert ag.grad(lambda v: ag.sum(op(v)))(x).dtype == np.float32


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_first_derivative(backend, num, name):
    @settings(max_examples=15, **SETTINGS)
    @given(x=_unary_input(name))
    def run(x):
        c = num.to_device(backend, np.random.default_rng(1).standard_normal(x.shape))
        num.check_grad(backend, _weighted(getattr(ag, name), c), x)

    run()


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_derivative(backend, num, name):
    @settings(max_examples=6, **SETTINGS)
    @given(x=_unary_input(name))
    def run(x):
        c = num.to_device(backend, np.random.default_rng(2).standard_normal(x.shape))
        num.check_grad2(backend, _weighted(getattr(ag, name), c), x)

    run()


SECOND_DERIVATIVES = {
    "exp": lambda x: np.exp(x),
    "log": lambda x: -1 / x**2,
    "sin": lambda x: -np.sin(x),
    "cos": lambda x: -np.cos(x),
    "tanh": lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
    "sqrt": lambda x: -0.25 * x**-1.5,
    "square": lambda x: 2 * np.ones_like(x),
    "arctan": lambda x: -2 * x / (1 + x * x) ** 2,
    "erf": lambda x: -4 * x / math.sqrt(math.pi) * np.exp(-x * x),
    "lgamma": lambda x: sp.polygamma(1, x),
    "digamma": lambda x: sp.polygamma(2, x),
    "sinpi": lambda x: -(np.pi**2) * np.sin(np.pi * x),
}


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_unary_second_derivative_is_analytic(backend, num, name):
    lo, hi, _, _ = UNARY[name]
    x = np.linspace(lo, hi, 5)
    op = getattr(ag, name)
    d2 = ag.grad(lambda v: ag.sum(ag.grad(lambda u: ag.sum(op(u)))(v)))
    np.testing.assert_allclose(
        num.host(d2(num.to_device(backend, x))), SECOND_DERIVATIVES[name](x), rtol=1e-10
    )


@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma(backend, num, n):
    x = np.array([0.6, 1.0, 2.5, 4.0])
    np.testing.assert_allclose(
        num.host(ag.polygamma(n, num.to_device(backend, x))), sp.polygamma(n, x), rtol=1e-12
    )
    c = num.to_device(backend, np.array([1.0, -0.5, 2.0, 0.3]))

    def f(v):
        return ag.sum(ag.polygamma(n, v) * c)

    (g,) = num.check_grad(backend, f, x)
    np.testing.assert_allclose(g, sp.polygamma(n + 1, x) * num.host(c), rtol=1e-10)
    num.check_grad2(backend, f, x, rtol=1e-4)


def test_trigamma_is_polygamma_one(backend, num):
    x = num.to_device(backend, np.array([0.7, 1.5, 3.0]))
    np.testing.assert_allclose(num.host(ag.trigamma(x)), num.host(ag.polygamma(1, x)))


def test_abs_gradient_at_zero_is_zero(backend, num):
    g = ag.grad(lambda v: ag.sum(ag.abs(v)))(num.to_device(backend, [-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(num.host(g), [-1.0, 0.0, 1.0])


# -- discrete functions: zero gradient -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_forward_matches_numpy(backend, num, name):
    x = np.array([-2.5, -1.5, -0.4, 0.0, 0.4, 0.5, 1.5, 2.7])
    np.testing.assert_array_equal(
        num.host(getattr(ag, name)(num.to_device(backend, x))), DISCRETE[name](x)
    )


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_gradient_is_zero(backend, num, name):
    op = getattr(ag, name)
    x = np.array([-2.5, -0.4, 0.3, 1.7])
    p = ag.Param(num.to_device(backend, x))
    kinds = []

    def f():
        out = op(p)
        kinds.append(type(out))
        return ag.sum(out * 3.0)

    y = ag.diff(f)
    assert kinds == [type(num.to_device(backend, x))]  # nothing recorded
    assert ag.grad(y, p) is None
    np.testing.assert_allclose(float(ag.value(y)), 3.0 * DISCRETE[name](x).sum())
    g = ag.grad(lambda v: ag.sum(op(v) * v))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), DISCRETE[name](x))  # only the linear factor
    g0 = ag.grad(lambda v: ag.sum(op(v)))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g0), np.zeros(4))


def test_float32_params_get_float32_gradients(backend):
    with plugrad_backends.using(backend.name):
        p = ag.Param([0.5, 1.5])
    y = ag.diff(lambda: ag.sum(ag.exp(p) * ag.log(p)))
    g = ag.grad(y, p)
    assert g.dtype == np.float32
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(
        plugrad_backends.to_host(g), np.exp(x) * (np.log(x) + 1 / x), rtol=1e-6
    )
