"""Integration: a LeNet-style model learns the 8x8 digits to at least 97% test accuracy."""

import contextlib
import gzip
import time
from pathlib import Path

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn
from plugrad_nn._losses import nll

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None

DATA = Path(__file__).parent / "data" / "digits.csv.gz"


def _digits():
    """The UCI 8x8 digits (scikit-learn's copy): 1797 rows of 64 pixels (0..16) and a label."""
    with gzip.open(DATA, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    x = (table[:, :64] / 16.0).astype("float32").reshape(-1, 1, 8, 8)
    y = table[:, 64].astype("int64")
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    return (x[:-360], y[:-360]), (x[-360:], y[-360:])


class Adam:
    """Adam (Kingma and Ba) on the Params of a model, updating their values in place."""

    def __init__(self, params, lr=0.003, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params, self.lr, self.beta1, self.beta2, self.eps = params, lr, beta1, beta2, eps
        self.m = [np.zeros_like(p.value) for p in params]
        self.v = [np.zeros_like(p.value) for p in params]
        self.t = 0

    def step(self, tape):
        self.t += 1
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = ag.grad(tape, p)
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p.value -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


@pytest.mark.slow
def test_lenet_learns_the_digits():
    start, cpu = time.perf_counter(), time.process_time()
    (x_train, y_train), (x_test, y_test) = _digits()
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    B.seed(0)
    model = nn.Sequential(
        nn.Conv(1, 16, 3, padding=1, activation="relu"),
        nn.MaxPool(2),
        nn.Conv(16, 32, 3, padding=1, activation="relu"),
        nn.MaxPool(2),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Dense(128, 64, activation="relu"),
        nn.Dense(64, 10),
    )
    optimizer = Adam(ag.params(model))
    shuffle = np.random.default_rng(0)
    # The matrices are tiny: one BLAS thread is fastest, and several threads competing for
    # the cores of a busy machine make each step an order of magnitude slower.
    one_thread = threadpool_limits(1) if threadpool_limits else contextlib.nullcontext()
    with one_thread:
        for epoch in range(20):
            optimizer.lr = 0.003 * 0.9**epoch
            order = shuffle.permutation(len(y_train))
            for i in range(0, len(order), 32):
                batch = order[i : i + 32]
                tape = ag.diff(lambda b=batch: nll(model(x_train[b]), y_train[b]))
                optimizer.step(tape)
    accuracy = float((model(x_test).argmax(axis=1) == y_test).mean())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"LeNet on digits: test accuracy {accuracy:.4f} in {elapsed:.1f} s ({cpu:.1f} s CPU)")
    assert accuracy >= 0.97
    # CPU time, not wall time: a busy machine must not fail the test
    assert cpu < 120
