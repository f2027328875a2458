"""A Param's gradient comes back in the Param's own memory order (C-ordered for C Params).

A gradient in another order than its Param's makes every later pass over the pair (the
update ``p -= lr * g``, an optimizer's moments) a strided, several times slower pass.
"""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag

RNG = np.random.default_rng(0)


def _grads(loss, *params):
    tape = ag.diff(loss)
    return [ag.grad(tape, p) for p in params]


def test_x_at_w_transposed_gives_a_c_ordered_weight_gradient():
    x = RNG.normal(size=(6, 4))
    w = ag.Param(RNG.normal(size=(5, 4)))  # (out, in), used as x @ W.T
    r = RNG.normal(size=(6, 5))
    (g,) = _grads(lambda: ag.sum((x @ w.T) * r), w)
    assert g.flags.c_contiguous
    np.testing.assert_allclose(g, r.T @ x, rtol=1e-12)


def test_x_at_w_keeps_c_order_and_values():
    x = ag.Param(RNG.normal(size=(6, 4)))
    w = ag.Param(RNG.normal(size=(4, 5)))
    r = RNG.normal(size=(6, 5))
    gx, gw = _grads(lambda: ag.sum((x @ w) * r), x, w)
    assert gx.flags.c_contiguous and gw.flags.c_contiguous
    np.testing.assert_allclose(gw, x.value.T @ r, rtol=1e-12)
    np.testing.assert_allclose(gx, r @ w.value.T, rtol=1e-12)


def test_transposed_left_operand_gives_a_c_ordered_gradient():
    a = ag.Param(RNG.normal(size=(4, 6)))  # used as a.T @ w
    w = RNG.normal(size=(4, 5))
    r = RNG.normal(size=(6, 5))
    (g,) = _grads(lambda: ag.sum((a.T @ w) * r), a)
    assert g.flags.c_contiguous
    np.testing.assert_allclose(g, w @ r.T, rtol=1e-12)


@pytest.mark.parametrize(
    "view",
    [lambda w: w.T, lambda w: ag.transpose(w), lambda w: ag.swapaxes(w, 0, 1)],
    ids=["T", "transpose", "swapaxes"],
)
def test_elementwise_use_of_a_transposed_param_gives_a_c_ordered_gradient(view):
    w = ag.Param(RNG.normal(size=(5, 3)))
    a = RNG.normal(size=(3, 5))
    (g,) = _grads(lambda: ag.sum(view(w) * a), w)
    assert g.flags.c_contiguous
    np.testing.assert_allclose(g, a.T, rtol=1e-12)


def test_broadcast_param_gradient_is_c_ordered():
    b = ag.Param(RNG.normal(size=(1, 5)))
    x = RNG.normal(size=(7, 5))
    (g,) = _grads(lambda: ag.sum(ag.broadcast_to(b, (7, 5)) * x + b), b)
    assert g.flags.c_contiguous and g.shape == (1, 5)
    np.testing.assert_allclose(g, x.sum(axis=0, keepdims=True) + 7, rtol=1e-12)


def test_layout_aware_matmul_gradients_differentiate_again():
    w = ag.Param(RNG.normal(size=(3, 4)))
    x = RNG.normal(size=(2, 4))
    assert ag.gcheck(lambda: ag.sum(ag.tanh(x @ w.T) ** 2), nsample=12, atol=1e-7, rtol=1e-5)
    u = RNG.normal(size=(3, 4))

    def first(v):  # directional derivative of the loss along u
        return ag.sum(ag.grad(lambda v: ag.sum(ag.tanh(x @ v.T) ** 2))(v) * u)

    second = ag.grad(first)(w.value)
    eps = 1e-6
    numeric = (first(w.value + eps * u) - first(w.value - eps * u)) / (2 * eps)
    np.testing.assert_allclose(float(np.sum(second * u)), float(numeric), rtol=1e-6)
