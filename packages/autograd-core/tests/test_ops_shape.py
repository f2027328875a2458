"""Shape ops: reshape, transpose, swapaxes, expand_dims, squeeze, flip, take, concatenation,
stacking, splitting, Knet's vec/mat/cat1d: values, first and second derivatives.

Shape ops are linear, so every loss here goes through ``sin``: its second derivative needs
the shape ops' rules to be differentiable themselves.
"""

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


def _array(shape):
    return hnp.arrays(np.float64, shape, elements=ELEMENTS)


def _check(backend, num, op, ref, *xs, order2=True):
    """Forward against ``ref`` on host arrays, then first and second derivatives."""
    want = ref(*xs)
    dev = [num.to_device(backend, x) for x in xs]
    got = op(*dev)
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(num.host(g), w)
        rng = np.random.default_rng(9)
        cs = [num.to_device(backend, rng.standard_normal(w.shape)) for w in want]

        def f(*a):
            total = 0.0
            for piece, c in zip(op(*a), cs):
                total = total + ag.sum(ag.sin(piece) * c)
            return total

    else:
        np.testing.assert_array_equal(num.host(got), want)
        assert got.shape == want.shape
        c = num.to_device(backend, np.random.default_rng(9).standard_normal(want.shape))

        def f(*a):
            return ag.sum(ag.sin(op(*a)) * c)

    num.check_grad(backend, f, *xs)
    if order2:
        num.check_grad2(backend, f, *xs)


# -- explicit cases ------------------------------------------------------------------------

X234 = np.arange(24.0).reshape(2, 3, 4) / 10 - 1
X2131 = np.arange(6.0).reshape(2, 1, 3, 1) / 5 - 0.5

UNARY_CASES = {
    "reshape (4, 6)": (X234, lambda x: ag.reshape(x, (4, 6)), lambda x: x.reshape(4, 6)),
    "reshape -1": (X234, lambda x: ag.reshape(x, (-1,)), lambda x: x.reshape(-1)),
    "reshape (2, -1, 2)": (
        X234,
        lambda x: ag.reshape(x, (2, -1, 2)),
        lambda x: x.reshape(2, -1, 2),
    ),
    "reshape method": (X234, lambda x: x.reshape(3, 8), lambda x: x.reshape(3, 8)),
    "transpose": (X234, ag.transpose, np.transpose),
    "transpose axes": (X234, lambda x: ag.transpose(x, (1, 0, 2)), lambda x: x.transpose(1, 0, 2)),
    "transpose negative axes": (
        X234,
        lambda x: ag.transpose(x, (-1, 0, 1)),
        lambda x: x.transpose(2, 0, 1),
    ),
    ".T": (X234, lambda x: x.T, lambda x: x.T),
    "transpose method": (
        X234,
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
    ),
    "permute_dims": (
        X234,
        lambda x: ag.permute_dims(x, [2, 0, 1]),
        lambda x: np.permute_dims(x, (2, 0, 1)),
    ),
    "swapaxes": (X234, lambda x: ag.swapaxes(x, 0, 2), lambda x: x.swapaxes(0, 2)),
    "swapaxes negative": (X234, lambda x: ag.swapaxes(x, -1, 1), lambda x: x.swapaxes(-1, 1)),
    "expand_dims 0": (X234, lambda x: ag.expand_dims(x, 0), lambda x: x[None]),
    "expand_dims -1": (X234, lambda x: ag.expand_dims(x, -1), lambda x: x[..., None]),
    "expand_dims tuple": (
        X234,
        lambda x: ag.expand_dims(x, (0, 2)),
        lambda x: np.expand_dims(x, (0, 2)),
    ),
    "squeeze": (X2131, ag.squeeze, np.squeeze),
    "squeeze axis": (X2131, lambda x: ag.squeeze(x, 1), lambda x: x.squeeze(1)),
    "squeeze axes": (X2131, lambda x: ag.squeeze(x, (1, 3)), lambda x: x.squeeze((1, 3))),
    "squeeze negative": (X2131, lambda x: ag.squeeze(x, -1), lambda x: x.squeeze(-1)),
    "flip": (X234, ag.flip, np.flip),
    "flip 0": (X234, lambda x: ag.flip(x, 0), lambda x: np.flip(x, 0)),
    "flip tuple": (X234, lambda x: ag.flip(x, (1, 2)), lambda x: np.flip(x, (1, 2))),
    "flip -1": (X234, lambda x: ag.flip(x, -1), lambda x: np.flip(x, -1)),
    "take flat": (X234, lambda x: ag.take(x, [0, 5, 5, 23]), lambda x: np.take(x, [0, 5, 5, 23])),
    "take axis 1 repeats": (
        X234,
        lambda x: ag.take(x, np.array([2, 0, 2]), axis=1),
        lambda x: np.take(x, [2, 0, 2], axis=1),
    ),
    "take axis -1 2-D indices": (
        X234,
        lambda x: ag.take(x, np.array([[0, 1], [3, 3]]), axis=-1),
        lambda x: np.take(x, [[0, 1], [3, 3]], axis=-1),
    ),
    "take negative indices": (
        X234,
        lambda x: ag.take(x, np.array([-1, 0, -1]), axis=0),
        lambda x: np.take(x, [-1, 0, -1], axis=0),
    ),
    "vec": (X234, ag.vec, lambda x: x.reshape(-1)),
    "mat": (X234, ag.mat, lambda x: x.reshape(2, 12)),
    "mat of 2-D": (X234[0], ag.mat, lambda x: x),
    "split 2": (X234, lambda x: ag.split(x, 2), lambda x: np.split(x, 2)),
    "split axis 2 at indices": (
        X234,
        lambda x: ag.split(x, [1, 3], axis=2),
        lambda x: np.split(x, [1, 3], axis=2),
    ),
    "split axis -2": (X234, lambda x: ag.split(x, 3, axis=-2), lambda x: np.split(x, 3, axis=-2)),
}


@pytest.mark.parametrize("case", sorted(UNARY_CASES))
def test_shape_op(backend, num, case):
    x, op, ref = UNARY_CASES[case]
    _check(backend, num, op, ref, x)


def test_take_gradient_accumulates_repeats(backend, num):
    x = np.arange(5.0)
    g = ag.grad(lambda v: ag.sum(ag.take(v, np.array([1, 1, 1, 4, -1]))))(num.to_device(backend, x))
    np.testing.assert_array_equal(num.host(g), [0.0, 3.0, 0.0, 0.0, 2.0])


A = np.arange(6.0).reshape(2, 3) / 4
B = -np.arange(4.0).reshape(2, 2) / 3
C = np.arange(9.0).reshape(3, 3) / 7 - 0.5
V3 = np.array([0.5, -1.0, 1.5])
V2 = np.array([2.0, -0.25])

MULTI_CASES = {
    "concat axis 1": (
        (A, B),
        lambda a, b: ag.concat([a, b], axis=1),
        lambda a, b: np.concatenate([a, b], axis=1),
    ),
    "concat axis 0": (
        (A, C),
        lambda a, c: ag.concat([a, c]),
        lambda a, c: np.concatenate([a, c]),
    ),
    "concat axis -1, three": (
        (A, B, A),
        lambda a, b, c: ag.concatenate((a, b, c), axis=-1),
        lambda a, b, c: np.concatenate([a, b, c], axis=-1),
    ),
    "hcat 2-D": ((A, B), lambda a, b: ag.hcat(a, b), lambda a, b: np.hstack([a, b])),
    "hcat 1-D": ((V3, V2), lambda a, b: ag.hcat(a, b), lambda a, b: np.hstack([a, b])),
    "vcat 2-D": ((A, C), lambda a, c: ag.vcat(a, c), lambda a, c: np.vstack([a, c])),
    "vcat 1-D": ((V3, V3), lambda a, b: ag.vcat(a, b), lambda a, b: np.vstack([a, b])),
    "vcat 1-D and 2-D": ((V3, A), lambda a, b: ag.vcat(a, b), lambda a, b: np.vstack([a, b])),
    "stack": ((A, A * 2), lambda a, b: ag.stack([a, b]), lambda a, b: np.stack([a, b])),
    "stack axis 1": (
        (A, -A, A),
        lambda a, b, c: ag.stack([a, b, c], axis=1),
        lambda a, b, c: np.stack([a, b, c], axis=1),
    ),
    "stack axis -1": (
        (V3, V3 * 3),
        lambda a, b: ag.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
    ),
    "cat1d": (
        (A, V2, C),
        lambda a, b, c: ag.cat1d(a, b, c),
        lambda a, b, c: np.concatenate([a.ravel(), b.ravel(), c.ravel()]),
    ),
}


@pytest.mark.parametrize("case", sorted(MULTI_CASES))
def test_joining_op(backend, num, case):
    xs, op, ref = MULTI_CASES[case]
    _check(backend, num, op, ref, *xs)


def test_concat_of_the_same_param_twice(backend, num):
    p = ag.Param(num.to_device(backend, V3))
    t = ag.diff(lambda: ag.sum(ag.concat([p, p * 2.0, p]) * np.arange(9.0)))
    np.testing.assert_allclose(
        num.host(ag.grad(t, p)), [0 + 2 * 3 + 6, 1 + 2 * 4 + 7, 2 + 2 * 5 + 8]
    )


def test_concat_and_stack_of_many_arrays(backend, num):
    xs = [np.full(2, float(i)) for i in range(20)]
    c = num.to_device(backend, np.arange(40.0))
    grads = num.check_grad(backend, lambda *a: ag.sum(ag.concat(list(a)) ** 2 * c), *xs)
    np.testing.assert_allclose(grads[19], 2 * 19.0 * np.array([38.0, 39.0]))
    grads = num.check_grad(backend, lambda *a: ag.sum(ag.sin(ag.stack(list(a), axis=1))), *xs)
    np.testing.assert_allclose(grads[17], np.cos(np.full(2, 17.0)))


# -- property-based ------------------------------------------------------------------------

SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3)


@st.composite
def _transpose_case(draw):
    x = draw(_array(draw(SHAPES)))
    nd = x.ndim
    if draw(st.booleans()):
        return x, None
    perm = draw(st.permutations(range(nd)))
    flips = draw(st.lists(st.booleans(), min_size=nd, max_size=nd))
    return x, tuple(a - nd if f else a for a, f in zip(perm, flips))


@given(case=_transpose_case())
@settings(max_examples=15, **SETTINGS)
def test_transpose_property(backend, num, case):
    x, axes = case
    _check(backend, num, lambda v: ag.transpose(v, axes), lambda v: np.transpose(v, axes), x)


@st.composite
def _swapaxes_case(draw):
    x = draw(_array(draw(SHAPES)))
    nd = x.ndim
    return x, draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))


@given(case=_swapaxes_case())
@settings(max_examples=15, **SETTINGS)
def test_swapaxes_property(backend, num, case):
    x, a1, a2 = case
    _check(backend, num, lambda v: ag.swapaxes(v, a1, a2), lambda v: v.swapaxes(a1, a2), x)


@st.composite
def _reshape_case(draw):
    x = draw(_array(draw(SHAPES)))
    n, s = x.size, x.shape
    target = draw(
        st.sampled_from([(n,), (-1,), (1, n), (n, 1), s[::-1], (-1, s[-1]), (s[0], -1), ()])
    )
    if target == () and n != 1:
        target = (n,)
    return x, target


@given(case=_reshape_case())
@settings(max_examples=15, **SETTINGS)
def test_reshape_property(backend, num, case):
    x, shape = case
    _check(backend, num, lambda v: ag.reshape(v, shape), lambda v: v.reshape(shape), x)


@st.composite
def _flip_case(draw):
    x = draw(_array(draw(SHAPES)))
    nd = x.ndim
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return x, None
    if kind == "int":
        return x, draw(st.integers(-nd, nd - 1))
    return x, tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, unique=True)))


@given(case=_flip_case())
@settings(max_examples=15, **SETTINGS)
def test_flip_property(backend, num, case):
    x, axis = case
    _check(backend, num, lambda v: ag.flip(v, axis), lambda v: np.flip(v, axis), x)


@st.composite
def _expand_squeeze_case(draw):
    shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=4)))
    x = draw(_array(shape))
    ones = [i for i, n in enumerate(shape) if n == 1]
    squeeze_axis = None
    if ones and draw(st.booleans()):
        squeeze_axis = tuple(draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
    expand_axis = draw(st.integers(-x.ndim - 1, x.ndim))
    return x, squeeze_axis, expand_axis


@given(case=_expand_squeeze_case())
@settings(max_examples=15, **SETTINGS)
def test_expand_dims_and_squeeze_property(backend, num, case):
    x, squeeze_axis, expand_axis = case
    _check(
        backend,
        num,
        lambda v: ag.squeeze(v, squeeze_axis),
        lambda v: np.squeeze(v, squeeze_axis),
        x,
    )
    _check(
        backend,
        num,
        lambda v: ag.expand_dims(v, expand_axis),
        lambda v: np.expand_dims(v, expand_axis),
        x,
        order2=False,
    )


@st.composite
def _concat_case(draw):
    shape = draw(SHAPES)
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    k = draw(st.integers(1, 3))
    xs = []
    for _ in range(k):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        xs.append(draw(_array(tuple(s))))
    return xs, axis


@given(case=_concat_case())
@settings(max_examples=15, **SETTINGS)
def test_concat_property(backend, num, case):
    xs, axis = case
    _check(
        backend,
        num,
        lambda *a: ag.concat(list(a), axis=axis),
        lambda *a: np.concatenate(a, axis=axis),
        *xs,
    )


@st.composite
def _stack_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    k = draw(st.integers(1, 3))
    xs = [draw(_array(shape)) for _ in range(k)]
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return xs, axis


@given(case=_stack_case())
@settings(max_examples=15, **SETTINGS)
def test_stack_property(backend, num, case):
    xs, axis = case
    _check(
        backend,
        num,
        lambda *a: ag.stack(list(a), axis=axis),
        lambda *a: np.stack(a, axis=axis),
        *xs,
    )


@st.composite
def _split_case(draw):
    x = draw(_array(draw(SHAPES)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    if draw(st.booleans()):
        sections = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        sections = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return x, sections, axis


@given(case=_split_case())
@settings(max_examples=15, **SETTINGS)
def test_split_property(backend, num, case):
    x, sections, axis = case
    _check(
        backend,
        num,
        lambda v: ag.split(v, sections, axis=axis),
        lambda v: np.split(v, sections, axis=axis),
        x,
    )


@st.composite
def _take_case(draw):
    x = draw(_array(draw(SHAPES)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    idx_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    indices = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1)))
    return x, indices, axis


@given(case=_take_case())
@settings(max_examples=15, **SETTINGS)
def test_take_property(backend, num, case):
    x, indices, axis = case
    _check(
        backend,
        num,
        lambda v: ag.take(v, indices, axis=axis),
        lambda v: np.take(v, indices, axis=axis),
        x,
    )
