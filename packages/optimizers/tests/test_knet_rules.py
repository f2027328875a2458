"""Knet's rules, 20 steps each, against numpy transcriptions of Knet's update.jl formulas."""

import numpy as np
import pytest

import plugrad_optim as po


def clip(g, gclip):
    n = np.linalg.norm(g)
    return g * (gclip / n) if gclip > 0 and n > gclip else g


def ref_sgd(w, gs, lr=0.1, gclip=0.0):
    for g in gs:
        w = w - lr * clip(g, gclip)
    return w


def ref_momentum(w, gs, lr=0.05, gamma=0.95, gclip=0.0):
    v = np.zeros_like(w)
    for g in gs:
        v = gamma * v - lr * clip(g, gclip)
        w = w + v
    return w


def ref_nesterov(w, gs, lr=0.05, gamma=0.95, gclip=0.0):
    # Knet's code form: v = gamma v; w -= v; v -= lr g; w += (1 + gamma) v.
    v = np.zeros_like(w)
    for g in gs:
        v = gamma * v
        w = w - v
        v = v - lr * clip(g, gclip)
        w = w + (1 + gamma) * v
    return w


def ref_adagrad(w, gs, lr=0.05, eps=1e-6, gclip=0.0):
    G = np.zeros_like(w)
    for g in gs:
        g = clip(g, gclip)
        G = G + g**2
        w = w - lr * g / np.sqrt(G + eps)
    return w


def ref_rmsprop(w, gs, lr=0.01, rho=0.9, eps=1e-6, gclip=0.0):
    G = np.zeros_like(w)
    for g in gs:
        g = clip(g, gclip)
        G = rho * G + (1 - rho) * g**2
        w = w - lr * g / np.sqrt(G + eps)
    return w


def ref_adadelta(w, gs, lr=1.0, rho=0.9, eps=1e-6, gclip=0.0):
    G = np.zeros_like(w)
    delta = np.zeros_like(w)
    for g in gs:
        g = clip(g, gclip)
        G = rho * G + (1 - rho) * g**2
        dw = np.sqrt(delta + eps) * g / np.sqrt(G + eps)
        w = w - lr * dw
        delta = rho * delta + (1 - rho) * dw**2
    return w


def ref_adam(w, gs, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, gclip=0.0):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        g = clip(g, gclip)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        mhat = m / (1 - beta1**t)
        vhat = v / (1 - beta2**t)
        w = w - lr * mhat / (np.sqrt(vhat) + eps)
    return w


CASES = [
    (po.SGD, {}, ref_sgd),
    (po.SGD, {"lr": 0.03}, ref_sgd),
    (po.Momentum, {}, ref_momentum),
    (po.Momentum, {"lr": 0.01, "gamma": 0.5}, ref_momentum),
    (po.Nesterov, {}, ref_nesterov),
    (po.Nesterov, {"lr": 0.02, "gamma": 0.7}, ref_nesterov),
    (po.Adagrad, {}, ref_adagrad),
    (po.Adagrad, {"lr": 0.3, "eps": 0.5}, ref_adagrad),
    (po.Rmsprop, {}, ref_rmsprop),
    (po.Rmsprop, {"lr": 0.05, "rho": 0.5, "eps": 0.1}, ref_rmsprop),
    (po.Adadelta, {}, ref_adadelta),
    (po.Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-3}, ref_adadelta),
    (po.Adam, {}, ref_adam),
    (po.Adam, {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}, ref_adam),
]
IDS = [f"{c.__name__}-{'default' if not kw else 'custom'}" for c, kw, _ in CASES]


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES, ids=IDS)
def test_rule_matches_knet_formula(cls, kwargs, ref, run, w0, gradients):
    got = run(cls(**kwargs), w0, gradients)
    want = ref(w0, gradients, **kwargs)
    assert not np.allclose(want, w0, atol=1e-3)  # the reference really moved
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES[::2], ids=IDS[::2])
def test_gclip_matches_knet(cls, kwargs, ref, run, w0, gradients):
    norms = np.linalg.norm(gradients.reshape(len(gradients), -1), axis=1)
    gclip = float(np.median(norms))  # about half the steps are clipped
    got = run(cls(gclip=gclip), w0, gradients)
    want = ref(w0, gradients, gclip=gclip)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    unclipped = ref(w0, gradients)
    assert not np.allclose(want, unclipped)


def test_gclip_scales_to_norm_exactly(backend):
    w = backend.asarray(np.zeros(2))
    po.update(w, backend.asarray(np.array([3.0, 4.0])), po.SGD(lr=1.0, gclip=1.0))
    np.testing.assert_allclose(backend.to_host(w), [-0.6, -0.8])
    w = backend.asarray(np.zeros(2))  # norm 5 <= gclip 6: untouched
    po.update(w, backend.asarray(np.array([3.0, 4.0])), po.SGD(lr=1.0, gclip=6.0))
    np.testing.assert_array_equal(backend.to_host(w), [-3.0, -4.0])


def test_knet_defaults():
    assert po.SGD().lr == 0.1
    m = po.Momentum()
    assert (m.lr, m.gamma) == (0.05, 0.95)
    n = po.Nesterov()
    assert (n.lr, n.gamma) == (0.05, 0.95)
    a = po.Adagrad()
    assert (a.lr, a.eps) == (0.05, 1e-6)
    r = po.Rmsprop()
    assert (r.lr, r.rho, r.eps) == (0.01, 0.9, 1e-6)
    d = po.Adadelta()
    assert (d.lr, d.rho, d.eps) == (1.0, 0.9, 1e-6)
    adam = po.Adam()
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps, adam.gclip) == (0.001, 0.9, 0.999, 1e-8, 0)


def test_nesterov_net_form(backend):
    # Knet's notes: w' = w + gamma^2 v_old - (1 + gamma) lr g, v = gamma v_old - lr g.
    lr, gamma = 0.1, 0.5
    w = backend.asarray(np.array([1.0]))
    opt = po.Nesterov(lr, gamma)
    po.update(w, backend.asarray(np.array([2.0])), opt)  # v = -0.2, w = 1 - 1.5*0.2 = 0.7
    po.update(w, backend.asarray(np.array([-1.0])), opt)
    v_old = -0.2
    want = 0.7 + gamma**2 * v_old - (1 + gamma) * lr * (-1.0)
    np.testing.assert_allclose(backend.to_host(w), [want], rtol=1e-12)
    np.testing.assert_allclose(backend.to_host(opt.state[-1]["velocity"]), [gamma * v_old + lr])


def sgd_family_ref(w, gs, lr, gamma, weight_decay, dampening, maximize, nesterov=False):
    v = np.zeros_like(w)
    for g in gs:
        g = -g if maximize else g
        g = (g + weight_decay * w) * (1 - dampening)
        if gamma is None:
            w = w - lr * g
        elif nesterov:
            v = gamma * v - lr * g
            w = w + gamma * v - lr * g
        else:
            v = gamma * v - lr * g
            w = w + v
    return w


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize(
    ("cls", "gamma", "nesterov"),
    [(po.SGD, None, False), (po.Momentum, 0.8, False), (po.Nesterov, 0.8, True)],
)
def test_gradvalley_options_sgd_family(cls, gamma, nesterov, maximize, run, w0, gradients):
    kwargs = {"lr": 0.02, "weight_decay": 0.3, "dampening": 0.25, "maximize": maximize}
    if gamma is not None:
        kwargs["gamma"] = gamma
    got = run(cls(**kwargs), w0, gradients)
    want = sgd_family_ref(w0, gradients, 0.02, gamma, 0.3, 0.25, maximize, nesterov)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls", [po.Adagrad, po.Rmsprop, po.Adadelta, po.Adam])
def test_maximize_and_weight_decay_adaptive(cls, run, w0, gradients):
    # weight decay is coupled L2: the rule sees g + wd * w; maximize flips g first.
    base = run(cls(), w0, gradients)
    assert not np.allclose(run(cls(weight_decay=0.5), w0, gradients), base)
    w_up = run(cls(maximize=True), w0, gradients)
    w_neg = run(cls(), w0, -gradients)
    np.testing.assert_array_equal(w_up, w_neg)


def test_state_is_inspectable_and_in_place(backend, w0, gradients):
    opt = po.Adam()
    w = backend.asarray(w0.copy())
    po.update(w, backend.asarray(gradients[0]), opt)
    m = opt.state[3]["m"]
    for g in gradients[1:]:
        po.update(w, backend.asarray(g), opt)
    assert opt.state[3]["m"] is m  # updated in place, not reallocated
    assert opt.state[3]["count"] == 20 and opt.state[4] == {"count": 20}
    ref_m = np.zeros_like(w0)
    for g in gradients:
        ref_m = 0.9 * ref_m + 0.1 * g
    np.testing.assert_allclose(backend.to_host(m), ref_m, rtol=1e-12)
    assert type(m) is type(w) and m.dtype == w.dtype and m.shape == w.shape


def test_float32_state_keeps_dtype(backend):
    w = backend.asarray(np.ones(3, dtype=np.float32))
    opt = po.Adam(lr=0.1, gclip=0.5, weight_decay=0.1)
    for _ in range(3):
        po.update(w, backend.asarray(np.full(3, 2.0, dtype=np.float32)), opt)
    assert w.dtype == np.float32
    assert opt.state[3]["m"].dtype == np.float32 and opt.state[3]["v"].dtype == np.float32


def test_hyperparameters_change_between_updates(backend):
    opt = po.SGD(lr=1.0)
    w = backend.asarray(np.zeros(1))
    po.update(w, backend.asarray(np.ones(1)), opt)
    opt.lr = 0.25
    opt.gclip = 0.5
    po.update(w, backend.asarray(np.full(1, 2.0)), opt)
    np.testing.assert_allclose(backend.to_host(w), [-1.125])
    assert repr(opt) == "SGD(lr=0.25, dampening=0.0, gclip=0.5, weight_decay=0.0, maximize=False)"
