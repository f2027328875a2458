"""Rotary position embedding (``rope``): rotate feature pairs by position-dependent angles."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import op_error, shape_of


def rope(x: Any, offset: int = 0, base: float = 10000.0) -> Any:
    """Rotate ``x`` (..., T, d) by the angles of positions ``offset .. offset + T - 1``.

    Feature ``i`` and feature ``i + d/2`` form a pair rotated by ``pos * base**(-2i/d)``
    (the half-split layout of GPT-NeoX and LLaMA's reference code). Applied to queries and
    keys, it makes their dot product depend on the positions only through their
    difference. ``d`` must be even. Su et al. (2021), arXiv:2104.09864.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.rope(np.array([[1.0, 0.0]]), offset=1).round(4).tolist()
        [[0.5403, 0.8415]]
    """
    shape = shape_of(x)
    if len(shape) < 2 or shape[-1] % 2:
        raise op_error("rope", f"expected x of shape (..., T, d) with d even, got {shape}")
    t, d = shape[-2], shape[-1]
    raw = ag.value(x)
    xp = ag.xp_of(raw)
    half = d // 2
    freqs = base ** (-xp.arange(half, dtype=raw.dtype) * (2.0 / d))
    angles = xp.arange(offset, offset + t, dtype=raw.dtype)[:, None] * freqs
    cos, sin = xp.cos(angles).astype(raw.dtype), xp.sin(angles).astype(raw.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return ag.concat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
