"""Arithmetic with broadcasting, matmul/bmm, selection (maximum, minimum, clip, where) and
comparisons: values, first and second derivatives."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugrad_autograd as ag

SETTINGS = dict(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FINITE = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _floats(lo, hi):
    return st.floats(lo, hi, **FINITE)


def _nonzero(lo, hi):
    return st.one_of(_floats(lo, hi), _floats(-hi, -lo))


def _grid(offset):
    # values k/4 + offset: two grids with different offsets never tie and stay 1/8 apart
    return st.integers(-8, 8).map(lambda k: k * 0.25 + offset)


BINARY = {
    "add": (_floats(-2, 2), _floats(-2, 2), np.add),
    "subtract": (_floats(-2, 2), _floats(-2, 2), np.subtract),
    "multiply": (_floats(-2, 2), _floats(-2, 2), np.multiply),
    "divide": (_floats(-2, 2), _nonzero(0.5, 2), np.divide),
    "power": (_floats(0.5, 2), _floats(-2, 2), np.power),
    "maximum": (_grid(0.0), _grid(0.125), np.maximum),
    "minimum": (_grid(0.0), _grid(0.125), np.minimum),
}


@st.composite
def _binary_inputs(draw, name):
    ea, eb, _ = BINARY[name]
    (sa, sb), out = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
    )
    a = draw(hnp.arrays(np.float64, sa, elements=ea))
    b = draw(hnp.arrays(np.float64, sb, elements=eb))
    return a, b, out


def _weights(shape, seed=3):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_forward_and_first_derivative(backend, num, name):
    op, ref = getattr(ag, name), BINARY[name][2]

    @settings(max_examples=20, **SETTINGS)
    @given(inputs=_binary_inputs(name))
    def run(inputs):
        a, b, out = inputs
        got = num.host(op(num.to_device(backend, a), num.to_device(backend, b)))
        assert got.shape == out
        np.testing.assert_allclose(got, ref(a, b), rtol=1e-12)
        c = num.to_device(backend, _weights(out))
        num.check_grad(backend, lambda x, y: ag.sum(op(x, y) * c), a, b)

    run()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_second_derivative(backend, num, name):
    op = getattr(ag, name)

    @settings(max_examples=8, **SETTINGS)
    @given(inputs=_binary_inputs(name))
    def run(inputs):
        a, b, out = inputs
        c = num.to_device(backend, _weights(out))
        # the square makes add/subtract/maximum/minimum second derivatives non-zero
        num.check_grad2(backend, lambda x, y: ag.sum(op(x, y) * op(x, y) * c), a, b)

    run()


OPERATORS = {
    "x + y": lambda x, y: x + y,
    "x - y": lambda x, y: x - y,
    "x * y": lambda x, y: x * y,
    "x / y": lambda x, y: x / y,
    "x ** y": lambda x, y: x**y,
    "-x * y": lambda x, y: -x * y,
    "2 - x + y": lambda x, y: 2.0 - x + y,
    "3 / x * y": lambda x, y: 3.0 / x * y,
    "2 ** x * y": lambda x, y: 2.0**x * y,
    "x ** 3 / 2 + y": lambda x, y: x**3 / 2.0 + y,
    "1.5 * x - y * 0.5": lambda x, y: 1.5 * x - y * 0.5,
    "abs(x) * y": lambda x, y: abs(x) * y,
}


@pytest.mark.parametrize("expr", sorted(OPERATORS))
def test_python_operators_differentiate(backend, num, expr):
    f = OPERATORS[expr]
    a = np.array([[0.5, 1.5, 2.0], [1.2, 0.7, 1.9]])
    b = np.array([1.5, -0.5, 2.0])
    c = num.to_device(backend, _weights((2, 3)))
    want = f(a, b)
    np.testing.assert_allclose(
        num.host(f(num.to_device(backend, a), num.to_device(backend, b))), want, rtol=1e-12
    )
    loss = lambda x, y: ag.sum(f(x, y) * c)  # noqa: E731
    num.check_grad(backend, loss, a, b)
    num.check_grad2(backend, loss, a, b)
    # the same through Params and diff
    pa, pb = ag.Param(num.to_device(backend, a)), ag.Param(num.to_device(backend, b))
    t = ag.diff(lambda: ag.sum(f(pa, pb) * c))
    ga, gb = ag.grad(loss, argnum=(0, 1))(num.to_device(backend, a), num.to_device(backend, b))
    np.testing.assert_allclose(num.host(ag.grad(t, pa)), num.host(ga), rtol=1e-12)
    np.testing.assert_allclose(num.host(ag.grad(t, pb)), num.host(gb), rtol=1e-12)


def test_negative(backend, num):
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_array_equal(num.host(ag.negative(num.to_device(backend, x))), -x)
    (g,) = num.check_grad(backend, lambda v: ag.sum(ag.negative(v)), x)
    np.testing.assert_array_equal(g, -np.ones((2, 2)))
    num.check_grad2(backend, lambda v: ag.sum(ag.negative(v * v) * v), x)


def test_gradient_is_summed_back_to_a_broadcast_argument(backend, num):
    w = ag.Param(num.to_device(backend, [[1.0], [2.0]]))  # (2, 1) broadcast over 3 columns
    b = ag.Param(num.to_device(backend, [0.5, -1.0, 2.0]))  # (3,) broadcast over 2 rows
    s = ag.Param(num.to_device(backend, 3.0))  # 0-d
    t = ag.diff(lambda: ag.sum(w * b * s))
    np.testing.assert_allclose(num.host(ag.grad(t, w)), [[4.5], [4.5]])
    np.testing.assert_allclose(num.host(ag.grad(t, b)), [9.0, 9.0, 9.0])
    np.testing.assert_allclose(num.host(ag.grad(t, s)), 4.5)
    assert ag.grad(t, s).shape == ()


def test_power_gradient_with_respect_to_exponent_and_nonpositive_base(backend, num):
    a = np.array([-2.0, 0.0, 3.0])
    b = np.array([2.0, 2.0, 2.0])
    ga, gb = ag.grad(lambda x, y: ag.sum(x**y), argnum=(0, 1))(
        num.to_device(backend, a), num.to_device(backend, b)
    )
    np.testing.assert_allclose(num.host(ga), 2 * a)
    # d/dy x**y = x**y log x: 0 by convention where x <= 0 (never nan)
    np.testing.assert_allclose(num.host(gb), [0.0, 0.0, 9.0 * np.log(3.0)])


# -- matmul ----------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES, ids=str)
def test_matmul(backend, num, sa, sb):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    want = a @ b
    got = num.host(ag.matmul(num.to_device(backend, a), num.to_device(backend, b)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got_op = num.host(num.to_device(backend, a) @ ag.Param(num.to_device(backend, b)))
    np.testing.assert_allclose(got_op, want, rtol=1e-12)
    c = num.to_device(backend, rng.standard_normal(want.shape))

    def f(x, y):
        return ag.sum(ag.tanh(x @ y) * c)

    num.check_grad(backend, f, a, b)
    num.check_grad2(backend, f, a, b)


def test_matmul_gradients_are_analytic(backend, num):
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4) / 10
    c = np.ones((2, 4))
    ga, gb = ag.grad(lambda x, y: ag.sum(x @ y), argnum=(0, 1))(
        num.to_device(backend, a), num.to_device(backend, b)
    )
    np.testing.assert_allclose(num.host(ga), c @ b.T)
    np.testing.assert_allclose(num.host(gb), a.T @ c)


def test_bmm(backend, num):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 3, 5))
    np.testing.assert_allclose(
        num.host(ag.bmm(num.to_device(backend, a), num.to_device(backend, b))),
        np.einsum("bij,bjk->bik", a, b),
        rtol=1e-12,
    )
    c = num.to_device(backend, rng.standard_normal((4, 2, 5)))
    f = lambda x, y: ag.sum(ag.sin(ag.bmm(x, y)) * c)  # noqa: E731
    num.check_grad(backend, f, a, b)
    num.check_grad2(backend, f, a, b)


# -- maximum, minimum, clip, where ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_evenly(backend, num, name):
    op = getattr(ag, name)
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 5.0])
    ga, gb = ag.grad(lambda x, y: ag.sum(op(x, y)), argnum=(0, 1))(
        num.to_device(backend, a), num.to_device(backend, b)
    )
    if name == "maximum":
        np.testing.assert_array_equal(num.host(ga), [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(num.host(gb), [0.5, 0.0, 1.0])
    else:
        np.testing.assert_array_equal(num.host(ga), [0.5, 0.0, 1.0])
        np.testing.assert_array_equal(num.host(gb), [0.5, 1.0, 0.0])


def test_maximum_with_a_scalar_is_relu(backend, num):
    x = np.array([-1.5, -0.25, 0.5, 2.0])
    g = ag.grad(lambda v: ag.sum(ag.maximum(v, 0.0)))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), [0.0, 0.0, 1.0, 1.0])


CLIPS = [(-0.5, 0.5), (None, 0.5), (-0.5, None)]


@pytest.mark.parametrize(("lo", "hi"), CLIPS)
def test_clip(backend, num, lo, hi):
    @settings(max_examples=15, **SETTINGS)
    @given(
        x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=3), elements=_grid(0.125))
    )
    def run(x):
        got = num.host(ag.clip(num.to_device(backend, x), lo, hi))
        np.testing.assert_array_equal(got, np.clip(x, lo, hi))
        c = num.to_device(backend, _weights(x.shape))
        f = lambda v: ag.sum(ag.clip(v, lo, hi) * v * c)  # noqa: E731
        num.check_grad(backend, f, x)
        num.check_grad2(backend, f, x)
        (g,) = num.check_grad(backend, lambda v: ag.sum(ag.clip(v, lo, hi)), x)
        inside = np.ones(x.shape, bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        np.testing.assert_array_equal(g, inside.astype(float))

    run()


@st.composite
def _where_inputs(draw):
    (sc, sx, sy), out = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)
    )
    c = draw(hnp.arrays(np.bool_, sc))
    x = draw(hnp.arrays(np.float64, sx, elements=_floats(-2, 2)))
    y = draw(hnp.arrays(np.float64, sy, elements=_floats(-2, 2)))
    return c, x, y, out


def test_where(backend, num):
    @settings(max_examples=20, **SETTINGS)
    @given(inputs=_where_inputs())
    def run(inputs):
        c, x, y, out = inputs
        cd = num.to_device(backend, c, dtype=bool)
        got = num.host(ag.where(cd, num.to_device(backend, x), num.to_device(backend, y)))
        np.testing.assert_array_equal(got, np.where(c, x, y))
        w = num.to_device(backend, _weights(out))
        f = lambda a, b: ag.sum(ag.where(cd, a * a, ag.sin(b)) * w)  # noqa: E731
        num.check_grad(backend, f, x, y)
        num.check_grad2(backend, f, x, y)

    run()


def test_where_has_no_gradient_for_the_condition(backend, num):
    x = ag.Param(num.to_device(backend, [1.0, -2.0, 3.0]))
    t = ag.diff(lambda: ag.sum(ag.where(x > 0, x, x * x)))
    np.testing.assert_array_equal(num.host(ag.grad(t, x)), [1.0, -4.0, 1.0])


# -- comparisons -----------------------------------------------------------------------------

COMPARISONS = {
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparisons_have_zero_gradient(backend, num, name):
    op = getattr(ag, name)
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([2.0, 2.0, 2.0])
    np.testing.assert_array_equal(
        num.host(op(num.to_device(backend, a), num.to_device(backend, b))),
        COMPARISONS[name](a, b),
    )
    p = ag.Param(num.to_device(backend, a))
    kinds = []

    def f():
        m = op(p, 2.0)
        kinds.append(isinstance(m, ag.Value))
        return ag.sum(m * 1.0)

    t = ag.diff(f)
    assert kinds == [False]
    assert ag.grad(t, p) is None
    assert float(ag.value(t)) == COMPARISONS[name](a, 2.0).sum()
    g = ag.grad(lambda v: ag.sum(op(v, 2.0) * v))(num.to_device(backend, a))
    np.testing.assert_array_equal(num.host(g), COMPARISONS[name](a, 2.0).astype(float))
