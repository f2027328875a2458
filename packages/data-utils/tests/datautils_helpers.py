"""Registered classes and a tiny training loop shared by the tests and their subprocesses."""

from __future__ import annotations

import numpy as np

import plugrad_autograd as ag
from plugrad_data import DataLoader


@ag.serializable
class Momentum:
    """Knet's momentum rule: ``v = gamma*v - lr*g; w += v``; state made on the first update."""

    def __init__(self, lr: float = 0.05, gamma: float = 0.95) -> None:
        self.lr = lr
        self.gamma = gamma
        self.velocity = None
        self.steps = 0

    def update(self, w: ag.Param, g: np.ndarray) -> None:
        if self.velocity is None:
            self.velocity = np.zeros_like(g)
        self.velocity *= self.gamma
        self.velocity -= self.lr * g
        w.value += self.velocity
        self.steps += 1


@ag.serializable
class Linear:
    """A dense layer holding two Params, a list of them and a loss history."""

    def __init__(self, nin: int, nout: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w = ag.Param(rng.standard_normal((nin, nout)).astype(np.float32) * 0.5)
        self.b = ag.Param(np.zeros(nout, dtype=np.float32))
        self.params = [self.w, self.b]
        self.history: list[float] = []

    def __call__(self, x):
        return x @ self.w + self.b


def dataset(n: int = 40, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.float32([[1.0], [-2.0], [0.5]]) + 0.25).astype(np.float32)
    return x, y


def loader(shuffle_seed: int = 7) -> DataLoader:
    import plugrad_backends as B

    x, y = dataset()
    B.seed(shuffle_seed)
    return DataLoader(lambda i: (x[i], y[i]), len(x), batch_size=4, shuffle=True)


def train(model: Linear, batches, steps: int) -> None:
    """Take ``steps`` momentum steps, one per batch of ``batches`` (an iterator)."""
    for _ in range(steps):
        x, y = next(batches)
        tape = ag.diff(lambda x=x, y=y: ag.mean((model(x) - y) ** 2))
        for p in model.params:
            if p.opt is None:
                p.opt = Momentum(lr=0.1, gamma=0.5)
            p.opt.update(p, ag.grad(tape, p))
        model.history.append(float(ag.value(tape)))
