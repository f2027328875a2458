"""A Param's gradient has the Param's shape, dtype and memory order (DESIGN §3)."""

from __future__ import annotations

import numpy as np

import plugrad_autograd as ag


def _grads(f, *params):
    t = ag.diff(f)
    return [ag.grad(t, p) for p in params]


def test_x_times_w_transposed_gives_a_c_ordered_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    w = ag.Param(rng.standard_normal((4, 3)))  # (out, in), as F.linear stores it
    (g,) = _grads(lambda: ag.sum((x @ w.T) ** 2), w)
    assert g.flags.c_contiguous
    np.testing.assert_allclose(g, 2 * (x @ w.value.T).T @ x, rtol=1e-12)


def test_transposed_first_argument_gives_a_c_ordered_gradient():
    rng = np.random.default_rng(1)
    w = ag.Param(rng.standard_normal((3, 5)))
    v = rng.standard_normal((3, 2))
    (g,) = _grads(lambda: ag.sum((w.T @ v) ** 2), w)
    assert g.flags.c_contiguous
    np.testing.assert_allclose(g, v @ (2 * (w.value.T @ v)).T, rtol=1e-12)


def test_a_fortran_ordered_param_gets_a_fortran_ordered_gradient():
    rng = np.random.default_rng(2)
    w = ag.Param(np.asfortranarray(rng.standard_normal((3, 4))))
    x = rng.standard_normal((2, 3))
    (g,) = _grads(lambda: ag.sum(ag.tanh(x @ w)), w)
    assert g.flags.f_contiguous and not g.flags.c_contiguous


def test_transpose_and_swapaxes_of_a_param_give_its_order_back():
    w = ag.Param(np.arange(6.0).reshape(2, 3))
    c = np.arange(6.0).reshape(3, 2)
    for f in (lambda: ag.sum(w.T * c), lambda: ag.sum(ag.swapaxes(w, 0, 1) * c)):
        (g,) = _grads(f, w)
        assert g.flags.c_contiguous
        np.testing.assert_array_equal(g, c.T)


def test_gradient_dtype_is_the_params_dtype():
    w = ag.Param(np.ones(3, dtype=np.float32))
    x = np.array([1.0, 2.0, 3.0])  # float64 input: the loss computes in float64
    (g,) = _grads(lambda: ag.sum(w * x), w)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [1.0, 2.0, 3.0])
