"""Issue 18 §5 / issue 19 §2: errors that were bare, masked or rebuilt wrongly."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag


def test_an_op_error_keeps_numpys_exception_as_its_cause():
    with pytest.raises(ag.OpError, match=r"add: cannot apply to \(ndarray\(1,\) <U1, nd") as info:
        ag.add(np.array(["a"]), np.array([1.0]))
    assert isinstance(info.value, TypeError)  # numpy's no-loop error is a TypeError
    assert "ufunc 'add' did not contain a loop" in str(info.value)
    assert isinstance(info.value.__cause__, np._core._exceptions._UFuncNoLoopError)


def test_op_errors_are_still_caught_as_value_and_type_errors():
    with pytest.raises(ValueError):
        ag.add(np.ones(2), np.ones(3))
    with pytest.raises(TypeError):
        ag.add(np.ones(2), np.ones(3))


def test_an_op_error_inside_diff_names_the_op_once():
    w = ag.Param(np.ones(2))
    with pytest.raises(ag.OpError) as info:
        ag.diff(lambda: ag.sum(ag.add(w, np.ones(3))))
    assert str(info.value).count("add:") == 1


def test_grad_of_a_python_float():
    assert float(ag.grad(lambda x: x * x)(1.5)) == 3.0
    assert float(ag.grad(lambda x: x * x)(2)) == 4.0


def test_grad_of_a_list_as_numpy_would_read_it():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    g = ag.grad(lambda x: ag.sum(x * x))([a, b])
    np.testing.assert_array_equal(g, [[2.0, 4.0], [6.0, 8.0]])
    np.testing.assert_array_equal(ag.grad(lambda x: ag.sum(x * 3.0))([1.0, 2.0]), [3.0, 3.0])


def test_swapaxes_by_keyword_backward():
    x = np.arange(6.0).reshape(2, 3)
    g = ag.grad(lambda v: ag.sum(ag.swapaxes(v, axis1=0, axis2=1) * np.arange(6.0).reshape(3, 2)))(
        x
    )
    np.testing.assert_array_equal(g, np.arange(6.0).reshape(3, 2).T)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: ag.reshape(x=a, shape=(-1,)),
        lambda a: ag.transpose(x=a, axes=(1, 0)),
        lambda a: ag.expand_dims(x=a, axis=0),
        lambda a: ag.flip(x=a, axis=0),
        lambda a: ag.sum(x=a, axis=0),
        lambda a: ag.max(x=a, axis=1),
        lambda a: ag.logsumexp(x=a, axis=1),
        lambda a: ag.getitem(x=a, index=(0, slice(None))),
        lambda a: ag.take(x=a, indices=np.array([0, 2]), axis=1),
        lambda a: ag.matmul(x=a, y=np.ones((3, 2))),
        lambda a: ag.where(condition=np.array([True, False, True]), x=a, y=0.0),
        lambda a: ag.power(x=a, y=2.0),
    ],
)
def test_every_builtin_op_differentiates_arguments_given_by_keyword(call):
    x = np.array([[1.0, -2.0, 3.0], [0.5, 1.5, -1.0]])
    assert ag.gcheck(lambda a: ag.sum(call(a) * call(a)), x, verbose=0)


def test_a_user_keyword_named_f_reaches_the_function():
    assert float(ag.grad(lambda x, f=1.0: x * f)(2.0, f=3.0)) == 3.0
    t = ag.diff(lambda f: ag.sum(f * ag.Param(np.ones(1))), f=np.array([2.0]))
    assert float(ag.value(t)) == 2.0
    assert float(ag.gradloss(lambda x, argnum=0: x * argnum)(2.0, argnum=5)[0]) == 5.0
