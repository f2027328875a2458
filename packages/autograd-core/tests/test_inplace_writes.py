"""Issue 18 §1 and §5: writes into arrays the backward pass reads are refused while recorded."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag


def test_writing_into_the_value_of_a_recorded_intermediate_raises():
    w = ag.Param(np.array([1.0, 2.0]))

    def f():
        v = w * 2.0
        z = ag.sum(v * v)
        ag.value(v)[:] = 0
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    t = ag.diff(lambda: ag.sum((w * 2.0) * (w * 2.0)))
    np.testing.assert_array_equal(ag.grad(t, w), [8.0, 16.0])


def test_the_value_of_an_intermediate_is_writable_again_after_diff():
    w = ag.Param(np.array([1.0, 2.0]))
    kept = []
    ag.diff(lambda: ag.sum(kept.append(ag.value(w * 2.0)) or w))
    kept[0][:] = 5.0  # the tape is gone: the array is the user's
    np.testing.assert_array_equal(kept[0], [5.0, 5.0])


def test_writing_into_the_base_of_a_param_built_on_a_view_raises():
    base = np.array([1.0, 2.0, 3.0, 4.0])
    w = ag.Param(base[:2])

    def f():
        z = ag.sum(w * w)
        base[:] = 0.0
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    assert base.flags.writeable and w.value.flags.writeable
    np.testing.assert_array_equal(base, [1.0, 2.0, 3.0, 4.0])


def test_writing_into_a_constant_argument_the_backward_reads_raises():
    c = np.array([3.0, 4.0])
    w = ag.Param(np.array([1.0, 2.0]))

    def f():
        z = ag.sum(w * c)
        c[:] = 0.0
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    assert c.flags.writeable
    np.testing.assert_array_equal(ag.grad(ag.diff(lambda: ag.sum(w * c)), w), [3.0, 4.0])


def test_writing_into_the_view_of_a_constant_raises_through_its_base():
    data = np.array([[3.0, 4.0], [5.0, 6.0]])
    w = ag.Param(np.array([1.0, 2.0]))

    def f():
        z = ag.sum(w * data[0])
        data[0, 0] = 100.0
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    assert data.flags.writeable


def test_grad_of_a_function_writing_its_argument_never_writes_the_callers_array():
    a = np.array([1.0, 2.0])

    def f(x):
        ag.value(x)[0] = 100.0
        return ag.sum(x * x)

    with pytest.raises(ValueError, match="read-only"):
        ag.grad(f)(a)
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert a.flags.writeable

    def g(x):
        x[0] = 100.0
        return ag.sum(x * x)

    with pytest.raises(RuntimeError, match=r"cannot change a Param's value while diff records"):
        ag.grad(g)(a)
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_read_only_arrays_stay_read_only():
    c = np.array([3.0, 4.0])
    c.flags.writeable = False
    w = ag.Param(np.array([1.0, 2.0]))
    ag.diff(lambda: ag.sum(w * c))
    assert not c.flags.writeable


def test_nested_tapes_keep_the_lock_until_the_outermost_ends():
    c = np.array([3.0, 4.0])
    w = ag.Param(np.array([1.0, 2.0]))

    def outer():
        inner = ag.diff(lambda: ag.sum(w * c))
        assert not c.flags.writeable  # still read by the outer tape
        return ag.sum(w * c) + ag.value(inner)

    ag.diff(outer)
    assert c.flags.writeable


def test_params_sharing_one_base_are_unlocked_again():
    base = np.zeros(4)
    a, b = ag.Param(base[:2]), ag.Param(base[2:])
    ag.diff(lambda: ag.sum(a * b))
    assert base.flags.writeable and a.value.flags.writeable and b.value.flags.writeable


def test_in_place_operator_on_a_param_inside_diff_fails_at_once():
    w = ag.Param(np.array([1.0, 2.0]))

    def f():
        nonlocal w
        w += 1
        return ag.sum(w)

    with pytest.raises(RuntimeError, match=r"w \+= \.\.\. on a Param inside diff"):
        ag.diff(f)
    v = ag.Param(np.array([1.0]))
    v += 1  # outside diff: as before, a new array
    np.testing.assert_array_equal(v, [2.0])


def test_param_item_write_inside_diff_has_a_plugrad_message():
    w = ag.Param(np.array([1.0, 2.0]))

    def f():
        z = ag.sum(w * w)
        w[0] = 5.0
        return z

    with pytest.raises(RuntimeError, match=r"cannot change a Param's value inside diff"):
        ag.diff(f)
    np.testing.assert_array_equal(w.value, [1.0, 2.0])


_ANOTHER = r"while diff records it \(in this thread or another\)"


def test_param_write_while_another_tape_records_it_has_a_plugrad_message():
    import threading

    w = ag.Param(np.array([1.0, 2.0]))
    started, release = threading.Event(), threading.Event()

    def record_slowly():
        def f():
            z = ag.sum(w * w)
            started.set()
            release.wait(10)
            return z

        ag.diff(f)

    t = threading.Thread(target=record_slowly)
    t.start()
    started.wait(10)
    try:
        with pytest.raises(RuntimeError, match=_ANOTHER):
            w[0] = 5.0
        with pytest.raises(RuntimeError, match=_ANOTHER):
            w.value = np.zeros(2)
    finally:
        release.set()
        t.join()
    w[0] = 5.0
    np.testing.assert_array_equal(w.value, [5.0, 2.0])


def test_writing_into_an_index_array_the_backward_reads_raises():
    rows = np.array([0, 1])
    cols = np.array([1, 0])
    w = ag.Param(np.arange(4.0).reshape(2, 2))

    def f():
        z = ag.sum(w[rows, cols] * 2.0)
        cols[:] = 0  # the backward pass scatters into w at (rows, cols)
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    assert cols.flags.writeable
    np.testing.assert_array_equal(
        ag.grad(ag.diff(lambda: ag.sum(w[rows, cols])), w), [[0, 1], [1, 0]]
    )


def test_writing_into_a_keyword_only_constant_the_backward_reads_raises():
    @ag.primitive
    def scaled_by(x, *, k):
        return x * k

    ag.defvjp(scaled_by, lambda dy, y, x, k: dy * k)
    k = np.array([2.0, 3.0])
    w = ag.Param(np.array([1.0, 1.0]))

    def f():
        z = ag.sum(scaled_by(w, k=k))
        k[:] = 0.0
        return z

    with pytest.raises(ValueError, match="read-only"):
        ag.diff(f)
    np.testing.assert_array_equal(ag.grad(ag.diff(lambda: ag.sum(scaled_by(w, k=k))), w), k)
