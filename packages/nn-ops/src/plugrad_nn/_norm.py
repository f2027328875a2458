"""Batch normalization: ``batchnorm``, ``bnmoments``, ``bnparams``.

Statistics are taken over every axis but the channel axis 1: (N, C) uses axis 0,
(N, C, H, W) axes (0, 2, 3), (N, C, D, H, W) axes (0, 2, 3, 4); Knet's (C, N),
(W, H, C, N) and (W, H, D, C, N) read row-major. Running statistics and the affine
parameters broadcast as (1, C), (1, C, 1, 1) or (1, C, 1, 1, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plugrad_autograd as ag
import plugrad_backends as B

from ._common import (
    Saved,
    backend_for,
    int_arg,
    no_second_order,
    op_error,
    real_arg,
    resolve_atype,
    shape_of,
)
from ._init import _is_dtype


@ag.serializable
class BNMoments:
    """Knet's ``BNMoments``: running mean and variance for :func:`batchnorm`.

    ``mean`` and ``var`` are None until the first ``batchnorm`` call sizes them from its
    input as (1, C, 1, 1) (or (1, C), (1, C, 1, 1, 1)), on the input's backend and dtype,
    filled by ``meaninit``/``varinit`` (zeros and ones when None). Each training call
    updates them as ``(1 - momentum) * old + momentum * batch_value``, with the unbiased
    batch variance (as cuDNN and PyTorch). Custom initializers are called once, with the
    shape, and then dropped so that the object can be saved.

    Attributes:
        momentum: weight of the newest batch in the running averages.
        mean: the running mean, or None before the first call.
        var: the running variance, or None before the first call.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> m = nn.BNMoments(momentum=0.5)
        >>> _ = nn.batchnorm(np.array([[1.0], [3.0]]), m, training=True)
        >>> m.mean.tolist(), m.var.tolist()
        ([[1.0]], [[1.5]])
    """

    def __init__(
        self,
        momentum: float = 0.1,
        mean: Any = None,
        var: Any = None,
        meaninit: Callable[[tuple[int, ...]], Any] | None = None,
        varinit: Callable[[tuple[int, ...]], Any] | None = None,
    ) -> None:
        self.momentum = momentum
        self.mean = mean
        self.var = var
        self.meaninit = meaninit
        self.varinit = varinit

    def __repr__(self) -> str:
        shape = None if self.mean is None else tuple(self.mean.shape)
        return f"BNMoments(momentum={self.momentum}, shape={shape})"

    def _stats(self, like: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
        backend = ag.backend_of(like)
        self.mean = _statistic(self.mean, self.meaninit, 0.0, like, shape, backend, "mean")
        self.var = _statistic(self.var, self.varinit, 1.0, like, shape, backend, "var")
        self.meaninit = self.varinit = None
        return self.mean, self.var


def _statistic(
    value: Any, init: Any, fill: float, like: Any, shape: tuple[int, ...], backend: Any, name: str
) -> Any:
    if value is None:
        if init is None:
            return backend.xp.full(shape, fill, dtype=like.dtype)
        value = init(shape)
    value = B.array(ag.value(value), device=backend, dtype=like.dtype)
    if value.size != shape[1]:
        raise op_error(
            "batchnorm",
            f"moments.{name} has shape {tuple(value.shape)} but the input has {shape[1]} "
            f"channels; expected shape {shape}",
        )
    return value.reshape(shape)


def bnmoments(
    momentum: float = 0.1,
    mean: Any = None,
    var: Any = None,
    meaninit: Callable[[tuple[int, ...]], Any] | None = None,
    varinit: Callable[[tuple[int, ...]], Any] | None = None,
) -> BNMoments:
    """Knet's ``bnmoments``: a :class:`BNMoments` holding batchnorm's running statistics.

    ``mean``/``var`` may be given (any array with C elements); otherwise they are created
    at the first :func:`batchnorm` call with ``meaninit(shape)``/``varinit(shape)``, zeros
    and ones by default.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> m = nn.bnmoments()
        >>> _ = nn.batchnorm(np.ones((4, 3), dtype=np.float32), m, training=True)
        >>> m.mean.shape, m.var.shape
        ((1, 3), (1, 3))
    """
    real_arg("bnmoments", "momentum", momentum, "in [0, 1]", lambda m: 0 <= m <= 1)
    return BNMoments(momentum, mean, var, meaninit, varinit)


def bnparams(*args: Any, atype: Any = None) -> ag.Param:
    """Knet's ``bnparams``: one Param ``[γ; β]`` of length ``2*channels``, ones then zeros.

    Called ``bnparams(channels)``, ``bnparams(channels, atype)`` or, Knet's form,
    ``bnparams(etype, channels)`` with the element type first. ``atype`` is a dtype
    and/or a backend name. The default dtype is float32 (plugrad's default float type;
    Knet's ``bnparams(C)`` is Float64).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.bnparams(2).value
        array([1., 1., 0., 0.], dtype=float32)
        >>> nn.bnparams(np.float64, 2).value.dtype
        dtype('float64')
    """
    usage = "call bnparams(channels), bnparams(channels, atype) or bnparams(etype, channels)"
    if len(args) == 2 and _is_dtype(args[0]):
        if atype is not None:
            raise op_error("bnparams", f"the element type was given twice; {usage}", TypeError)
        atype, args = args[0], args[1:]
    elif len(args) == 2:
        if atype is not None:
            raise op_error("bnparams", f"atype was given twice; {usage}", TypeError)
        args, atype = args[:1], args[1]
    if len(args) != 1:
        raise op_error(
            "bnparams", f"expected 1 or 2 arguments, got {len(args)}; {usage}", TypeError
        )
    channels = int_arg("bnparams", "channels", args[0])
    backend, dtype = resolve_atype(atype, "bnparams")
    xp = backend.xp
    return ag.Param(
        xp.concatenate([xp.ones(channels, dtype=dtype), xp.zeros(channels, dtype=dtype)])
    )


# -- training mode: one fused primitive --------------------------------------------------------


def _split(params: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    c = shape[1]
    return params[:c].reshape(shape), params[c:].reshape(shape)


@ag.primitive
def _bn_train(x: Any, params: Any, axes: tuple[int, ...], eps: float, saved: Saved) -> Any:
    xp = ag.xp_of(x)
    mean = x.mean(axis=axes, keepdims=True)
    xhat = x - mean
    var = (xhat * xhat).mean(axis=axes, keepdims=True)
    inv = 1 / xp.sqrt(var + eps)
    xhat *= inv
    saved.mean, saved.var, saved.inv, saved.xhat = mean, var, inv, xhat
    if params is None:
        return xhat
    gamma, beta = _split(params, mean.shape)
    y = xhat * gamma
    y += beta
    return y


def _sums(dy: Any, saved: Saved, axes: tuple[int, ...]) -> tuple[Any, Any]:
    """``sum(dy)`` and ``sum(dy * xhat)`` per channel, shared by both gradients."""
    cached = getattr(saved, "sums", None)
    if cached is not None and cached[0] is dy:
        return cached[1], cached[2]
    dbeta = dy.sum(axis=axes, keepdims=True)
    dgamma = (dy * saved.xhat).sum(axis=axes, keepdims=True)
    saved.sums = (dy, dbeta, dgamma)
    return dbeta, dgamma


@ag.primitive
def _bn_train_dx(dy: Any, params: Any, axes: tuple[int, ...], saved: Saved) -> Any:
    dbeta, dgamma = _sums(dy, saved, axes)
    m = dy.size // dbeta.size
    scale = saved.inv * (-1.0 / m)
    if params is not None:
        scale = scale * _split(params, scale.shape)[0]
    dx = saved.xhat * dgamma
    dx += dbeta
    dx -= dy * m
    dx *= scale
    return dx


@ag.primitive
def _bn_train_dparams(dy: Any, axes: tuple[int, ...], saved: Saved) -> Any:
    dbeta, dgamma = _sums(dy, saved, axes)
    return ag.xp_of(dy).concatenate([dgamma.reshape(-1), dbeta.reshape(-1)])


ag.defvjp(
    _bn_train,
    lambda dy, y, x, params, axes, eps, saved: _bn_train_dx(dy, params, axes, saved),
    lambda dy, y, x, params, axes, eps, saved: _bn_train_dparams(dy, axes, saved),
)
ag.defvjp(_bn_train_dx, no_second_order("batchnorm"), no_second_order("batchnorm"))
ag.defvjp(_bn_train_dparams, no_second_order("batchnorm"))


# -- the op ------------------------------------------------------------------------------------


def batchnorm(
    x: Any,
    moments: BNMoments | None = None,
    params: Any = None,
    training: bool | None = None,
    eps: float = 1e-5,
) -> Any:
    """Knet's ``batchnorm``: normalize ``x`` per channel, then scale and shift.

    ``x`` is (N, C), (N, C, H, W) or (N, C, D, H, W). In training mode (``training=None``
    follows ``plugrad_autograd.training()``, i.e. True inside ``diff``) the batch mean and
    (biased) variance are used and ``moments`` (a :func:`bnmoments`), if given, is updated.
    In test mode the running statistics of ``moments`` are used (then required).
    ``params`` is :func:`bnparams`' vector ``[γ; β]`` (no affine step when None).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.array([[1.0], [3.0]], dtype=np.float32)
        >>> nn.batchnorm(x, training=True).round(3).tolist()
        [[-1.0], [1.0]]
    """
    backend_for("batchnorm", x, params)
    shape = shape_of(x)
    if len(shape) not in (2, 4, 5):
        raise op_error(
            "batchnorm",
            f"expected x of shape (N, C), (N, C, H, W) or (N, C, D, H, W), got shape {shape}",
        )
    channels = shape[1]
    if params is not None and shape_of(params) != (2 * channels,):
        raise op_error(
            "batchnorm",
            f"params must be the vector [gamma; beta] of length 2C = {2 * channels} for x of "
            f"shape {shape}, got shape {shape_of(params)}; create it with bnparams({channels})",
        )
    real_arg("batchnorm", "eps", eps, "a number >= 0", lambda e: e >= 0)
    axes = (0, *range(2, len(shape)))
    stat_shape = (1, channels) + (1,) * (len(shape) - 2)
    training = ag.training() if training is None else bool(training)
    if training:
        saved = Saved()
        y = _bn_train(x, params, axes, eps, saved)
        if moments is not None:
            _update(moments, saved, ag.value(x), stat_shape)
        return y
    if moments is None:
        raise op_error(
            "batchnorm",
            "test mode (outside diff, or training=False) normalizes with running statistics: "
            "pass the bnmoments() object used in training, or training=True",
        )
    mean, var = moments._stats(ag.value(x), stat_shape)
    inv = 1 / backend_for("batchnorm", x).xp.sqrt(var + eps)
    if params is None:
        return (x - mean) * inv
    gamma, beta = _split(params, stat_shape)
    scale = gamma * inv
    return x * scale + (beta - mean * scale)


def _update(moments: BNMoments, saved: Saved, x: Any, shape: tuple[int, ...]) -> None:
    mean, var = moments._stats(x, shape)
    m = x.size // shape[1]
    unbiased = saved.var * (m / (m - 1)) if m > 1 else saved.var
    k = moments.momentum
    moments.mean = (1 - k) * mean + k * saved.mean.astype(mean.dtype, copy=False)
    moments.var = (1 - k) * var + k * unbiased.astype(var.dtype, copy=False)
