"""Drawing tokens from a model's scores: temperature and top-k sampling."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import backend_for, op_error, shape_of


def sample(
    logits: Any, temperature: float = 1.0, top_k: int | None = None, seed: int | None = None
) -> Any:
    """Draw one class index per row of ``logits`` (..., classes) from ``softmax(logits / T)``.

    ``top_k`` keeps only the ``k`` highest scores of each row (all of them when ``k`` is
    the number of classes or more); ``temperature=0`` picks the
    highest score (greedy). Draws come from the backend's generator
    (``plugrad_backends.seed`` makes them reproducible) or from one seeded with ``seed``.
    Returns integer indices of shape ``logits.shape[:-1]``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.sample(np.array([[0.0, 5.0, 1.0]]), temperature=0).tolist()
        [1]
        >>> nn.sample(np.array([[0.0, 5.0, 1.0]]), top_k=1).tolist()
        [1]
    """
    backend = backend_for("sample", logits)
    raw = ag.value(logits)
    shape = shape_of(raw)
    if not shape:
        raise op_error("sample", "expected logits (..., classes), got a 0-d array")
    if temperature < 0:
        raise op_error("sample", f"temperature must be >= 0, got {temperature!r}")
    if top_k is not None and top_k < 1:
        raise op_error("sample", f"top_k must be >= 1 (or None for all classes), got {top_k!r}")
    xp = backend.xp
    if temperature == 0:
        return raw.argmax(axis=-1)
    scores = raw.reshape(-1, shape[-1]).astype(xp.float64) / temperature
    if top_k is not None and top_k < shape[-1]:
        kth = xp.partition(scores, -top_k, axis=-1)[:, -top_k][:, None]
        scores = xp.where(scores < kth, -xp.inf, scores)
    p = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    cdf = xp.cumsum(p, axis=-1)
    rng = backend.rng if seed is None else xp.random.default_rng(seed)
    u = rng.random((cdf.shape[0], 1)) * cdf[:, -1:]
    picks = (cdf <= u).sum(axis=-1)
    return xp.minimum(picks, shape[-1] - 1).reshape(shape[:-1])
