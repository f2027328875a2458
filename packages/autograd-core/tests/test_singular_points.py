"""Gradients at the singular points of each rule: 0, equal arguments, one element.

Decisions (documented in docs/autograd): where a function is not differentiable but has
a natural subgradient, the rule gives it, as PyTorch does: std and norm at 0 give 0,
power(x, 0) gives 0 everywhere, abs at 0 gives 0, ties of maximum/minimum share the
gradient evenly, ties of max/min reductions share it among the tied elements. Where the
derivative is infinite (sqrt, cbrt, log at 0), the rule gives inf.
"""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag


def test_std_of_one_element_has_zero_gradient():
    np.testing.assert_array_equal(ag.grad(lambda x: ag.std(x))(np.array([3.0])), [0.0])
    g = ag.grad(lambda x: ag.sum(ag.std(x, axis=1)))(np.array([[3.0], [4.0]]))
    np.testing.assert_array_equal(g, [[0.0], [0.0]])


def test_std_of_equal_elements_has_zero_gradient():
    np.testing.assert_array_equal(ag.grad(ag.std)(np.array([2.0, 2.0])), [0.0, 0.0])


def test_std_elsewhere_matches_numerical_differentiation():
    x = np.array([1.0, 2.0, 4.0])
    assert ag.gcheck(lambda v: ag.std(v, ddof=1), x, verbose=0)
    assert ag.gcheck(lambda v: ag.sum(ag.grad(ag.std)(v) * v), x, verbose=0)


def test_power_with_exponent_zero_at_zero():
    g = ag.grad(lambda x: ag.sum(ag.power(x, 0.0)))(np.array([0.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_power_exponent_gradient_at_zero_base():
    g = ag.grad(lambda p: ag.sum(ag.power(np.array([0.0, 2.0]), p)))(np.array([2.0, 2.0]))
    np.testing.assert_allclose(g, [0.0, 4.0 * np.log(2.0)])


@pytest.mark.parametrize("ord_", [2, 1, 3, float("inf")])
def test_norm_at_zero_has_zero_gradient(ord_):
    g = ag.grad(lambda x: ag.norm(x, ord=ord_))(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_norm_away_from_zero():
    for ord_ in (2, 1, 3):
        assert ag.gcheck(lambda v, o=ord_: ag.norm(v, ord=o), np.array([1.0, -2.0, 0.5]), verbose=0)


def test_abs_at_zero_and_ties():
    np.testing.assert_array_equal(ag.grad(lambda x: ag.sum(ag.abs(x)))(np.zeros(2)), [0, 0])
    g = ag.grad(lambda a, b: ag.sum(ag.maximum(a, b)), argnum=(0, 1))(np.ones(2), np.ones(2))
    np.testing.assert_array_equal(g[0], [0.5, 0.5])
    np.testing.assert_array_equal(g[1], [0.5, 0.5])
    g = ag.grad(lambda x: ag.max(x))(np.array([1.0, 3.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])


def test_logsumexp_of_minus_infinity_everywhere():
    with np.errstate(divide="ignore"):  # the forward's log(0): its value is -inf
        g = ag.grad(lambda x: ag.sum(ag.logsumexp(x, axis=1)))(np.full((2, 2), -np.inf))
    np.testing.assert_array_equal(g, np.zeros((2, 2)))


def test_reductions_over_empty_axes():
    x = np.zeros((0, 3))
    for f in (ag.sum, ag.prod):
        g = ag.grad(lambda v, f=f: ag.sum(f(v, axis=0)))(x)
        assert g.shape == (0, 3)
    with np.errstate(divide="ignore", invalid="ignore"):  # the mean of nothing is NaN
        g = ag.grad(lambda v: ag.sum(ag.mean(v, axis=1)))(np.zeros((3, 0)))
    assert g.shape == (3, 0)


def test_sqrt_at_zero_is_infinite():
    with np.errstate(divide="ignore"):
        g = ag.grad(lambda x: ag.sum(ag.sqrt(x)))(np.array([0.0, 4.0]))
    np.testing.assert_array_equal(g, [np.inf, 0.25])
