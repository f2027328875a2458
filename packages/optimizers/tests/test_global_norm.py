"""ClipNorm(global_norm=True): the joint norm of what reaches it, in any chain; never a guess."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def arrs(backend, *xs):
    return [backend.asarray(np.asarray(x, dtype=float)) for x in xs]


def clipped(gs, thresh):
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in gs))
    return [g * (thresh / max(norm, thresh)) for g in gs]


def test_global_clip_after_weight_decay_measures_the_decayed_gradients(backend):
    w0 = [np.array([1.0, -2.0]), np.array([3.0])]
    g = [np.array([0.5, 0.5]), np.array([-2.0])]  # raw norm 2.12, decayed norm 1.22
    ws = arrs(backend, *[w.copy() for w in w0])
    opt = po.chain(po.WeightDecay(0.5), po.ClipNorm(1.0, global_norm=True), po.SGD(lr=1.0))
    po.update(ws, arrs(backend, *g), opt)
    decayed = [gi + 0.5 * wi for gi, wi in zip(g, w0)]
    want = [wi - ci for wi, ci in zip(w0, clipped(decayed, 1.0))]
    for got, exp in zip(ws, want):
        np.testing.assert_allclose(backend.to_host(got), exp, rtol=1e-12)


def test_global_clip_in_a_nested_chain_over_a_dict(backend):
    w0 = {"a": np.array([0.0, 0.0]), "b": np.array([0.0])}
    g = {"a": np.array([3.0, 4.0]), "b": np.array([12.0])}
    inner = po.chain(po.ClipValue(10.0), po.ClipNorm(6.5, global_norm=True))
    ws = {k: backend.asarray(v.copy()) for k, v in w0.items()}
    po.update(ws, {k: backend.asarray(v) for k, v in g.items()}, po.chain(inner, po.SGD(1.0)))
    # ClipValue first: b's 12 becomes 10; joint norm sqrt(25 + 100); scaled to 6.5
    want = clipped([g["a"], np.array([10.0])], 6.5)
    np.testing.assert_allclose(backend.to_host(ws["a"]), -want[0], rtol=1e-12)
    np.testing.assert_allclose(backend.to_host(ws["b"]), -want[1], rtol=1e-12)


def test_global_clip_across_per_weight_optimizers_after_a_scaling(backend):
    a = ag.Param(backend.asarray(np.zeros(2)))
    b = ag.Param(backend.asarray(np.zeros(1)))
    a.opt = po.chain(po.Dampening(0.5), po.ClipNorm(1.0, global_norm=True), po.SGD(1.0))
    b.opt = po.chain(po.ClipNorm(1.0, global_norm=True), po.SGD(1.0))
    ga, gb = np.array([3.0, 4.0]), np.array([12.0])
    po.update([a, b], arrs(backend, ga, gb))
    want = clipped([0.5 * ga, gb], 1.0)
    np.testing.assert_allclose(backend.to_host(a.value), -want[0], rtol=1e-12)
    np.testing.assert_allclose(backend.to_host(b.value), -want[1], rtol=1e-12)


def test_global_clip_outside_update_is_refused(backend):
    clip = po.ClipNorm(1.0, global_norm=True)
    g = backend.asarray(np.array([3.0, 4.0]))
    with pytest.raises(ValueError, match=r"ClipNorm\(global_norm=True\).*update\(ws, gs, opt\)"):
        clip.update(g, None, g)
    opt = po.chain(po.ClipNorm(1.0, global_norm=True), po.SGD(1.0))
    w = backend.asarray(np.zeros(2))
    with pytest.raises(ValueError, match=r"ClipNorm\(global_norm=True\)"):
        opt.apply(w, g, opt.init(w))
    np.testing.assert_array_equal(backend.to_host(w), [0.0, 0.0])


def test_global_clip_off_or_per_array_works_anywhere(backend):
    g = backend.asarray(np.array([3.0, 4.0]))
    assert po.ClipNorm(0.0, global_norm=True).update(g, None, g)[0] is g
    np.testing.assert_allclose(backend.to_host(po.ClipNorm(1.0).update(g, None, g)[0]), [0.6, 0.8])
