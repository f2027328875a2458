"""HIPS ``autograd``: the same math in ``autograd.numpy``, ``autograd.value_and_grad``.

autograd has no convolution or pooling layer; the convolution is written as im2col
(slices of the input stacked, then one matrix product, so BLAS does the FLOPs) and the
pooling as a reshape and a max, both plain ``autograd.numpy``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

import numpy as np
from problems import LR, OVERHEAD_REPEATS, Problem

from frameworks import Built, Skip

NAME = "autograd"

try:
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
except ImportError as exc:
    autograd = None
    _IMPORT_ERROR = str(exc)


def available() -> str | None:
    return None if autograd is not None else f"autograd is not installed ({_IMPORT_ERROR})"


def version() -> str:
    return f"autograd {importlib.metadata.version('autograd')}"


def _relu(x: Any) -> Any:
    return anp.maximum(x, 0.0)


def _cross_entropy(scores: Any, labels: np.ndarray) -> Any:
    rows = np.arange(scores.shape[0])
    return anp.mean(logsumexp(scores, axis=1) - scores[rows, labels])


def _overhead(p: list[Any], x: Any) -> Any:
    w, b = p
    h = x
    for _ in range(OVERHEAD_REPEATS):
        h = h * w
        h = h + b
        h = anp.tanh(h)
        h = h * 0.5
        h = anp.exp(h)
    return anp.sum(h)


def _mlp(p: list[Any], x: Any, y: Any) -> Any:
    w1, b1, w2, b2, w3, b3 = p
    h = _relu(anp.dot(x, w1) + b1)
    h = _relu(anp.dot(h, w2) + b2)
    return _cross_entropy(anp.dot(h, w3) + b3, y)


def _conv(x: Any, w: Any, b: Any) -> Any:
    """Valid cross-correlation, NCHW input, (out, in, kH, kW) weights, by im2col."""
    n, c, hh, ww = x.shape
    o, _, kh, kw = w.shape
    oh, ow = hh - kh + 1, ww - kw + 1
    patches = anp.stack(
        [x[:, :, i : i + oh, j : j + ow] for i in range(kh) for j in range(kw)], axis=2
    )  # (n, c, kh*kw, oh, ow)
    cols = anp.reshape(anp.transpose(patches, (0, 3, 4, 1, 2)), (n * oh * ow, c * kh * kw))
    out = anp.dot(cols, anp.reshape(w, (o, c * kh * kw)).T) + b
    return anp.transpose(anp.reshape(out, (n, oh, ow, o)), (0, 3, 1, 2))


def _pool(x: Any) -> Any:
    n, c, hh, ww = x.shape
    return anp.max(anp.reshape(x, (n, c, hh // 2, 2, ww // 2, 2)), axis=(3, 5))


def _lenet(p: list[Any], x: Any, y: Any) -> Any:
    c1, cb1, c2, cb2, w3, b3, w4, b4 = p
    h = _pool(_relu(_conv(x, c1, cb1)))
    h = _pool(_relu(_conv(h, c2, cb2)))
    h = _relu(anp.dot(anp.reshape(h, (h.shape[0], -1)), w3) + b3)
    return _cross_entropy(anp.dot(h, w4) + b4, y)


def _sigmoid(x: Any) -> Any:
    return 0.5 * anp.tanh(0.5 * x) + 0.5


def _lstm(p: list[Any], x: Any, y: Any) -> Any:
    embed, wx, wh, b, wy, by = p
    batch, steps = x.shape
    hidden = wh.shape[0]
    xw = anp.dot(embed[x], wx) + b
    h = c = np.zeros((batch, hidden), dtype=np.float32)
    hs = []
    for t in range(steps):
        gates = xw[:, t] + anp.dot(h, wh)
        i = _sigmoid(gates[:, :hidden])
        f = _sigmoid(gates[:, hidden : 2 * hidden])
        g = anp.tanh(gates[:, 2 * hidden : 3 * hidden])
        o = _sigmoid(gates[:, 3 * hidden :])
        c = f * c + i * g
        h = o * anp.tanh(c)
        hs.append(h)
    hs = anp.reshape(anp.stack(hs, axis=1), (batch * steps, hidden))
    return _cross_entropy(anp.dot(hs, wy) + by, y.reshape(-1))


_LOSSES: dict[str, Callable[..., Any]] = {
    "overhead": _overhead,
    "mlp": _mlp,
    "lenet": _lenet,
    "lstm": _lstm,
}


def build(problem: Problem) -> Built:
    if problem.name not in _LOSSES:
        raise Skip(f"no {problem.name} workload")
    loss_and_grad = autograd.value_and_grad(_LOSSES[problem.name])
    params = [a.copy() for a in problem.params.values()]
    data = list(problem.data.values())

    def step() -> Any:
        loss, grads = loss_and_grad(params, *data)
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    note = {"lenet": "convolution by im2col", "lstm": "LSTM cell by hand"}.get(problem.name, "")
    return Built(step, int(sum(a.size for a in params)), note)
