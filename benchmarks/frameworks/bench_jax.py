"""JAX: the same math in ``jax.numpy``, ``jax.value_and_grad``, eager or under ``jax.jit``.

Parameters are a list of arrays; a step returns the updated list (JAX is functional). With
``jit`` the whole step (loss, gradient, update) is one compiled function, compiled by the
first call, outside the timing. Labels are int32 (JAX's default integer width).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from problems import LR, OVERHEAD_REPEATS, Problem

from frameworks import Built, Skip

NAME = "jax"

try:
    import jax
    import jax.numpy as jnp
except ImportError as exc:
    jax = None
    _IMPORT_ERROR = str(exc)


def available() -> str | None:
    return None if jax is not None else f"jax is not installed ({_IMPORT_ERROR})"


def version() -> str:
    import jaxlib

    return f"jax {jax.__version__}, jaxlib {jaxlib.__version__} ({jax.default_backend()})"


def _cross_entropy(scores: Any, labels: Any) -> Any:
    picked = jnp.take_along_axis(scores, labels[:, None], axis=1)[:, 0]
    return jnp.mean(jax.nn.logsumexp(scores, axis=1) - picked)


def _overhead(p: list[Any], x: Any) -> Any:
    w, b = p
    h = x
    for _ in range(OVERHEAD_REPEATS):
        h = h * w
        h = h + b
        h = jnp.tanh(h)
        h = h * 0.5
        h = jnp.exp(h)
    return jnp.sum(h)


def _mlp(p: list[Any], x: Any, y: Any) -> Any:
    w1, b1, w2, b2, w3, b3 = p
    h = jax.nn.relu(x @ w1 + b1)
    h = jax.nn.relu(h @ w2 + b2)
    return _cross_entropy(h @ w3 + b3, y)


def _conv(x: Any, w: Any, b: Any) -> Any:
    out = jax.lax.conv_general_dilated(
        x, w, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW")
    )
    return out + b[None, :, None, None]


def _pool(x: Any) -> Any:
    n, c, hh, ww = x.shape
    return jnp.max(x.reshape(n, c, hh // 2, 2, ww // 2, 2), axis=(3, 5))


def _lenet(p: list[Any], x: Any, y: Any) -> Any:
    c1, cb1, c2, cb2, w3, b3, w4, b4 = p
    h = _pool(jax.nn.relu(_conv(x, c1, cb1)))
    h = _pool(jax.nn.relu(_conv(h, c2, cb2)))
    h = jax.nn.relu(h.reshape(h.shape[0], -1) @ w3 + b3)
    return _cross_entropy(h @ w4 + b4, y)


def _lstm(p: list[Any], x: Any, y: Any) -> Any:
    embed, wx, wh, b, wy, by = p
    batch, steps = x.shape
    hidden = wh.shape[0]
    xw = embed[x] @ wx + b
    h = c = jnp.zeros((batch, hidden), dtype=jnp.float32)
    hs = []
    for t in range(steps):
        gates = xw[:, t] + h @ wh
        i, f, g, o = jnp.split(gates, 4, axis=1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        hs.append(h)
    hs = jnp.stack(hs, axis=1).reshape(batch * steps, hidden)
    return _cross_entropy(hs @ wy + by, y.reshape(-1))


_LOSSES: dict[str, Callable[..., Any]] = {
    "overhead": _overhead,
    "mlp": _mlp,
    "lenet": _lenet,
    "lstm": _lstm,
}


def _to_jax(a: np.ndarray) -> Any:
    return jnp.asarray(a.astype(np.int32) if a.dtype.kind in "iu" else a)


def build(problem: Problem, jit: bool = False) -> Built:
    if problem.name not in _LOSSES:
        raise Skip(f"no {problem.name} workload")
    loss_and_grad = jax.value_and_grad(_LOSSES[problem.name])
    data = [_to_jax(a) for a in problem.data.values()]

    def update(params: list[Any], *data: Any) -> tuple[list[Any], Any]:
        loss, grads = loss_and_grad(params, *data)
        return [p - LR * g for p, g in zip(params, grads)], loss

    if jit:
        update = jax.jit(update)
    state = [[jnp.asarray(a) for a in problem.params.values()]]

    def step() -> Any:
        state[0], loss = update(state[0], *data)
        return loss

    n_params = int(sum(a.size for a in state[0]))
    return Built(step, n_params, "whole step jit-compiled" if jit else "eager (op by op)")
