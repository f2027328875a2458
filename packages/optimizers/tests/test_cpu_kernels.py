"""The CPU backend's fused updates: installed by the entry point, equal to the portable path."""

import numpy as np
import pytest

import plugrad_backends as B
import plugrad_optim as po
from plugrad_optim import _cpu_kernels

RULES = [
    lambda lr: po.SGD(lr=lr),
    lambda lr: po.Momentum(lr=lr, gamma=0.8),
    lambda lr: po.Nesterov(lr=lr, gamma=0.7),
    lambda lr: po.Adagrad(lr=lr, eps=1e-4),
    lambda lr: po.Rmsprop(lr=lr, rho=0.8, eps=1e-5),
    lambda lr: po.Adadelta(lr=lr, rho=0.85, eps=1e-4),
    lambda lr: po.Adam(lr=lr, beta1=0.8, beta2=0.95, eps=1e-6),
]
NAMES = ["SGD", "Momentum", "Nesterov", "Adagrad", "Rmsprop", "Adadelta", "Adam"]


def test_the_entry_point_installs_every_kernel_on_cpu_only():
    cpu = B.get("cpu")
    for name, kernel in _cpu_kernels.KERNELS.items():
        assert cpu.kernels[name] is kernel
    assert _cpu_kernels.plugrad_kernels(backend=type("Other", (), {"name": "cuda"})()) is None


def _train(make, w0, grads, dtype):
    w = w0.astype(dtype)
    buffer = w  # the kernels update in place: the same array throughout
    opt = make(po.StepDecay(0.05, 7))
    for g in grads:
        po.update(w, g.astype(dtype), opt)
    assert w is buffer
    return w, opt.state


@pytest.mark.parametrize("make", RULES, ids=NAMES)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_fused_equals_portable(make, dtype, rtol, w0, gradients, monkeypatch):
    calls = []
    name = make(0.1).kernel
    kernels = B.get("cpu").kernels
    kernel = kernels[name]
    monkeypatch.setitem(kernels, name, lambda *a, **k: (calls.append(1), kernel(*a, **k)))
    fused, fused_state = _train(make, w0, gradients, dtype)
    assert len(calls) == len(gradients)
    monkeypatch.delitem(kernels, name)
    portable, portable_state = _train(make, w0, gradients, dtype)
    assert fused.dtype == dtype
    np.testing.assert_allclose(fused, portable, rtol=rtol, atol=rtol * 1e-3)
    _same_state(fused_state, portable_state, rtol)


def _same_state(a, b, rtol):
    """Members' states alike: arrays close, everything else (counters, None) equal."""
    assert type(a) is type(b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same_state(x, y, rtol)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same_state(a[key], b[key], rtol)
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3)
    else:
        assert a == b


def test_a_float64_gradient_updates_a_float32_weight_in_place(w0, gradients):
    w = w0.astype(np.float32)
    po.update(w, gradients[0], po.Adam(lr=0.1))
    assert w.dtype == np.float32
    expected = w0 - 0.1 * np.sign(gradients[0])  # Adam's first step is lr * sign(g)
    np.testing.assert_allclose(w, expected, rtol=1e-5, atol=1e-5)


def test_clipping_turns_the_fused_path_off(monkeypatch, w0, gradients):
    monkeypatch.setitem(B.get("cpu").kernels, "adam_update", None)  # would fail if called
    w = w0.copy()
    po.update(w, gradients[0], po.Adam(lr=0.1, gclip=0.5))
    assert not np.array_equal(w, w0)


@pytest.mark.parametrize(
    "grad_of",
    [
        lambda g: g,  # contiguous, same dtype: BLAS axpy
        lambda g: np.asfortranarray(g),  # not C-contiguous: numpy
        lambda g: g.astype(np.float64),  # another dtype: numpy
    ],
    ids=["blas", "strided", "float64-grad"],
)
def test_sgd_kernel_takes_blas_or_numpy_with_the_same_result(grad_of):
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((6, 5)).astype(np.float32)
    g = rng.standard_normal((6, 5)).astype(np.float32)
    w = w0.copy()
    _cpu_kernels.sgd_update(w, grad_of(g), lr=0.25)
    np.testing.assert_allclose(w, w0 - 0.25 * g, rtol=1e-6, atol=1e-7)
