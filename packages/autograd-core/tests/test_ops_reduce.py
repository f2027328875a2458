"""Reductions and statistics with axis/keepdims: values, first and second derivatives."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import plugrad_autograd as ag

SETTINGS = dict(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else axis
    return tuple(a % ndim for a in axis)


def _count(shape, axis):
    n = 1
    for a in _axes(axis, len(shape)):
        n *= shape[a]
    return n


def _pnorm(x, p, axis, keepdims):
    a = np.abs(x)
    if p == np.inf:
        return a.max(axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return a.min(axis=axis, keepdims=keepdims)
    return (a**p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


# name: (op(x, axis, keepdims), reference(x, axis, keepdims))
REDUCTIONS = {
    "sum": (ag.sum, lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims)),
    "mean": (ag.mean, lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims)),
    "prod": (ag.prod, lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims)),
    "max": (ag.max, lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims)),
    "min": (ag.min, lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims)),
    "logsumexp": (ag.logsumexp, lambda x, axis, keepdims: sp.logsumexp(x, axis, keepdims=keepdims)),
    "var": (
        lambda x, axis, keepdims: ag.var(x, axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims),
    ),
    "var_ddof1": (
        lambda x, axis, keepdims: ag.var(x, axis=axis, ddof=1, keepdims=keepdims),
        lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
    ),
    "std": (
        lambda x, axis, keepdims: ag.std(x, axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: np.std(x, axis=axis, keepdims=keepdims),
    ),
    "std_ddof1": (
        lambda x, axis, keepdims: ag.std(x, axis=axis, ddof=1, keepdims=keepdims),
        lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
    ),
}
for _p, _label in [(2, "2"), (1, "1"), (np.inf, "inf"), (-np.inf, "-inf"), (3, "3")]:
    REDUCTIONS[f"norm_{_label}"] = (
        lambda x, axis, keepdims, p=_p: ag.norm(x, p, axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims, p=_p: _pnorm(x, p, axis, keepdims),
    )

# at least two elements per reduction (a variance of one number has no useful derivative)
NEEDS_TWO = {"var_ddof1", "std", "std_ddof1"}


@st.composite
def _reduce_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    n = int(np.prod(shape))
    # distinct magnitudes in [0.5, 1.5) with random signs: no ties, no zeros
    perm = draw(st.permutations(range(n)))
    signs = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([-1.0, 1.0])))
    x = ((0.5 + np.array(perm, dtype=np.float64) / n) * signs).reshape(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        flips = draw(st.lists(st.booleans(), min_size=len(picked), max_size=len(picked)))
        axis = tuple(a - ndim if f else a for a, f in zip(picked, flips))
    keepdims = draw(st.booleans())
    return x, axis, keepdims


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_forward_and_first_derivative(backend, num, name):
    op, ref = REDUCTIONS[name]

    @settings(max_examples=20, **SETTINGS)
    @given(case=_reduce_case())
    def run(case):
        x, axis, keepdims = case
        if name in NEEDS_TWO:
            assume(_count(x.shape, axis) >= 2)
        want = np.asarray(ref(x, axis, keepdims))
        got = num.host(op(num.to_device(backend, x), axis, keepdims))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        c = num.to_device(backend, np.random.default_rng(6).standard_normal(want.shape))
        num.check_grad(backend, lambda v: ag.sum(op(v, axis, keepdims) * c), x)

    run()


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_second_derivative(backend, num, name):
    op, _ = REDUCTIONS[name]

    @settings(max_examples=8, **SETTINGS)
    @given(case=_reduce_case())
    def run(case):
        x, axis, keepdims = case
        if name in NEEDS_TWO:
            assume(_count(x.shape, axis) >= 2)
        shape = np.asarray(REDUCTIONS[name][1](x, axis, keepdims)).shape
        c = num.to_device(backend, np.random.default_rng(7).standard_normal(shape))
        # the square makes the linear reductions' second derivatives non-zero
        num.check_grad2(backend, lambda v: ag.sum(op(v, axis, keepdims) ** 2 * c), x, rtol=1e-4)

    run()


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "logsumexp"])
def test_reduction_of_a_0d_array(backend, num, name):
    op, ref = REDUCTIONS[name]
    x = np.array(1.5)
    np.testing.assert_allclose(
        num.host(op(num.to_device(backend, x), None, False)), ref(x, None, False)
    )
    num.check_grad(backend, lambda v: op(v, None, False) * 3.0, x)


def test_keyword_forms(backend, num):
    x = np.arange(1.0, 7.0).reshape(2, 3)
    xd = num.to_device(backend, x)
    np.testing.assert_allclose(num.host(ag.sum(xd, axis=1, keepdims=True)), [[6.0], [15.0]])
    np.testing.assert_allclose(num.host(ag.mean(xd, axis=0)), [2.5, 3.5, 4.5])
    np.testing.assert_allclose(num.host(ag.prod(xd, axis=-1)), [6.0, 120.0])
    np.testing.assert_allclose(num.host(ag.norm(xd)), np.sqrt((x**2).sum()))
    np.testing.assert_allclose(num.host(ag.norm(xd, ord=1, axis=0)), [5.0, 7.0, 9.0])
    np.testing.assert_allclose(num.host(ag.var(xd, axis=1, ddof=1)), [1.0, 1.0])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_prod_gradient_with_a_zero_element(backend, num):
    g = ag.grad(lambda v: ag.prod(v))(num.to_device(backend, [0.0, 2.0, 3.0]))
    np.testing.assert_array_equal(num.host(g), [6.0, 0.0, 0.0])


@pytest.mark.parametrize("name", ["max", "min"])
def test_extremum_ties_share_the_gradient(backend, num, name):
    op = getattr(ag, name)
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if name == "max" else -1)
    g = ag.grad(lambda v: ag.sum(op(v, axis=1)))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(g), [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    g_all = ag.grad(lambda v: op(v))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(g_all), [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])


def test_logsumexp_is_stable_and_its_gradient_is_softmax(backend, num):
    x = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]])
    xd = num.to_device(backend, x)
    np.testing.assert_allclose(num.host(ag.logsumexp(xd, axis=1)), sp.logsumexp(x, axis=1))
    g = ag.grad(lambda v: ag.sum(ag.logsumexp(v, axis=1)))(xd)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(num.host(g), e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    assert np.isfinite(num.host(g)).all()


def test_mean_var_std_gradients_are_analytic(backend, num):
    x = np.array([1.0, 2.0, 4.0, 7.0])
    n, m = x.size, x.mean()
    xd = num.to_device(backend, x)
    np.testing.assert_allclose(num.host(ag.grad(ag.mean)(xd)), np.full(4, 1 / n))
    np.testing.assert_allclose(num.host(ag.grad(ag.var)(xd)), 2 * (x - m) / n)
    np.testing.assert_allclose(num.host(ag.grad(ag.std)(xd)), (x - m) / (n * x.std()), rtol=1e-12)


def test_norm_gradient_is_the_unit_vector(backend, num):
    x = np.array([3.0, -4.0])
    np.testing.assert_allclose(
        num.host(ag.grad(ag.norm)(num.to_device(backend, x))), x / 5.0, rtol=1e-12
    )


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_values_and_zero_gradient(backend, num, name):
    op = getattr(ag, name)
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    xd = num.to_device(backend, x)
    ref = getattr(np, name)
    assert int(num.host(op(xd))) == ref(x)
    np.testing.assert_array_equal(num.host(op(xd, axis=1)), ref(x, axis=1))
    np.testing.assert_array_equal(num.host(op(xd, axis=0, keepdims=True)), ref(x, 0, keepdims=True))
    p = ag.Param(xd)
    t = ag.diff(lambda: ag.sum(op(p, axis=1) * 1.0))
    assert ag.grad(t, p) is None
    # an index from argmax selects one element: a one-hot gradient
    t = ag.diff(lambda: ag.reshape(p, (-1,))[op(p)] * 2.0)
    want = np.zeros(6)
    want[ref(x)] = 2.0
    np.testing.assert_array_equal(num.host(ag.grad(t, p)), want.reshape(2, 3))


def test_broadcast_to(backend, num):
    x = np.array([[1.0], [2.0]])
    got = ag.broadcast_to(num.to_device(backend, x), (3, 2, 4))
    np.testing.assert_array_equal(num.host(got), np.broadcast_to(x, (3, 2, 4)))
    c = num.to_device(backend, np.random.default_rng(8).standard_normal((3, 2, 4)))
    f = lambda v: ag.sum(ag.sin(ag.broadcast_to(v, (3, 2, 4))) * c)  # noqa: E731
    num.check_grad(backend, f, x)
    num.check_grad2(backend, f, x)
