"""Dropout: zero random elements while training, scaling the rest to keep the mean."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import backend_for, real_arg


def dropout_mask(x: Any, p: float, seed: int | None = None, rng: Any = None) -> Any:
    """The scaled keep-mask dropout multiplies by: ``1/(1-p)`` with probability ``1-p``, else 0.

    Drawn from ``rng`` when given, else the backend's generator (``plugrad_backends.seed``
    makes it reproducible), or from a fresh generator seeded with ``seed``.
    """
    backend = ag.backend_of(x)
    dtype = x.dtype if x.dtype.kind == "f" else backend.xp.result_type(float)
    if rng is None:
        rng = backend.rng if seed is None else backend.xp.random.default_rng(seed)
    mask = rng.random(x.shape, dtype=dtype) >= p
    return mask.astype(dtype) * dtype.type(1 / (1 - p)) if p < 1 else mask.astype(dtype)


def dropout(x: Any, p: float, drop: bool | None = None, seed: int | None = None) -> Any:
    """Knet's ``dropout``: zero each element with probability ``p``, scale the rest by 1/(1-p).

    Active only while ``diff`` records (``plugrad_autograd.training()``) unless ``drop``
    says otherwise; inactive, it returns ``x`` itself. ``seed`` makes the mask reproducible;
    otherwise it comes from the backend's generator. The gradient is the same mask.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.ones(6, dtype=np.float32)
        >>> nn.dropout(x, 0.5) is x
        True
        >>> nn.dropout(x, 0.5, drop=True, seed=1).tolist()
        [0.0, 2.0, 2.0, 2.0, 0.0, 0.0]
    """
    real_arg("dropout", "p", p, "a probability in [0, 1]", lambda q: 0 <= q <= 1)
    backend_for("dropout", x)
    active = ag.training() if drop is None else bool(drop)
    if not active or p == 0:
        return x
    return x * dropout_mask(ag.value(x), p, seed)
