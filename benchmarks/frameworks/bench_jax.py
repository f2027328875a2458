"""JAX: the same math in ``jax.numpy``, ``jax.value_and_grad``, eager or under ``jax.jit``.

Parameters are a list of arrays (a dict by name for the transformer); a step returns the
updated ones (JAX is functional). With ``jit`` the whole step (loss, gradient, update) is
one compiled function, compiled by the first call, outside the timing. Labels are int32
(JAX's default integer width). The transformer's AdamW is written out
(``torch.optim.AdamW``'s update), its moments and step count carried in the state next to
the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from problems import ADAMW, GPT_HEADS, GPT_LAYERS, LR, OVERHEAD_REPEATS, Problem

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


def _layer_norm(h: Any, weight: Any, eps: float = 1e-5) -> Any:
    """``F.layer_norm`` with a weight and no bias (biased variance, eps 1e-5)."""
    mean = jnp.mean(h, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(h - mean), axis=-1, keepdims=True)
    return (h - mean) * jax.lax.rsqrt(var + eps) * weight


def _gpt_block(h: Any, w: dict[str, Any], i: int) -> Any:
    n, t, d = h.shape
    q, k, v = jnp.split(_layer_norm(h, w[f"ln1_{i}"]) @ w[f"qkv_{i}"], 3, axis=-1)
    # dot_product_attention takes (batch, time, heads, head width): no transposes
    q, k, v = (z.reshape(n, t, GPT_HEADS, d // GPT_HEADS) for z in (q, k, v))
    o = jax.nn.dot_product_attention(q, k, v, is_causal=True)
    h = h + o.reshape(n, t, d) @ w[f"proj_{i}"]
    m = _layer_norm(h, w[f"ln2_{i}"]) @ w[f"fc_{i}"]
    return h + jax.nn.gelu(m, approximate=False) @ w[f"fcproj_{i}"]  # F.gelu: exact erf


def _transformer(w: dict[str, Any], x: Any, y: Any) -> Any:
    h = w["wte"][x] + w["wpe"][: x.shape[1]]
    for i in range(GPT_LAYERS):
        h = _gpt_block(h, w, i)
    logits = _layer_norm(h, w["lnf"]) @ w["wte"].T  # output tied to the embedding
    return _cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


_LOSSES: dict[str, Callable[..., Any]] = {
    "overhead": _overhead,
    "mlp": _mlp,
    "lenet": _lenet,
    "lstm": _lstm,
    "transformer": _transformer,
}


def _sgd(params: Any, grads: Any, state: Any) -> tuple[Any, Any]:
    return jax.tree.map(lambda p, g: p - LR * g, params, grads), state


def _adamw_init(params: Any) -> Any:
    zeros = jax.tree.map(jnp.zeros_like, params)
    return jnp.zeros((), jnp.float32), zeros, zeros


def _adamw(params: Any, grads: Any, state: Any) -> tuple[Any, Any]:
    """``torch.optim.AdamW``'s step: decoupled decay, then the bias-corrected Adam step."""
    lr, (b1, b2), eps, decay = (ADAMW[k] for k in ("lr", "betas", "eps", "weight_decay"))
    t, ms, vs = state
    t = t + 1
    step_size, bc2_sqrt = lr / (1 - b1**t), jnp.sqrt(1 - b2**t)
    ms = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, ms, grads)
    vs = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, vs, grads)
    params = jax.tree.map(
        lambda p, m, v: p * (1 - lr * decay) - step_size * m / (jnp.sqrt(v) / bc2_sqrt + eps),
        params,
        ms,
        vs,
    )
    return params, (t, ms, vs)


def _to_jax(a: np.ndarray) -> Any:
    return jnp.asarray(a.astype(np.int32) if a.dtype.kind in "iu" else a)


def build(problem: Problem, jit: bool = False) -> Built:
    if problem.name not in _LOSSES:
        raise Skip(f"no {problem.name} workload")
    adamw = problem.name == "transformer"
    loss_and_grad = jax.value_and_grad(_LOSSES[problem.name])
    optimizer = _adamw if adamw else _sgd
    data = [_to_jax(a) for a in problem.data.values()]

    def update(params: Any, opt_state: Any, *data: Any) -> tuple[Any, Any, Any]:
        loss, grads = loss_and_grad(params, *data)
        return (*optimizer(params, grads, opt_state), loss)

    if jit:
        update = jax.jit(update)
    arrays = {k: jnp.asarray(a) for k, a in problem.params.items()}
    params = arrays if adamw else list(arrays.values())
    state = [params, _adamw_init(params) if adamw else ()]

    def step() -> Any:
        state[0], state[1], loss = update(state[0], state[1], *data)
        return loss

    n_params = int(sum(a.size for a in arrays.values()))
    note = "whole step jit-compiled" if jit else "eager (op by op)"
    if adamw:
        note += "; jax.nn.dot_product_attention, AdamW by hand"
    return Built(step, n_params, note)
