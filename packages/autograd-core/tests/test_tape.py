"""diff, grad, gradloss, value, training, and what the tape keeps (and frees)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends


def _param(backend, values, dtype="float64"):
    return ag.Param(plugrad_backends.array(np.asarray(values), device=backend.name, dtype=dtype))


def test_knet_canonical_example(backend):
    with plugrad_backends.using(backend.name):
        x = ag.Param([1, 2, 3])
    assert plugrad_backends.of(ag.value(x)) is backend
    assert ag.value(x).dtype == np.float32  # integers become the default float dtype
    np.testing.assert_array_equal(plugrad_backends.to_host(ag.value(x)), [1.0, 2.0, 3.0])

    outside = ag.sum(x * x)  # acts like its value: no recording outside diff
    assert not isinstance(outside, (ag.Value, ag.Param))
    assert float(outside) == 14.0

    y = ag.diff(lambda: ag.sum(x * x))
    assert isinstance(y, ag.Tape)
    assert float(ag.value(y)) == 14.0
    assert ag.params(y) == [x]
    g = ag.grad(y, x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(plugrad_backends.to_host(g), [2.0, 4.0, 6.0])


def test_grad_is_none_where_a_param_took_no_part(backend):
    x = _param(backend, [1.0, 2.0])
    unused = _param(backend, [5.0])
    y = ag.diff(lambda: ag.sum(x * 3.0))
    assert ag.grad(y, unused) is None
    assert ag.params(y) == [x]
    np.testing.assert_array_equal(plugrad_backends.to_host(ag.grad(y, x)), [3.0, 3.0])


def test_diff_passes_positional_and_keyword_arguments(backend):
    w = _param(backend, [1.0, -2.0, 0.5])
    data = plugrad_backends.array(np.array([2.0, 1.0, 4.0]), device=backend.name)

    def loss(x, scale=1.0):
        return scale * ag.sum(w * x)

    y = ag.diff(loss, data, scale=3.0)
    assert float(ag.value(y)) == pytest.approx(3.0 * (2.0 - 2.0 + 2.0))
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, w)), [6.0, 3.0, 12.0])


def test_gradients_accumulate_over_every_use(backend):
    x = _param(backend, [1.0, -2.0, 3.0])
    y = ag.diff(lambda: ag.sum(x * x + 3.0 * x + x))  # d/dx = 2x + 4
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, x)), [6.0, 0.0, 10.0])


def test_several_params_and_their_gradients(backend):
    w = _param(backend, [[1.0, 2.0], [3.0, 4.0]])
    b = _param(backend, [0.5, -0.5])
    x = plugrad_backends.array(np.array([1.0, -1.0]), device=backend.name)
    y = ag.diff(lambda: ag.sum(ag.tanh(w @ x + b)))
    h = np.tanh(np.array([[1.0, 2.0], [3.0, 4.0]]) @ [1.0, -1.0] + [0.5, -0.5])
    d = 1 - h**2
    assert ag.params(y) == [w, b]
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, b)), d)
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, w)), np.outer(d, [1.0, -1.0]))


def test_value_unwraps_params_tapes_and_values(backend):
    arr = plugrad_backends.array(np.array([1.0, 2.0]), device=backend.name)
    p = ag.Param(arr)
    assert ag.value(p) is arr  # arrays are wrapped without a copy
    assert p.value is arr
    assert ag.value(3.5) == 3.5
    assert ag.value(arr) is arr
    seen = []

    def f():
        v = p * 2.0
        seen.append((type(v), ag.value(v)))
        return ag.sum(v)

    t = ag.diff(f)
    assert seen[0][0] is ag.Value
    np.testing.assert_array_equal(plugrad_backends.to_host(seen[0][1]), [2.0, 4.0])
    assert float(ag.value(t)) == 6.0


def test_diff_result_may_be_any_size_one_array(backend):
    x = _param(backend, [2.0])
    y = ag.diff(lambda: x * x)  # shape (1,)
    assert plugrad_backends.to_host(ag.value(y)).item() == 4.0
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, x)), [4.0])


def test_diff_of_a_constant_has_no_params(backend):
    x = _param(backend, [1.0])
    y = ag.diff(lambda: 3.0)
    assert ag.value(y) == 3.0
    assert ag.params(y) == []
    assert ag.grad(y, x) is None


def test_zero_gradient_path_gives_none(backend):
    x = _param(backend, [1.5, -2.5])
    y = ag.diff(lambda: ag.sum(ag.sign(x)))  # sign records nothing
    assert float(ag.value(y)) == 0.0
    assert ag.grad(y, x) is None


def test_functional_grad_with_int_argnum(backend):
    x0 = plugrad_backends.array(np.array([1.0, 2.0, 3.0]), device=backend.name)
    g = ag.grad(lambda w: ag.sum(w * w))(x0)
    np.testing.assert_allclose(plugrad_backends.to_host(g), [2.0, 4.0, 6.0])
    x1 = plugrad_backends.array(np.array([1.0, -1.0, 0.5]), device=backend.name)

    def f(a, b):
        return ag.sum(a * b * b)

    np.testing.assert_allclose(
        plugrad_backends.to_host(ag.grad(f, argnum=1)(x0, x1)), 2 * np.array([1.0, -2.0, 1.5])
    )


def test_functional_grad_with_tuple_argnum(backend):
    a = plugrad_backends.array(np.array([1.0, 2.0]), device=backend.name)
    b = plugrad_backends.array(np.array([3.0, -1.0]), device=backend.name)
    ga, gb = ag.grad(lambda x, y: ag.sum(x * y * y), argnum=(0, 1))(a, b)
    np.testing.assert_allclose(plugrad_backends.to_host(ga), [9.0, 1.0])
    np.testing.assert_allclose(plugrad_backends.to_host(gb), [6.0, -4.0])
    (only,) = ag.grad(lambda x, y: ag.sum(x * y), argnum=(1,))(a, b)
    np.testing.assert_allclose(plugrad_backends.to_host(only), [1.0, 2.0])


def test_functional_grad_of_an_unused_argument_is_zeros(backend):
    a = plugrad_backends.array(np.array([1.0, 2.0]), device=backend.name)
    b = plugrad_backends.array(np.array([3.0, -1.0, 4.0]), device=backend.name)
    g = ag.grad(lambda x, y: ag.sum(x * x), argnum=1)(a, b)
    np.testing.assert_array_equal(plugrad_backends.to_host(g), np.zeros(3))


def test_functional_grad_passes_keywords(backend):
    a = plugrad_backends.array(np.array([1.0, 2.0]), device=backend.name)
    g = ag.grad(lambda x, k=1.0: ag.sum(k * x * x))(a, k=5.0)
    np.testing.assert_allclose(plugrad_backends.to_host(g), [10.0, 20.0])


def test_gradloss_returns_gradient_and_loss(backend):
    a = plugrad_backends.array(np.array([1.0, 2.0, 3.0]), device=backend.name)
    g, loss = ag.gradloss(lambda w: ag.sum(w * w))(a)
    np.testing.assert_allclose(plugrad_backends.to_host(g), [2.0, 4.0, 6.0])
    assert float(plugrad_backends.to_host(loss)) == 14.0
    (gx, gy), loss2 = ag.gradloss(lambda x, y: ag.sum(x * y), argnum=(0, 1))(a, a * 2)
    np.testing.assert_allclose(plugrad_backends.to_host(gx), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(plugrad_backends.to_host(gy), [1.0, 2.0, 3.0])
    assert float(plugrad_backends.to_host(loss2)) == 28.0


def test_functional_grad_leaves_the_input_array_untouched(backend):
    a = np.array([1.0, 2.0])
    ag.grad(lambda w: ag.sum(w * w))(a)
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert a.flags.writeable  # locked only while recorded


def test_training_is_true_only_inside_diff(backend):
    x = _param(backend, [1.0])
    flags = []

    def f(w):
        flags.append(ag.training())
        return ag.sum(w * w)

    assert ag.training() is False
    ag.diff(lambda: f(x))
    ag.grad(f)(plugrad_backends.array(np.array([1.0]), device=backend.name))
    assert flags == [True, True]
    assert ag.training() is False


def test_training_is_false_again_after_f_raises(backend):
    x = _param(backend, [1.0, 2.0])

    def f():
        ag.sum(x * x)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        ag.diff(f)
    assert ag.training() is False
    # the Param's array is writable again and the next diff works normally
    ag.value(x)[0] = 3.0
    y = ag.diff(lambda: ag.sum(x * x))
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, x)), [6.0, 4.0])


def test_outside_diff_nothing_is_recorded(backend):
    x = _param(backend, [1.0, 2.0])
    for out in (x * 2, ag.exp(x), x[0], ag.sum(x), x @ x, -x, ag.reshape(x, (2, 1))):
        assert not isinstance(out, (ag.Value, ag.Param)), type(out)


def test_tape_is_emptied_after_diff(backend):
    x = _param(backend, [1.0, 2.0, 3.0])
    y = ag.diff(lambda: ag.sum(ag.exp(x) * x + ag.sin(x)))
    assert y.nodes == []
    assert y.lifted == {}
    assert y.active is False
    assert y.locked == {}  # the arrays it held read-only, by id: none left
    assert isinstance(ag.grad(y, x), type(ag.value(x)))


def test_intermediates_are_freed_after_diff(backend):
    refs = []

    @ag.primitive
    def _tape_test_keep(x):
        out = x * 2.0
        refs.append(weakref.ref(out))
        return out

    ag.defvjp(_tape_test_keep, lambda dy, y, x: dy * 2.0)
    try:
        weakref.ref(backend.xp.zeros(1))
    except TypeError:
        pytest.skip(f"{backend.name} arrays do not support weak references")
    x = _param(backend, np.linspace(0.0, 1.0, 1000))
    y = ag.diff(lambda: ag.sum(ag.exp(_tape_test_keep(x)) * 0.5))
    assert len(refs) == 1
    gc.collect()
    assert refs[0]() is None, "an intermediate outlived diff"
    g = ag.grad(y, x)
    np.testing.assert_allclose(
        plugrad_backends.to_host(g), np.exp(2 * np.linspace(0.0, 1.0, 1000)), rtol=1e-12
    )
    tape_ref = weakref.ref(y)
    del y
    gc.collect()
    assert tape_ref() is None


def test_intermediates_are_freed_after_functional_grad(backend):
    refs = []

    @ag.primitive
    def _tape_test_keep2(x):
        out = x + 1.0
        refs.append(weakref.ref(out))
        return out

    ag.defvjp(_tape_test_keep2, lambda dy, y, x: dy)
    a = plugrad_backends.array(np.ones(10), device=backend.name)
    g = ag.grad(lambda w: ag.sum(_tape_test_keep2(w) * _tape_test_keep2(w)))(a)
    np.testing.assert_allclose(plugrad_backends.to_host(g), np.full(10, 4.0))
    gc.collect()
    assert len(refs) == 2 and all(r() is None for r in refs)


def test_values_kept_from_a_finished_tape_act_as_constants(backend):
    x = _param(backend, [1.0, 2.0])
    kept = []

    def f():
        v = x * x
        kept.append(v)
        return ag.sum(v)

    ag.diff(f)
    v = kept[0]
    assert isinstance(v, ag.Value)
    # outside diff it is an ordinary array
    np.testing.assert_allclose(plugrad_backends.to_host(ag.value(v * 2)), [2.0, 8.0])
    # inside a new diff it is a constant: no gradient flows into x through it
    y = ag.diff(lambda: ag.sum(v * x))
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(y, x)), [1.0, 4.0])


def test_returned_gradients_are_writable(backend):
    x = _param(backend, np.ones((2, 3)))
    y = ag.diff(lambda: ag.sum(x))  # the rule returns a broadcast (read-only) view
    g = ag.grad(y, x)
    g *= 2.0
    np.testing.assert_array_equal(plugrad_backends.to_host(g), np.full((2, 3), 2.0))


def test_tape_repr_mentions_value():
    x = ag.Param([1.0])
    y = ag.diff(lambda: ag.sum(x * 4.0))
    assert "4.0" in repr(y)
