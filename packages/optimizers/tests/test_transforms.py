"""Composition: chain order, Flux's decays and clipping, Lasagne's momentum on any rule."""

import numpy as np
import pytest

import plugrad_optim as po


def step(backend, opt, w, *grads):
    w = backend.asarray(np.asarray(w, dtype=float))
    for g in grads:
        po.update(w, backend.asarray(np.asarray(g, dtype=float)), opt)
    return backend.to_host(w)


def test_chain_applies_members_in_order(backend):
    g = [4.0, -0.5, 1.5]
    clip_then_scale = step(backend, po.chain(po.ClipValue(1.0), po.SGD(lr=0.5)), [0, 0, 0], g)
    scale_then_clip = step(backend, po.chain(po.SGD(lr=0.5), po.ClipValue(1.0)), [0, 0, 0], g)
    np.testing.assert_allclose(clip_then_scale, [-0.5, 0.25, -0.5])
    np.testing.assert_allclose(scale_then_clip, [-1.0, 0.25, -0.75])


def test_chain_state_is_the_members_states(backend):
    opt = po.chain(po.InvDecay(0.5), po.Adam(lr=0.1))
    step(backend, opt, [1.0], [1.0], [2.0])
    inv_state, adam_state = opt.state
    assert inv_state == {"count": 2}
    assert adam_state[3]["count"] == 2 and adam_state[4] == {"count": 2}


def test_nested_chains_equal_flat_chain(backend, w0, gradients):
    nested = po.chain(po.chain(po.ClipNorm(2.0), po.WeightDecay(0.1)), po.Rmsprop(lr=0.05))
    flat = po.chain(po.ClipNorm(2.0), po.WeightDecay(0.1), po.Rmsprop(lr=0.05))
    np.testing.assert_array_equal(
        step(backend, nested, w0, *gradients), step(backend, flat, w0, *gradients)
    )


def test_flux_weight_decay(backend):
    # Flux: delta += wd * x, then Descent: x -= lr * delta.
    got = step(backend, po.chain(po.WeightDecay(0.1), po.SGD(lr=0.5)), [2.0, -1.0], [1.0, 1.0])
    np.testing.assert_allclose(got, [2.0 - 0.5 * 1.2, -1.0 - 0.5 * 0.9])


def test_flux_exp_decay(backend):
    opt = po.chain(po.ExpDecay(eta=0.1, decay=0.5, decay_step=3, clip=0.02), po.SGD(lr=1.0))
    w = step(backend, opt, [0.0], *[[1.0]] * 10)
    # n = 1, 2: 0.1; n = 3..5: 0.05; n = 6..8: 0.025; n = 9, 10: max(0.0125, clip) = 0.02
    np.testing.assert_allclose(w, [-(2 * 0.1 + 3 * 0.05 + 3 * 0.025 + 2 * 0.02)])
    assert opt.state[0] == {"count": 10, "eta": 0.02}


def test_flux_exp_decay_defaults():
    e = po.ExpDecay()
    assert (e.eta, e.decay, e.decay_step, e.clip) == (0.001, 0.1, 1000, 1e-4)
    assert po.InvDecay().gamma == 0.001


def test_flux_inv_decay(backend):
    w = step(backend, po.chain(po.InvDecay(0.5), po.SGD(lr=1.0)), [0.0], *[[1.0]] * 4)
    np.testing.assert_allclose(w, [-sum(1 / (1 + 0.5 * n) for n in range(1, 5))])


def test_clip_value(backend):
    np.testing.assert_allclose(
        step(backend, po.chain(po.ClipValue(0.3), po.SGD(lr=1.0)), [0, 0], [1.0, -0.2]),
        [-0.3, 0.2],
    )


def test_clip_norm_per_array_and_global(backend):
    ws = [backend.asarray(np.zeros(2)), backend.asarray(np.zeros(1))]
    gs = [backend.asarray(np.array([3.0, 4.0])), backend.asarray(np.array([12.0]))]
    per_array = po.chain(po.ClipNorm(6.5), po.SGD(lr=1.0))
    po.update(ws, gs, per_array)  # norms 5 (kept) and 12 (scaled to 6.5)
    np.testing.assert_allclose(backend.to_host(ws[0]), [-3.0, -4.0])
    np.testing.assert_allclose(backend.to_host(ws[1]), [-6.5])

    ws = [backend.asarray(np.zeros(2)), backend.asarray(np.zeros(1))]
    po.update(ws, gs, po.chain(po.ClipNorm(6.5, global_norm=True), po.SGD(lr=1.0)))
    # global norm 13 -> every gradient halved
    np.testing.assert_allclose(backend.to_host(ws[0]), [-1.5, -2.0])
    np.testing.assert_allclose(backend.to_host(ws[1]), [-6.0])


def test_global_clip_spans_per_param_optimizers(backend):
    ag = pytest.importorskip("plugrad_autograd")
    a = ag.Param(backend.asarray(np.zeros(2)), opt=po.chain(po.ClipNorm(6.5, True), po.SGD(1.0)))
    b = ag.Param(backend.asarray(np.zeros(1)), opt=po.chain(po.ClipNorm(6.5, True), po.SGD(1.0)))
    po.update([a, b], [backend.asarray(np.array([3.0, 4.0])), backend.asarray(np.array([12.0]))])
    np.testing.assert_allclose(backend.to_host(a.value), [-1.5, -2.0])
    np.testing.assert_allclose(backend.to_host(b.value), [-6.0])


def lasagne_rmsprop_momentum(w, gs, lr, rho, eps, mom):
    accu = np.zeros_like(w)
    velocity = np.zeros_like(w)
    for g in gs:
        accu = rho * accu + (1 - rho) * g**2
        updated = w - lr * g / np.sqrt(accu + eps)  # rmsprop's updates[param]
        x = mom * velocity + updated  # apply_momentum
        velocity = x - w
        w = x
    return w


def lasagne_adagrad_nesterov(w, gs, lr, eps, mom):
    accu = np.zeros_like(w)
    velocity = np.zeros_like(w)
    for g in gs:
        accu = accu + g**2
        updated = w - lr * g / np.sqrt(accu + eps)
        x = mom * velocity + updated - w  # apply_nesterov_momentum
        velocity = x
        w = mom * x + updated
    return w


def test_apply_momentum_on_rmsprop_is_lasagnes(backend, w0, gradients):
    opt = po.apply_momentum(po.Rmsprop(lr=0.01, rho=0.9, eps=1e-6), momentum=0.9)
    want = lasagne_rmsprop_momentum(w0, gradients, 0.01, 0.9, 1e-6, 0.9)
    np.testing.assert_allclose(step(backend, opt, w0, *gradients), want, rtol=1e-10, atol=1e-13)


def test_apply_nesterov_momentum_on_adagrad_is_lasagnes(backend, w0, gradients):
    opt = po.apply_nesterov_momentum(po.Adagrad(lr=0.1, eps=1e-6), momentum=0.8)
    want = lasagne_adagrad_nesterov(w0, gradients, 0.1, 1e-6, 0.8)
    np.testing.assert_allclose(step(backend, opt, w0, *gradients), want, rtol=1e-10, atol=1e-13)


def test_lasagne_momentum_equals_knet_momentum(backend, w0, gradients):
    lasagne = po.apply_momentum(po.SGD(lr=0.05), momentum=0.95)
    knet = po.Momentum(lr=0.05, gamma=0.95)
    np.testing.assert_array_equal(
        step(backend, lasagne, w0, *gradients), step(backend, knet, w0, *gradients)
    )


def test_bare_momentum_transforms():
    assert isinstance(po.apply_momentum(momentum=0.5), po.ApplyMomentum)
    assert po.apply_nesterov_momentum().momentum == 0.9
    with pytest.raises(TypeError, match=r"apply_momentum: updates must be a transform.*momentum="):
        po.apply_momentum(0.9)


def test_chain_rejects_non_transforms():
    with pytest.raises(TypeError, match=r"chain: member 1 is 0.1 \(float\).*LearningRate\(0.1\)"):
        po.chain(po.ClipNorm(1.0), 0.1)


def test_learning_rate_transform_counts(backend):
    opt = po.LearningRate(po.StepDecay(1.0, step_size=2, gamma=0.1))
    w = step(backend, opt, [0.0], *[[1.0]] * 5)
    np.testing.assert_allclose(w, [-(1 + 1 + 0.1 + 0.1 + 0.01)])
    assert opt.state == {"count": 5}
