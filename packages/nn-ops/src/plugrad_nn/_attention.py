"""``scaled_dot_product_attention``: one fused primitive with its rule.

The forward keeps the attention weights ``P`` (and the dropout multipliers) for the
backward pass, nothing else: not the scores, not the exponentials. The backward computes
the gradients of q, k, v (and of an additive float mask) together, once per output
gradient. When the backward is itself recorded (a second derivative), ``P`` is recomputed
from q and k with differentiable ops, so that the rule differentiates again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import plugrad_autograd as ag

from ._activations import softmax
from ._common import Saved, backend_for, is_box, op_error, shape_of
from ._dropout import dropout_mask

_OP = "scaled_dot_product_attention"


def _causal(xp: Any, tq: int, tk: int) -> Any:
    """True where query i may see key j: ``j <= i + (tk - tq)`` (aligned at the end)."""
    return xp.tril(xp.ones((tq, tk), dtype=bool), tk - tq)


def _masked_scores(xp: Any, s: Any, mask: Any, causal: bool) -> Any:
    if mask is not None:
        if mask.dtype == bool:
            s = xp.where(mask, s, -xp.inf)
        else:
            s = s + mask
    if causal:
        s = xp.where(_causal(xp, s.shape[-2], s.shape[-1]), s, -xp.inf)
    return s


@ag.primitive
def _sdpa(
    q: Any, k: Any, v: Any, mask: Any, causal: bool, scale: float, keep: Any, saved: Saved
) -> Any:
    xp = ag.xp_of(q, k, v)
    s = xp.matmul(q, k.swapaxes(-1, -2))
    s *= s.dtype.type(scale)
    s = _masked_scores(xp, s, mask, causal)
    top = s.max(axis=-1, keepdims=True)
    if mask is not None:  # a row with every key masked attends to nothing: output 0
        top = xp.where(xp.isfinite(top), top, 0)
    s -= top
    p = xp.exp(s, out=s)
    total = p.sum(axis=-1, keepdims=True)
    if mask is not None:
        total[total == 0] = 1
    p /= total
    saved.p = p
    return xp.matmul(p if keep is None else p * keep, v)


def _weights(q: Any, k: Any, mask: Any, causal: bool, scale: float, saved: Saved) -> Any:
    """The attention weights: saved, or recomputed differentiably when q, k or mask are boxed."""
    if not (is_box(q) or is_box(k) or is_box(mask)):
        return saved.p
    xp = ag.xp_of(ag.value(q))
    s = ag.matmul(q, ag.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        s = ag.where(mask, s, -np.inf) if ag.value(mask).dtype == bool else s + mask
    if causal:
        s = ag.where(_causal(xp, s.shape[-2], s.shape[-1]), s, -np.inf)
    return softmax(s, axis=-1)


def _grads(dy, q, k, v, mask, causal, scale, keep, saved):
    """(dq, dk, dv, dscores) for output gradient ``dy``, written with differentiable ops."""
    cached = getattr(saved, "grads", None)
    if cached is not None and cached[0] is dy:
        return cached[1]
    p = _weights(q, k, mask, causal, scale, saved)
    pd = p if keep is None else p * keep
    dv = ag.matmul(ag.swapaxes(pd, -1, -2), dy)
    dp = ag.matmul(dy, ag.swapaxes(v, -1, -2))
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - ag.sum(dp * p, axis=-1, keepdims=True))
    dq = ag.matmul(ds, k) * scale
    dk = ag.matmul(ag.swapaxes(ds, -1, -2), q) * scale
    out = (dq, dk, dv, ds)
    if not any(is_box(a) for a in (dy, q, k, v, mask)):
        saved.grads = (dy, out)  # q's, k's and v's rules share one computation
    return out


def _rule(i: int) -> Any:
    def vjp(dy, y, q, k, v, mask, causal, scale, keep, saved):
        return _grads(dy, q, k, v, mask, causal, scale, keep, saved)[i]

    return vjp


ag.defvjp(_sdpa, _rule(0), _rule(1), _rule(2), _rule(3))


def _check(q: Any, k: Any, v: Any, mask: Any) -> tuple[int, ...]:
    qs, ks, vs = shape_of(q), shape_of(k), shape_of(v)
    if len(qs) < 2 or len(ks) < 2 or len(vs) < 2:
        raise op_error(_OP, f"q, k, v must be (..., T, d), got shapes q {qs}, k {ks}, v {vs}")
    if qs[-1] != ks[-1] or ks[-2] != vs[-2]:
        raise op_error(
            _OP,
            f"q (..., Tq, d) and k (..., Tk, d) must share d, and k and v (..., Tk, dv) must "
            f"share Tk; got shapes q {qs}, k {ks}, v {vs}",
        )
    try:
        batch = np.broadcast_shapes(qs[:-2], ks[:-2], vs[:-2])
    except ValueError:
        raise op_error(
            _OP, f"the leading axes of q {qs}, k {ks} and v {vs} do not broadcast"
        ) from None
    scores = (*batch, qs[-2], ks[-2])
    if mask is not None:
        ms = shape_of(mask)
        try:
            full = np.broadcast_shapes(ms, scores)
        except ValueError:
            full = None
        if full != scores:
            raise op_error(
                _OP,
                f"mask of shape {ms} does not broadcast to the attention scores' shape "
                f"{scores} (..., Tq, Tk); give a mask of shape (Tq, Tk) = "
                f"{scores[-2:]} or one broadcastable to {scores}",
            )
    return scores


def scaled_dot_product_attention(
    q: Any,
    k: Any,
    v: Any,
    mask: Any = None,
    causal: bool = False,
    dropout: float = 0.0,
    scale: float | None = None,
    *,
    drop: bool | None = None,
    seed: int | None = None,
) -> Any:
    """Attention ``softmax(q @ k.T * scale + mask) @ v`` as one fused op.

    ``q`` is (..., Tq, d), ``k`` (..., Tk, d), ``v`` (..., Tk, dv); the leading axes
    broadcast. ``mask`` broadcasts to (..., Tq, Tk): boolean (True = attend) or an additive
    float mask. ``causal=True`` lets query ``i`` see keys ``j <= i + Tk - Tq`` (aligned at
    the end, which is PyTorch's ``is_causal`` when Tq == Tk, and what decoding with a key
    cache needs). A query that may see no key gets output 0. ``scale`` defaults to
    ``1/sqrt(d)``. ``dropout`` drops attention weights while ``diff`` records (``drop``
    overrides that; ``seed`` fixes the draw). Vaswani et al. (2017), arXiv:1706.03762.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> q = k = v = np.eye(2)[None]
        >>> nn.scaled_dot_product_attention(q, k, v, causal=True).round(3).tolist()
        [[[1.0, 0.0], [0.33, 0.67]]]
    """
    backend_for(_OP, q, k, v, mask)
    scores = _check(q, k, v, mask)
    if not 0 <= dropout < 1:
        raise op_error(_OP, f"dropout must be in [0, 1), got {dropout!r}")
    if scale is None:
        scale = 1.0 / math.sqrt(shape_of(q)[-1])
    keep = None
    active = ag.training() if drop is None else bool(drop)
    if dropout > 0 and active:
        like = ag.xp_of(ag.value(q)).empty(scores, dtype=ag.value(q).dtype)
        keep = dropout_mask(like, dropout, seed)
    return _sdpa(q, k, v, mask, bool(causal), float(scale), keep, Saved())
