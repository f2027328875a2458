"""Higher-order derivatives: grad of grad, Hessians, Jacobians, Hessian-vector products,
and Knet-style nested diff with Params."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp

import plugrad_autograd as ag


def test_grad_of_grad_of_a_scalar_function(backend, num):
    x = num.to_device(backend, np.array(1.5))
    f = lambda v: v**3  # noqa: E731
    d1 = ag.grad(f)
    d2 = ag.grad(d1)
    d3 = ag.grad(d2)
    d4 = ag.grad(d3)
    assert float(num.host(d1(x))) == pytest.approx(3 * 1.5**2)
    assert float(num.host(d2(x))) == pytest.approx(6 * 1.5)
    assert float(num.host(d3(x))) == pytest.approx(6.0)
    assert float(num.host(d4(x))) == 0.0


def test_third_derivatives_of_elementwise_functions(backend, num):
    x = np.array([0.3, 0.9, 1.7])
    xd = num.to_device(backend, x)

    def nth(op, n):
        f = lambda v: ag.sum(op(v))  # noqa: E731
        for _ in range(n):
            f = (lambda g: lambda v: ag.sum(ag.grad(g)(v)))(f)
        return ag.grad(f)

    np.testing.assert_allclose(num.host(nth(ag.sin, 2)(xd)), -np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(num.host(nth(ag.exp, 2)(xd)), np.exp(x), rtol=1e-12)
    np.testing.assert_allclose(num.host(nth(ag.log, 2)(xd)), 2 / x**3, rtol=1e-12)
    np.testing.assert_allclose(num.host(nth(ag.digamma, 1)(xd)), sp.polygamma(2, x), rtol=1e-10)
    t = np.tanh(x)
    np.testing.assert_allclose(
        num.host(nth(ag.tanh, 2)(xd)), -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-10
    )


def test_hessian_of_a_cubic_is_diagonal(backend, num):
    x = np.array([1.0, 2.0, -0.5])
    h = ag.hessian(lambda v: ag.sum(v**3))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(h), np.diag(6 * x), atol=1e-12)


def test_hessian_of_a_quadratic_form(backend, num):
    rng = np.random.default_rng(12)
    a = rng.standard_normal((3, 3))
    ad = num.to_device(backend, a)
    x = rng.standard_normal(3)
    h = ag.hessian(lambda v: v @ (ad @ v))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(h), a + a.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_logsumexp(backend, num):
    x = np.array([0.5, -1.0, 2.0, 0.0])
    h = ag.hessian(ag.logsumexp)(num.to_device(backend, x))
    p = np.exp(x - sp.logsumexp(x))
    np.testing.assert_allclose(num.host(h), np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-12)


def test_hessian_of_a_matrix_argument_has_shape_x_by_x(backend, num):
    x = np.arange(1.0, 7.0).reshape(2, 3) / 4
    h = num.host(ag.hessian(lambda v: ag.sum(ag.sin(v)))(num.to_device(backend, x)))
    assert h.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(h.reshape(6, 6), np.diag(-np.sin(x).ravel()), atol=1e-12)


def test_jacobian_against_analytic(backend, num):
    rng = np.random.default_rng(13)
    a = rng.standard_normal((2, 3))
    ad = num.to_device(backend, a)
    x = rng.standard_normal(3)
    j = ag.jacobian(lambda v: ad @ ag.tanh(v))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(j), a * (1 - np.tanh(x) ** 2), rtol=1e-12)


def test_jacobian_shape_and_argnum(backend, num):
    x = np.array([1.0, 2.0])
    y = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 3.0]])
    f = lambda a, b: ag.expand_dims(a, 1) * b  # noqa: E731  (2, 3)
    jx = num.host(ag.jacobian(f)(num.to_device(backend, x), num.to_device(backend, y)))
    jy = num.host(ag.jacobian(f, argnum=1)(num.to_device(backend, x), num.to_device(backend, y)))
    assert jx.shape == (2, 3, 2)
    assert jy.shape == (2, 3, 2, 3)
    want_x = np.zeros((2, 3, 2))
    want_y = np.zeros((2, 3, 2, 3))
    for i in range(2):
        for k in range(3):
            want_x[i, k, i] = y[i, k]
            want_y[i, k, i, k] = x[i]
    np.testing.assert_array_equal(jx, want_x)
    np.testing.assert_array_equal(jy, want_y)


def test_jacobian_of_a_scalar_function_is_its_gradient(backend, num):
    x = np.array([0.5, 1.5])
    j = ag.jacobian(lambda v: ag.sum(ag.exp(v)))(num.to_device(backend, x))
    np.testing.assert_allclose(num.host(j), np.exp(x), rtol=1e-12)


def test_hvp_matches_hessian_times_vector(backend, num):
    rng = np.random.default_rng(14)
    a = num.to_device(backend, rng.standard_normal((4, 4)))
    x = rng.standard_normal(4)
    v = rng.standard_normal(4)

    def f(w):
        return ag.sum(ag.tanh(a @ w) ** 2) + ag.sum(w**4)

    xd, vd = num.to_device(backend, x), num.to_device(backend, v)
    hv = num.host(ag.hvp(f)(xd, vd))
    h = num.host(ag.hessian(f)(xd))
    np.testing.assert_allclose(hv, h @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)  # a Hessian is symmetric


def test_hvp_analytic_and_argnum(backend, num):
    x = np.array([1.0, 2.0])
    y = np.array([3.0, -1.0])
    v = np.array([0.5, 2.0])
    # f = sum(x**2 * y**3): d2f/dy2 = diag(6 x**2 y)
    hv = ag.hvp(lambda a, b: ag.sum(a**2 * b**3), argnum=1)(
        num.to_device(backend, x), num.to_device(backend, y), num.to_device(backend, v)
    )
    np.testing.assert_allclose(num.host(hv), 6 * x**2 * y * v, rtol=1e-12)


def test_mixed_partial_derivatives(backend, num):
    x = np.array([0.5, 1.0])
    y = np.array([2.0, -1.0])

    def f(a, b):
        return ag.sum(ag.sin(a * b))

    # d/dy of sum(df/dx . 1) with df/dx = b cos(ab): cos(ab) - ab sin(ab)
    dxy = ag.grad(lambda a, b: ag.sum(ag.grad(f)(a, b)), argnum=1)(
        num.to_device(backend, x), num.to_device(backend, y)
    )
    np.testing.assert_allclose(num.host(dxy), np.cos(x * y) - x * y * np.sin(x * y), rtol=1e-12)


def test_gradient_penalty(backend, num):
    # d/dw |grad_x f(x, w)|^2 where f = sum(tanh(w * x))
    x = np.array([0.3, -0.7, 1.1])
    w = np.array([1.5, 0.5, -1.0])

    def penalty(wv, xv):
        gx = ag.grad(lambda a: ag.sum(ag.tanh(wv * a)))(xv)
        return ag.sum(gx * gx)

    (g,) = num.check_grad(backend, penalty, w, x, argnums=0)
    t = np.tanh(w * x)
    d = 1 - t**2
    np.testing.assert_allclose(g, 2 * w * d**2 - 4 * w**2 * x * d**2 * t, rtol=1e-10)
    num.check_grad(backend, penalty, w, x, argnums=1)


def test_third_level_closure_over_a_grad_argument(backend, num):
    x = num.to_device(backend, [0.3, -0.7, 1.1])
    w = np.array([1.5, 0.5, -1.0])

    def k(wv):
        g = ag.grad(lambda a: ag.sum(wv * a))(x)  # = wv
        return ag.sum(g * g)  # = sum(wv ** 2)

    np.testing.assert_allclose(num.host(ag.grad(k)(num.to_device(backend, w))), 2 * w)
    seen = []

    def outer(v):
        gk = ag.grad(k)(v)  # 2 v, inside another grad
        seen.append(num.host(gk))
        return ag.sum(gk * gk)

    g = ag.grad(outer)(num.to_device(backend, w))
    np.testing.assert_allclose(seen[0], 2 * w)  # got [0, 0, 0]
    np.testing.assert_allclose(num.host(g), 8 * w)  # got [0, 0, 0]
    num.check_grad2(backend, k, w)


def test_three_levels_of_knet_style_nesting(backend, num):
    wv = np.array([1.5, 0.5, -1.0])
    p = ag.Param(num.to_device(backend, wv))

    def level1():
        def level2():
            g3 = ag.grad(ag.diff(lambda: ag.sum(p * p * p)), p)  # 3 p^2
            return ag.sum(g3 * g3)  # 9 p^4

        return ag.sum(ag.grad(ag.diff(level2), p))  # sum(36 p^3)

    t = ag.diff(level1)
    assert float(ag.value(t)) == pytest.approx(np.sum(36 * wv**3))
    np.testing.assert_allclose(num.host(ag.grad(t, p)), 108 * wv**2, rtol=1e-12)


def test_nested_diff_with_params_knet_style(backend, num):
    wv = np.array([1.0, -2.0, 0.5])
    w = ag.Param(num.to_device(backend, wv))

    def outer():
        inner = ag.diff(lambda: ag.sum(w**3))
        g = ag.grad(inner, w)  # 3 w^2, itself recorded by the outer tape
        assert isinstance(g, ag.Value)
        return ag.sum(g * g)

    t = ag.diff(outer)
    assert float(ag.value(t)) == pytest.approx(np.sum(9 * wv**4))
    np.testing.assert_allclose(num.host(ag.grad(t, w)), 36 * wv**3, rtol=1e-12)
    # after both tapes are done the Param is an ordinary writable array again
    ag.value(w)[0] = 0.0
    np.testing.assert_array_equal(num.host(w), [0.0, -2.0, 0.5])


def test_nested_diff_with_two_params(backend, num):
    a = ag.Param(num.to_device(backend, [1.0, 2.0]))
    b = ag.Param(num.to_device(backend, [0.5, -1.0]))

    def outer():
        inner = ag.diff(lambda: ag.sum(a * a * b))
        ga = ag.grad(inner, a)  # 2ab
        gb = ag.grad(inner, b)  # a^2
        return ag.sum(ga) + ag.sum(gb * b)

    # L = sum(2ab) + sum(a^2 b): dL/da = 2b + 2ab, dL/db = 2a + a^2
    t = ag.diff(outer)
    av, bv = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    np.testing.assert_allclose(num.host(ag.grad(t, a)), 2 * bv + 2 * av * bv)
    np.testing.assert_allclose(num.host(ag.grad(t, b)), 2 * av + av**2)


def test_inner_param_that_the_outer_tape_does_not_see(backend, num):
    a = ag.Param(num.to_device(backend, [1.0, 2.0]))
    c = ag.Param(num.to_device(backend, [3.0, 4.0]))

    def outer():
        inner = ag.diff(lambda: ag.sum(a * c))
        return ag.sum(ag.grad(inner, c) * a)  # = sum(a * a)

    t = ag.diff(outer)
    np.testing.assert_allclose(num.host(ag.grad(t, a)), [2.0, 4.0])
    assert ag.grad(t, c) is None


def test_training_inside_nested_diffs(backend, num):
    w = ag.Param(num.to_device(backend, [1.0]))
    seen = []

    def inner():
        seen.append(ag.training())
        return ag.sum(w * w)

    def outer():
        seen.append(ag.training())
        t = ag.diff(inner)
        seen.append(ag.training())
        return ag.sum(ag.grad(t, w))

    ag.diff(outer)
    assert seen == [True, True, True]
    assert ag.training() is False


def test_second_order_through_a_small_network(backend, num):
    rng = np.random.default_rng(15)
    w1 = rng.standard_normal((3, 2)) / 2
    w2 = rng.standard_normal((1, 3)) / 2
    x = rng.standard_normal((2, 4))
    xd = num.to_device(backend, x)

    def loss(a, b):
        h = ag.tanh(a @ xd)
        out = ag.logsumexp(b @ h, axis=0)
        return ag.mean(out**2) + 0.1 * ag.norm(a) ** 2

    num.check_grad(backend, loss, w1, w2)
    num.check_grad2(backend, loss, w1, w2, rtol=1e-4)
