"""Indexing with every numpy index form; gradients scatter back (repeats accumulate)."""

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
ELEMENTS = st.floats(-2, 2, allow_nan=False, allow_infinity=False, allow_subnormal=False)

X = np.arange(24.0).reshape(2, 3, 4) / 8 - 1.0
MASK_FULL = (np.arange(24).reshape(2, 3, 4) % 3) == 0
MASK0 = np.array([False, True])
MASK1 = np.array([True, False, True])
MASK01 = np.array([[True, False, True], [False, False, True]])

INDICES = {
    "int": 1,
    "negative int": -1,
    "two ints": (1, 2),
    "three ints": (0, -1, 2),
    "slice": slice(1, None),
    "slice step": (slice(None), slice(None, None, 2)),
    "negative step": (slice(None), slice(None, None, -2)),
    "reverse from 1": slice(1, None, -1),
    "negative bounds": (slice(-2, None), slice(1, 3)),
    "empty slice": slice(2, 1),
    "ellipsis last": (Ellipsis, 1),
    "ellipsis first": (0, Ellipsis),
    "ellipsis middle": (1, Ellipsis, slice(None, None, 3)),
    "none": None,
    "none middle": (slice(None), None, 1),
    "none and ellipsis": (None, Ellipsis, None),
    "list with repeats": [0, 0, 1],
    "array with repeats": np.array([1, 1, 1]),
    "negative array": np.array([-1, 0, -1]),
    "2-D array": np.array([[0, 1], [1, 0]]),
    "array on axis 1": (slice(None), [2, 2, 0]),
    "paired arrays": ([0, 1, 1], [1, 1, 2]),
    "paired arrays broadcast": (np.array([[0], [1]]), np.array([0, 2, 2])),
    "arrays split by slice": ([0, 1], slice(None), [1, 1]),
    "array after ellipsis": (Ellipsis, [2, 0, 2]),
    "full boolean mask": MASK_FULL,
    "mask on axis 0": MASK0,
    "mask on axis 1": (slice(None), MASK1),
    "2-D mask": MASK01,
    "2-D mask then int": (MASK01, 3),
    "boolean list": [True, False],
    "mask, slice and int": (MASK0, slice(1, None), 0),
    "slice and array": (slice(1, None), [0, 2]),
    "none, int, reversed slice, array": (None, 1, slice(None, None, -1), [0, 3]),
    "int and array": (1, [2, 0, 2, 2]),
    "empty array": np.array([], dtype=np.int64),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem(backend, num, name):
    index = INDICES[name]
    want = X[index]
    xd = num.to_device(backend, X)
    np.testing.assert_array_equal(num.host(ag.getitem(xd, index)), want)
    np.testing.assert_array_equal(num.host(ag.Param(xd)[index]), want)
    c = num.to_device(backend, np.random.default_rng(10).standard_normal(want.shape))

    def f(v):
        return ag.sum(ag.sin(v[index]) * c)

    num.check_grad(backend, f, X)
    num.check_grad2(backend, f, X)


def test_repeated_indices_accumulate(backend, num):
    x = np.arange(6.0).reshape(2, 3)
    g = ag.grad(lambda v: ag.sum(v[[0, 0, 1, 0]]))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), [[3.0, 3.0, 3.0], [1.0, 1.0, 1.0]])
    g = ag.grad(lambda v: ag.sum(v[:, [2, 2, 0]] * 2.0))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), [[2.0, 0.0, 4.0], [2.0, 0.0, 4.0]])
    g = ag.grad(lambda v: ag.sum(v[[1, 1], [2, 2]]))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]])


def test_repeated_reads_of_a_param_accumulate(backend, num):
    p = ag.Param(num.to_device(backend, [1.0, 2.0, 3.0]))
    t = ag.diff(lambda: p[0] * p[0] + p[0] * p[2] + ag.sum(p[::2]))
    np.testing.assert_allclose(num.host(ag.grad(t, p)), [2 + 3 + 1, 0.0, 1 + 1])


def test_boolean_mask_gradient_is_the_mask(backend, num):
    x = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    mask = x > 0.1
    g = ag.grad(lambda v: ag.sum(v[mask]))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), mask.astype(float))
    g = ag.grad(lambda v: ag.sum(v[v > 0.1] ** 2))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(g), np.where(mask, 2 * x, 0.0))


def test_scatter_add(backend, num):
    dy = np.array([1.0, 2.0, 3.0])
    out = ag.scatter_add(num.to_device(backend, dy), ([0, 2, 0],), (4,))
    np.testing.assert_array_equal(num.host(out), [4.0, 0.0, 2.0, 0.0])
    out = ag.scatter_add(num.to_device(backend, dy), (slice(1, None),), (4,))
    np.testing.assert_array_equal(num.host(out), [0.0, 1.0, 2.0, 3.0])
    c = num.to_device(backend, np.array([0.5, -1.0, 2.0, 1.5]))
    f = lambda v: ag.sum(ag.sin(ag.scatter_add(v, ([0, 2, 0],), (4,))) * c)  # noqa: E731
    num.check_grad(backend, f, dy)
    num.check_grad2(backend, f, dy)


# -- property-based ------------------------------------------------------------------------

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def _basic_case(draw):
    x = draw(hnp.arrays(np.float64, draw(SHAPES), elements=ELEMENTS))
    index = draw(hnp.basic_indices(x.shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    return x, index


@st.composite
def _advanced_case(draw):
    x = draw(hnp.arrays(np.float64, draw(SHAPES), elements=ELEMENTS))
    index = draw(
        hnp.integer_array_indices(
            x.shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
        )
    )
    return x, index


@st.composite
def _mask_case(draw):
    x = draw(hnp.arrays(np.float64, draw(SHAPES), elements=ELEMENTS))
    k = draw(st.integers(1, x.ndim))
    mask = draw(hnp.arrays(np.bool_, x.shape[:k]))
    return x, mask


def _check_index(backend, num, x, index, order2=True):
    want = x[index]
    np.testing.assert_array_equal(num.host(ag.getitem(num.to_device(backend, x), index)), want)
    c = num.to_device(backend, np.random.default_rng(11).standard_normal(want.shape))

    def f(v):
        return ag.sum(ag.sin(v[index]) * c)

    num.check_grad(backend, f, x)
    if order2:
        num.check_grad2(backend, f, x)


@given(case=_basic_case())
@settings(max_examples=25, **SETTINGS)
def test_basic_indices_property(backend, num, case):
    _check_index(backend, num, *case, order2=False)


@given(case=_advanced_case())
@settings(max_examples=25, **SETTINGS)
def test_integer_array_indices_property(backend, num, case):
    _check_index(backend, num, *case)


@given(case=_mask_case())
@settings(max_examples=20, **SETTINGS)
def test_boolean_mask_property(backend, num, case):
    _check_index(backend, num, *case)


@given(case=_basic_case())
@settings(max_examples=10, **SETTINGS)
def test_basic_indices_second_order_property(backend, num, case):
    _check_index(backend, num, *case)
