"""The ops with the plugin's kernels installed: gradients (any order) and broken kernels."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_cpu_kernels as K
import plugrad_nn as nn

pytestmark = pytest.mark.skipif(
    not K.enabled(), reason="PLUGRAD_CPU_KERNELS=0: the ops run their portable path"
)


def test_the_plugin_fills_the_cpu_table_through_the_hook():
    cpu = B.get("cpu")
    for name, kernel in K.kernel_table().items():
        assert cpu.kernels[name].__qualname__ == kernel.__qualname__, name
    assert any(p.distribution == "plugrad-cpu-kernels" for p in B.plugins())


def _lenet_like(w1, w2, b, x, labels):
    h = nn.conv4(w1, x, padding=1, mode=1) + ag.reshape(b, (1, -1, 1, 1))
    h = nn.pool(nn.elu(h), mode=0)
    h = nn.gelu(nn.conv4(w2, nn.tanh(h) if hasattr(nn, "tanh") else ag.tanh(h), stride=2))
    h = nn.pool(nn.sigm(h), window=2, padding=1, stride=1, mode=2)
    scores = ag.reshape(h, (h.shape[0], -1))
    return nn.nll(nn.leaky_relu(scores, 0.2), labels) + ag.sum(nn.softmax(scores)[:, 0])


def test_gcheck_through_every_kernel():
    rng = np.random.default_rng(7)
    w1 = ag.Param(rng.normal(0, 0.5, (4, 2, 3, 3)))
    w2 = ag.Param(rng.normal(0, 0.5, (3, 4, 3, 3)))
    b = ag.Param(rng.normal(0, 0.1, (4,)))
    x = rng.normal(size=(2, 2, 8, 8))
    labels = rng.integers(0, 12, size=2)
    assert ag.gcheck(_lenet_like, w1, w2, b, x, labels, nsample=20, atol=1e-6, rtol=1e-4)


@pytest.fixture
def portable():
    """A context in which the cpu backend's kernel table is empty (the portable path)."""
    import contextlib

    @contextlib.contextmanager
    def off():
        cpu = B.get("cpu")
        saved = dict(cpu.kernels)
        cpu.kernels.clear()
        try:
            yield
        finally:
            cpu.kernels.update(saved)

    return off


@pytest.mark.parametrize(
    "f",
    [ag.tanh, nn.sigm, nn.elu, nn.relu, nn.gelu, nn.softmax, nn.logsoftmax, ag.exp, ag.log],
    ids=lambda f: f.__name__,
)
def test_second_and_third_order_gradients_equal_the_portable_path(f, portable):
    rng = np.random.default_rng(8)
    x = rng.random((3, 4)) + 0.5
    v = rng.normal(size=(3, 4))

    def first(x):
        return ag.sum(ag.grad(lambda x: ag.sum(f(x) * v))(x) * v)

    second = ag.grad(first)
    third = ag.grad(lambda x: ag.sum(second(x) * v))
    got = second(x), third(x)
    with portable():
        want = second(x), third(x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    # and the second derivative against central differences of the first
    eps = 1e-6
    numeric = (first(x + eps * v) - first(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(float(ag.sum(got[0] * v)), float(numeric), rtol=1e-6)


@pytest.fixture
def broken_tanh():
    """``tanh`` and ``tanh_grad`` kernels installed, made slightly wrong."""
    cpu = B.get("cpu")
    saved = dict(cpu.kernels)
    tanh, tanh_grad = K.kernel_table(everything=True)["tanh"], cpu.kernels["tanh_grad"]
    cpu.kernels["tanh"] = lambda x: tanh(x) * (1 + 1e-4)
    cpu.kernels["tanh_grad"] = lambda dy, y, x: tanh_grad(dy, y, x) * 1.01
    yield
    cpu.kernels.clear()
    cpu.kernels.update(saved)


def test_a_broken_kernel_makes_the_checks_fail(broken_tanh, matches):
    x = np.random.default_rng(9).normal(size=(50, 40))
    with pytest.raises(AssertionError):
        matches(ag.tanh(x), np.tanh(x), np.float64)
    w = ag.Param(np.random.default_rng(10).normal(size=(5,)))
    assert not ag.gcheck(lambda: ag.sum(ag.tanh(w)), nsample=5, atol=1e-8, rtol=1e-4, verbose=0)
