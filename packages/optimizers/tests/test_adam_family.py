"""Adam's relatives, 20 steps each, against numpy transcriptions of their papers' updates."""

import math

import numpy as np
import pytest

import plugrad_optim as po


def ref_adamax(w, gs, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    # Kingma & Ba, Algorithm 2 (eps added to u as Lasagne does).
    m = np.zeros_like(w)
    u = np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g))
        w = w - (lr / (1 - beta1**t)) * m / (u + eps)
    return w


def ref_amsgrad(w, gs, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    vmax = np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vmax = np.maximum(vmax, v)
        w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(vmax / (1 - beta2**t)) + eps)
    return w


def ref_nadam(w, gs, lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, psi=0.004):
    # Dozat (2016), Algorithm 2 with the schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)).
    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * psi))

    m = np.zeros_like(w)
    n = np.zeros_like(w)
    prod = 1.0
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * w
        prod *= mu(t)
        m = beta1 * m + (1 - beta1) * g
        n = beta2 * n + (1 - beta2) * g**2
        g_hat = g / (1 - prod)
        m_hat = m / (1 - prod * mu(t + 1))
        n_hat = n / (1 - beta2**t)
        m_bar = (1 - mu(t)) * g_hat + mu(t + 1) * m_hat
        w = w - lr * m_bar / (np.sqrt(n_hat) + eps)
    return w


def ref_radam(w, gs, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    # Liu et al. (2020), Algorithm 2; rectified once rho_t > 4.
    rho_inf = 2 / (1 - beta2) - 1
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    rectified = []
    for t, g in enumerate(gs, start=1):
        g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 4:
            v_hat = v / (1 - beta2**t)
            r = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            w = w - lr * r * m_hat / (np.sqrt(v_hat) + eps)
            rectified.append(t)
        else:
            w = w - lr * m_hat
    return w, rectified


def ref_adamw(w, gs, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    # Loshchilov & Hutter, Algorithm 2: the decay bypasses Adam's scaling.
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(gs, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        step = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        w = w - lr * (step + weight_decay * w)
    return w


CUSTOM = {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-4, "weight_decay": 0.1}
CASES = [
    (po.Adamax, {}, ref_adamax),
    (po.Adamax, CUSTOM, ref_adamax),
    (po.AMSGrad, {}, ref_amsgrad),
    (po.AMSGrad, CUSTOM, ref_amsgrad),
    (po.NAdam, {}, ref_nadam),
    (po.NAdam, CUSTOM, ref_nadam),
    (po.AdamW, {}, ref_adamw),
    (po.AdamW, CUSTOM, ref_adamw),
]
IDS = [f"{c.__name__}-{'default' if not kw else 'custom'}" for c, kw, _ in CASES]


@pytest.mark.parametrize(("cls", "kwargs", "ref"), CASES, ids=IDS)
def test_rule_matches_paper(cls, kwargs, ref, run, w0, gradients):
    got = run(cls(**kwargs), w0, gradients)
    want = ref(w0, gradients, **kwargs)
    assert not np.allclose(want, w0, atol=1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kwargs", [{}, {"beta2": 0.9, "lr": 0.01}], ids=["default", "custom"])
def test_radam_matches_paper(kwargs, run, w0, gradients):
    got = run(po.RAdam(**kwargs), w0, gradients)
    want, rectified = ref_radam(w0, gradients, **kwargs)
    assert rectified and rectified[0] > 1  # both regimes are exercised
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_radam_threshold_is_the_papers():
    # rho_t crosses 4 between t = 4 and t = 5 for beta2 = 0.999.
    _, rectified = ref_radam(np.zeros(1), np.ones((6, 1)))
    assert rectified == [5, 6]


def test_paper_defaults():
    assert po.Adamax().lr == 0.002
    n = po.NAdam()
    assert (n.lr, n.momentum_decay) == (0.002, 0.004)
    for cls in (po.Adamax, po.AMSGrad, po.NAdam, po.RAdam, po.AdamW):
        o = cls()
        assert (o.beta1, o.beta2, o.eps) == (0.9, 0.999, 1e-8)
    assert po.AdamW().weight_decay == 0.01
    assert po.AMSGrad().lr == po.RAdam().lr == po.AdamW().lr == 0.001


def test_adamw_decay_is_decoupled(backend):
    # Zero gradient: Adam's step is 0, so only the decay moves the weight, by lr*wd*w.
    w = backend.asarray(np.array([2.0, -4.0]))
    po.update(w, backend.asarray(np.zeros(2)), po.AdamW(lr=0.1, weight_decay=0.5))
    np.testing.assert_allclose(backend.to_host(w), [1.9, -3.8])
    # Coupled L2 in Adam goes through the scaling: the step is lr * sign, not lr * wd * w.
    w = backend.asarray(np.array([2.0, -4.0]))
    po.update(w, backend.asarray(np.zeros(2)), po.Adam(lr=0.1, weight_decay=0.5))
    np.testing.assert_allclose(backend.to_host(w), [1.9, -3.9], rtol=1e-6)


def test_amsgrad_keeps_the_running_max(backend):
    opt = po.AMSGrad()
    w = backend.asarray(np.zeros(1))
    for g in (10.0, 0.1, 0.1):
        po.update(w, backend.asarray(np.array([g])), opt)
    s = opt.state[3]
    v = backend.to_host(s["v"])[0]
    vmax = backend.to_host(s["vmax"])[0]
    want_v = 0.999**2 * 0.001 * 100 + 0.999 * 0.001 * 0.01 + 0.001 * 0.01
    assert vmax == pytest.approx(0.1) and v == pytest.approx(want_v) and v < vmax


@pytest.mark.parametrize("kwargs", [{}, CUSTOM], ids=["default", "custom"])
def test_adam_amsgrad_option_is_amsgrad(kwargs, run, w0, gradients):
    got = run(po.Adam(amsgrad=True, **kwargs), w0, gradients)
    np.testing.assert_allclose(got, ref_amsgrad(w0, gradients, **kwargs), rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(got, run(po.AMSGrad(**kwargs), w0, gradients))
    no_decay = {**kwargs, "weight_decay": 0.0}
    adamw = run(po.AdamW(amsgrad=True, **no_decay), w0, gradients)
    np.testing.assert_array_equal(adamw, run(po.AMSGrad(**no_decay), w0, gradients))


def test_amsgrad_skips_the_adam_kernel_and_can_be_switched_on(backend, monkeypatch, w0, gradients):
    opt = po.Adam(lr=0.05)
    w = backend.asarray(w0.copy())
    for g in gradients[:5]:
        po.update(w, backend.asarray(g), opt)
    opt.amsgrad = True
    monkeypatch.setitem(backend.kernels, "adam_update", None)  # would fail if called
    for g in gradients[5:]:
        po.update(w, backend.asarray(g), opt)
    # reference: Adam for 5 steps, then the running maximum of v from step 6 on
    ref, m, v, vmax = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), None
    for t, g in enumerate(gradients, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        if t > 5:
            vmax = v if vmax is None else np.maximum(vmax, v)
        den = vmax if t > 5 else v
        ref = ref - 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(den / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(backend.to_host(w), ref, rtol=1e-10, atol=1e-13)
    assert "vmax" in opt.state[3] and opt.state[3]["count"] == 20


def test_rules_saved_before_the_amsgrad_option_load_with_its_default():
    for cls, want in ((po.ScaleByAdam, False), (po.ScaleByAMSGrad, True)):
        old = cls.__new__(cls)
        old.__dict__.update({"beta1": 0.9, "beta2": 0.999, "eps": 1e-8})
        assert old.amsgrad is want
