"""The docs' Flux and Lasagne mappings, checked against those libraries' formulas."""

import numpy as np
import pytest

import plugrad_optim as po


def flux_exp_decay(eta, decay, decay_step, clip, updates):
    """Flux's apply!(::ExpDecay): the eta used at each of ``updates`` updates."""
    used = []
    for n in range(1, updates + 1):
        if n % decay_step == 0:
            eta = max(eta * decay, clip)
        used.append(eta)
    return used


@pytest.mark.parametrize(
    ("eta", "decay", "decay_step", "clip"),
    [(0.1, 0.5, 3, 0.02), (0.001, 0.1, 2, 1e-4), (0.01, 2.0, 2, 0.05), (0.01, 0.5, 1, 0.05)],
    ids=["floor", "defaults-like", "growing", "below-clip"],
)
def test_exp_decay_schedule_is_fluxs_rule(eta, decay, decay_step, clip):
    schedule = po.ExpDecay(eta, decay, decay_step, clip)
    want = flux_exp_decay(eta, decay, decay_step, clip, 12)
    assert [schedule(step) for step in range(12)] == pytest.approx(want, rel=1e-12)


def test_exp_decay_as_lr_equals_exp_decay_in_a_chain(backend, w0, gradients):
    as_lr = backend.asarray(w0.copy())
    in_chain = backend.asarray(w0.copy())
    o1 = po.Adam(lr=po.ExpDecay(0.1, 0.5, 3, 0.01))
    o2 = po.chain(po.Adam(lr=1.0), po.ExpDecay(0.1, 0.5, 3, 0.01))
    for g in gradients:
        po.update(as_lr, backend.asarray(g), o1)
        po.update(in_chain, backend.asarray(g), o2)
    np.testing.assert_allclose(backend.to_host(as_lr), backend.to_host(in_chain), rtol=1e-12)


def test_inv_decay_as_lr_is_fluxs_rule():
    assert [po.InvDecay(0.5)(step) for step in range(3)] == [1 / 1.5, 1 / 2.0, 1 / 2.5]


def test_flux_adamw_is_adam_then_weight_decay(backend, w0, gradients):
    # Flux: ADAMW(η, β, decay) = Optimiser(ADAM(η, β), WeightDecay(decay)): x -= η*adam + decay*x
    lr, decay = 0.01, 0.1
    w = backend.asarray(w0.copy())
    opt = po.chain(po.Adam(lr), po.WeightDecay(decay))
    for g in gradients:
        po.update(w, backend.asarray(g), opt)
    x, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(gradients, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        x = x - (step + decay * x)
    np.testing.assert_allclose(backend.to_host(w), x, rtol=1e-10, atol=1e-13)
