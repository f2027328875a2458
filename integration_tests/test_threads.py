"""Several models trained in threads at once give the serial results bit for bit (issue 18 §2)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import plugrad_autograd as ag
from plugrad_optim import Adam, minimize, update


@pytest.fixture(autouse=True)
def _switch_threads_often():
    # Switch between threads every microsecond instead of every 5 ms, so that the threads'
    # steps interleave at the level of single ops.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _data(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 4)), rng.standard_normal((16, 1))) for _ in range(30)]


def _train_with_minimize(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(100 + seed)
    w = ag.Param(rng.standard_normal((4, 8)))
    v = ag.Param(rng.standard_normal((8, 1)))

    def loss(x, y):
        return ag.mean((ag.tanh(x @ w) @ v - y) ** 2)

    for _ in minimize(loss, _data(seed), Adam(lr=0.01)):
        pass
    return [w.value.copy(), v.value.copy()]


def _train_with_update(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(100 + seed)
    w = ag.Param(rng.standard_normal((4, 1)), opt=Adam(lr=0.05))
    for x, y in _data(seed):
        tape = ag.diff(lambda x, y: ag.mean((x @ w - y) ** 2), x, y)
        update(w, ag.grad(tape, w))
    return [w.value.copy()]


def test_models_trained_in_threads_equal_the_serial_ones():
    for train in (_train_with_minimize, _train_with_update):
        serial = [train(s) for s in range(6)]
        with ThreadPoolExecutor(3) as pool:
            parallel = list(pool.map(train, range(6)))
        for a, b in zip(serial, parallel):
            for pa, pb in zip(a, b):
                np.testing.assert_array_equal(pa, pb)
