"""Issue 18 §1: gradients that used to be silently wrong or zero.

Each test states the number autograd must give; before the fix each gave 0, None or NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag

# -- identity ------------------------------------------------------------------------------


def test_gradient_of_the_identity_is_one():
    assert float(ag.grad(lambda x: x)(np.float64(2.0))) == 1.0
    np.testing.assert_array_equal(ag.grad(lambda x: x)(np.array([2.0])), [1.0])


def test_a_tape_whose_result_is_the_param_itself():
    p = ag.Param(np.array([3.0]))
    np.testing.assert_array_equal(ag.grad(ag.diff(lambda: p), p), [1.0])


def test_identity_at_second_order():
    # d/dx (d/dx x * x) = 2, through a function that returns its argument unchanged
    g = ag.grad(lambda x: ag.sum(ag.grad(lambda y: y)(x) * x))(np.array([2.0]))
    np.testing.assert_array_equal(g, [1.0])


# -- keyword array arguments ---------------------------------------------------------------


def test_where_with_arrays_by_keyword():
    c = np.array([True, False, True])
    b = np.array([9.0, 9.0, 9.0])
    g = ag.grad(lambda a: ag.sum(ag.where(c, x=a, y=b) * 2.0))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 0.0, 2.0])
    g = ag.grad(lambda a: ag.sum(ag.where(condition=c, x=b, y=a)))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_clip_with_array_by_keyword():
    g = ag.grad(lambda a: ag.sum(ag.clip(x=a, lo=-1.0, hi=1.0)))(np.array([-2.0, 0.5, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_polygamma_with_array_by_keyword():
    x = np.array([1.5, 2.5])
    g = ag.grad(lambda a: ag.sum(ag.polygamma(0, x=a)))(x)
    np.testing.assert_allclose(g, ag.polygamma(1, x), rtol=1e-12)


def test_binary_ops_with_every_argument_by_keyword():
    a0, b0 = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    for op, ga, gb in [
        (ag.add, [1.0, 1.0], [1.0, 1.0]),
        (ag.subtract, [1.0, 1.0], [-1.0, -1.0]),
        (ag.multiply, b0, a0),
        (ag.maximum, [0.0, 0.0], [1.0, 1.0]),
    ]:
        g = ag.grad(lambda a, b, op=op: ag.sum(op(x=a, y=b)), argnum=(0, 1))(a0, b0)
        np.testing.assert_allclose(g[0], ga)
        np.testing.assert_allclose(g[1], gb)


def test_a_user_primitive_sees_its_keyword_array_argument():
    @ag.primitive
    def scaled(x, k):
        return x * k

    ag.defvjp(scaled, lambda dy, y, x, k: dy * k, lambda dy, y, x, k: dy * x)
    g = ag.grad(lambda k: ag.sum(scaled(np.array([2.0, 3.0]), k=k)))(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(g, [2.0, 3.0])


def test_a_keyword_only_array_argument_is_refused_inside_diff():
    @ag.primitive
    def shifted(x, *, by):
        return x + by

    ag.defvjp(shifted, lambda dy, y, x, by: dy)
    with pytest.raises(TypeError, match=r"shifted: .*keyword-only argument 'by'.*pass it"):
        ag.grad(lambda b: ag.sum(shifted(np.ones(2), by=b)))(np.ones(2))
    # outside diff a Param by keyword acts like its value
    np.testing.assert_array_equal(shifted(np.ones(2), by=ag.Param(np.ones(2))), [2.0, 2.0])


def test_zerograd_op_unboxes_keyword_arguments():
    x = ag.Param(np.array([1.0, -2.0]))

    def f():
        assert ag.greater(x=x, y=0.0).tolist() == [True, False]
        return ag.sum(x)

    ag.diff(f)


# -- a primitive without rules -------------------------------------------------------------


def test_a_primitive_without_a_rule_raises_naming_it_and_defvjp():
    @ag.primitive
    def no_rule_op(x):
        return x * 2.0

    x = ag.Param(np.array([1.0]))
    with pytest.raises(
        NotImplementedError, match=r"no_rule_op: no gradient rule for argument 0.*defvjp"
    ):
        ag.diff(lambda: ag.sum(no_rule_op(x)))
    assert ag.training() is False


def test_a_rule_missing_for_one_argument_raises_only_when_it_is_needed():
    @ag.primitive
    def half_rules(x, y):
        return x * y

    ag.defvjp(half_rules, lambda dy, y, a, b: dy * b)  # none declared for argument 1
    x = ag.Param(np.array([2.0]))
    t = ag.diff(lambda: ag.sum(half_rules(x, np.array([3.0]))))
    np.testing.assert_array_equal(ag.grad(t, x), [3.0])
    with pytest.raises(NotImplementedError, match=r"half_rules: no gradient rule for argument 1"):
        ag.diff(lambda: ag.sum(half_rules(np.array([3.0]), x)))


# -- escapes through numpy -----------------------------------------------------------------


@pytest.mark.parametrize(
    "escape, fix",
    [
        (lambda x: np.array([x, 2 * x]), "pg.stack"),
        (lambda x: ag.array([x, 2 * x]), "pg.stack"),
        (lambda x: np.ravel(x), "pg.reshape"),
        (lambda x: np.asarray(x * 1.0), "pg.stack"),
        (lambda x: np.concatenate([x, x]), "pg.concat"),
    ],
)
def test_converting_a_recorded_value_to_an_array_inside_diff_raises(escape, fix):
    with pytest.raises(TypeError, match=rf"inside diff.*{fix}"):
        ag.grad(lambda x: ag.sum(escape(x)))(np.array([1.0, 2.0]))


def test_numpy_functions_that_call_plugrad_methods_still_record():
    # np.sum / np.mean / np.reshape call the box's own methods: they record
    g = ag.grad(lambda x: np.sum(np.reshape(x, (2, 1)) * 3.0))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [3.0, 3.0])


def test_converting_outside_diff_still_gives_the_array():
    p = ag.Param(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(np.array([p, p]), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_array_equal(np.ravel(p), [1.0, 2.0])


def test_the_value_of_a_recorded_value_is_an_explicit_constant():
    def f(x):
        c = ag.value(x * 1.0)  # explicitly a constant: no gradient through it
        return ag.sum(x * c)

    np.testing.assert_array_equal(ag.grad(f)(np.array([1.0, 2.0])), [1.0, 2.0])


# -- diff's result -------------------------------------------------------------------------


@pytest.mark.parametrize("result", [None, "loss", [1.0], {"a": 1.0}])
def test_diff_of_a_function_returning_no_number_raises(result):
    with pytest.raises(TypeError, match=r"diff: the function must return a scalar"):
        ag.diff(lambda: result)


def test_diff_of_a_constant_number_is_allowed():
    t = ag.diff(lambda: 3.0)
    assert ag.value(t) == 3.0
    assert ag.params(t) == []


def test_clip_bounds_that_are_arrays_get_their_gradient():
    x = np.array([-2.0, 0.5, 3.0])
    lo, hi = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    g = ag.grad(lambda a, b, c: ag.sum(ag.clip(a, b, c) * 2.0), argnum=(0, 1, 2))(x, lo, hi)
    np.testing.assert_array_equal(g[0], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(g[1], [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(g[2], [0.0, 0.0, 2.0])
    assert ag.gcheck(
        lambda b: ag.sum(ag.clip(x, b, 1.0) ** 2), np.array([-1.5, 0.7, 0.2]), verbose=0
    )
