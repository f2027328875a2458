"""The extension API: primitive, defvjp, zerograd, unbroadcast, ops, plugin ops, serializable."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends

# -- a new differentiable op -------------------------------------------------------------------


@ag.primitive
def ext_hypot(a, b):
    """Elementwise sqrt(a**2 + b**2)."""
    return ag.xp_of(a, b).hypot(a, b)


ag.defvjp(ext_hypot, lambda dy, y, a, b: dy * a / y, lambda dy, y, a, b: dy * b / y)


@ag.primitive
def ext_softplus(x, beta=1.0):
    xp = ag.xp_of(x)
    return xp.logaddexp(0.0, beta * x) / beta


def _softplus_vjp(dy, y, x, beta=1.0):
    return dy / (1 + ag.exp(-beta * x))


ag.defvjp(ext_softplus, _softplus_vjp)


@ag.primitive
def ext_scale_by(x, k):
    """x * k, differentiable in x only."""
    return x * k


ag.defvjp(ext_scale_by, lambda dy, y, x, k: dy * k, None)


@ag.zerograd
def ext_is_positive(x):
    return x > 0


def test_primitive_keeps_name_and_doc():
    assert ext_hypot.__name__ == "ext_hypot"
    assert "sqrt(a**2 + b**2)" in ext_hypot.__doc__
    assert callable(ext_hypot.raw)


def test_new_primitive_forward_runs_on_the_inputs_backend(backend, num):
    a, b = np.array([3.0, 5.0]), np.array([4.0, 12.0])
    out = ext_hypot(num.to_device(backend, a), num.to_device(backend, b))
    assert plugrad_backends.of(out) is backend
    assert not isinstance(out, (ag.Value, ag.Param))
    np.testing.assert_allclose(num.host(out), [5.0, 13.0])
    # a Param outside diff: the raw value, nothing recorded
    out = ext_hypot(ag.Param(num.to_device(backend, a)), num.to_device(backend, b))
    assert not isinstance(out, (ag.Value, ag.Param))


def test_new_primitive_gradients(backend, num):
    rng = np.random.default_rng(17)
    a = rng.uniform(0.5, 2.0, (2, 3))
    b = rng.uniform(-2.0, -0.5, (3,))  # broadcast: the tape sums the rule's (2, 3) back
    c = num.to_device(backend, rng.standard_normal((2, 3)))

    def f(x, y):
        return ag.sum(ext_hypot(x, y) * c)

    ga, gb = num.check_grad(backend, f, a, b)
    h = np.hypot(a, b)
    np.testing.assert_allclose(ga, num.host(c) * a / h, rtol=1e-10)
    np.testing.assert_allclose(gb, (num.host(c) * b / h).sum(axis=0), rtol=1e-10)
    num.check_grad2(backend, f, a, b)  # the rules use plugrad ops: differentiable again


def test_new_primitive_with_keyword_arguments(backend, num):
    x = np.array([-1.5, 0.0, 2.0])
    for beta in (1.0, 3.0):

        def f(v, beta=beta):
            return ag.sum(ext_softplus(v, beta=beta))

        (g,) = num.check_grad(backend, f, x)
        np.testing.assert_allclose(g, 1 / (1 + np.exp(-beta * x)), rtol=1e-10)
        num.check_grad2(backend, f, x)


def test_none_rule_means_no_gradient(backend, num):
    x = ag.Param(num.to_device(backend, [1.0, 2.0]))
    k = ag.Param(num.to_device(backend, [3.0, 4.0]))
    t = ag.diff(lambda: ag.sum(ext_scale_by(x, k)))
    np.testing.assert_array_equal(num.host(ag.grad(t, x)), [3.0, 4.0])
    assert ag.grad(t, k) is None
    g = ag.grad(lambda a, b: ag.sum(ext_scale_by(a, b)), argnum=1)(
        num.to_device(backend, [1.0, 2.0]), num.to_device(backend, [3.0, 4.0])
    )
    np.testing.assert_array_equal(num.host(g), [0.0, 0.0])


def test_primitive_without_rules_raises_when_differentiated(backend, num):
    @ag.primitive
    def ext_norules(x):
        return x * 2.0

    x = ag.Param(num.to_device(backend, [1.0]))
    assert float(ext_norules(ag.value(x))[0]) == 2.0  # the forward needs no rule
    # No rule is an error, not a silent zero (issue 18): None must be declared explicitly.
    with pytest.raises(NotImplementedError, match=r"ext_norules: no gradient rule.*defvjp"):
        ag.diff(lambda: ag.sum(ext_norules(x)))
    ag.defvjp(ext_norules, lambda dy, y, v: dy * 2.0)  # rules may come later
    t = ag.diff(lambda: ag.sum(ext_norules(x)))
    np.testing.assert_array_equal(num.host(ag.grad(t, x)), [2.0])


def test_primitive_with_many_arguments(backend, num):
    @ag.primitive
    def ext_many(*xs):
        return sum(xs)

    # a rule for the first argument only, and explicitly none for the 17 others
    ag.defvjp(ext_many, lambda dy, y, *xs: dy, *[None] * 17)
    ps = [ag.Param(num.to_device(backend, [float(i)])) for i in range(18)]
    t = ag.diff(lambda: ag.sum(ext_many(*ps)))
    assert float(ag.value(t)) == sum(range(18))
    np.testing.assert_array_equal(num.host(ag.grad(t, ps[0])), [1.0])
    assert ag.grad(t, ps[17]) is None
    with pytest.raises(NotImplementedError, match=r"ext_many: no gradient rule for argument 18"):
        ag.diff(lambda: ag.sum(ext_many(*ps, ps[0])))
    ag.defvjp_argnum(ext_many, lambda i, dy, y, *xs: dy * (i + 1))  # one rule for every one
    t = ag.diff(lambda: ag.sum(ext_many(*ps)))
    np.testing.assert_array_equal(num.host(ag.grad(t, ps[17])), [18.0])


def test_zerograd_op(backend, num):
    x = ag.Param(num.to_device(backend, [-1.0, 2.0, 3.0]))
    seen = []

    def f():
        m = ext_is_positive(x)
        seen.append(type(m))
        return ag.sum(ag.where(m, x * x, 0.0))

    t = ag.diff(f)
    assert seen[0] is not ag.Value
    np.testing.assert_array_equal(num.host(seen and ext_is_positive(x)), [False, True, True])
    np.testing.assert_array_equal(num.host(ag.grad(t, x)), [0.0, 4.0, 6.0])
    t = ag.diff(lambda: ag.sum(ext_is_positive(x) * 1.0))
    assert ag.grad(t, x) is None
    assert ext_is_positive.zerograd is True and ext_hypot.zerograd is False


def test_unbroadcast(backend, num):
    g = num.to_device(backend, np.arange(24.0).reshape(2, 3, 4))
    full = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        num.host(ag.unbroadcast(g, (3, 1))), full.sum(axis=(0, 2)).reshape(3, 1)
    )
    np.testing.assert_array_equal(num.host(ag.unbroadcast(g, (4,))), full.sum(axis=(0, 1)))
    np.testing.assert_array_equal(num.host(ag.unbroadcast(g, ())), full.sum())
    np.testing.assert_array_equal(num.host(ag.unbroadcast(g, (2, 3, 4))), full)
    np.testing.assert_array_equal(
        num.host(ag.unbroadcast(g, (1, 1, 1))), full.sum().reshape(1, 1, 1)
    )


def test_the_harness_catches_a_rule_that_is_not_differentiable(backend, num):
    @ag.primitive
    def ext_sin_raw_rule(x):
        return ag.xp_of(x).sin(x)

    # right first derivative, but computed on raw arrays: invisible to an outer tape
    ag.defvjp(ext_sin_raw_rule, lambda dy, y, x: dy * ag.xp_of(x).cos(ag.value(x)))
    f = lambda v: ag.sum(ext_sin_raw_rule(v))  # noqa: E731
    x = np.array([0.3, 0.9])
    num.check_grad(backend, f, x)
    with pytest.raises(AssertionError):
        num.check_grad2(backend, f, x)
    # and gcheck spots a wrong first derivative
    ag.defvjp(ext_sin_raw_rule, lambda dy, y, x: dy * ag.sin(x))
    p = ag.Param(num.to_device(backend, x))
    assert ag.gcheck(lambda: f(p), verbose=0) is False


# -- ops ---------------------------------------------------------------------------------------


def test_ops_lists_the_builtin_primitives():
    for name in ("exp", "add", "matmul", "sum", "getitem", "reshape", "logsumexp", "where"):
        assert getattr(ag.ops, name) is getattr(ag, name)
    for name in ("sign", "argmax", "equal"):
        assert getattr(ag.ops, name) is getattr(ag, name)
    names = dir(ag.ops)
    assert names == sorted(names)
    assert {"exp", "sin", "multiply", "maximum", "clip", "take", "scatter_add"} <= set(names)
    assert not any(n.startswith("_") for n in names)
    assert list(ag.ops) == names


def test_ops_lists_new_primitives():
    assert ag.ops.ext_hypot is ext_hypot
    assert ag.ops.ext_is_positive is ext_is_positive
    assert "ext_softplus" in dir(ag.ops)


def test_ops_lists_every_public_op():
    missing = [
        n
        for n in ("mean", "var", "std", "norm", "concat", "stack", "split", "vec", "cat1d", "asin")
        if not hasattr(ag.ops, n)
    ]
    assert missing == []


def test_plugin_ops_appear_under_ops(register_plugin, backend, num):
    @ag.primitive
    def ext_plugin_twice(x):
        return 2.0 * x

    ag.defvjp(ext_plugin_twice, lambda dy, y, x: 2.0 * dy)

    def triple(x):
        return ext_plugin_twice(x) + x

    class ListPlugin:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            return [ext_plugin_twice]

    class DictPlugin:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            return {"ext_plugin_triple": triple}

    register_plugin(ListPlugin())
    register_plugin(DictPlugin())
    ag.ops.refresh()
    assert ag.ops.ext_plugin_twice is ext_plugin_twice
    assert ag.ops.ext_plugin_triple is triple
    assert "ext_plugin_triple" in dir(ag.ops)
    g = ag.grad(lambda v: ag.sum(ag.ops.ext_plugin_triple(v)))(num.to_device(backend, [1.0, 2.0]))
    np.testing.assert_array_equal(num.host(g), [3.0, 3.0])


# -- serializable ------------------------------------------------------------------------------


def test_serializable_registry():
    @ag.serializable
    class ExtLayer:
        def __init__(self):
            self.w = ag.Param([1.0])

    name = ag.serializable_name(ExtLayer)
    assert name.endswith(".ExtLayer") or "ExtLayer" in name
    assert ag.serializable_class(name) is ExtLayer
    assert ag.serializable_class("no.such.Class") is None
