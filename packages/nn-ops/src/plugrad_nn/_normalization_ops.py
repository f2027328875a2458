"""Per-instance normalization: ``layer_norm`` and ``rms_norm``, each one fused primitive.

The forward saves the normalized input and the inverse scale; the backward uses them when
it runs on plain arrays. When the backward is itself recorded (a second derivative), the
rule recomputes those statistics from ``x`` with differentiable ops instead, so that the
derivative of the rule is right.
"""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import Saved, backend_for, is_box, op_error, shape_of


def _axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    if not items or not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
        raise op_error(op, f"axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in items:
        if not -ndim <= a < ndim:
            raise op_error(op, f"axis {a} is out of range for an input with {ndim} axes")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise op_error(op, f"axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _affine_shape(
    op: str, name: str, p: Any, shape: tuple[int, ...], axes: tuple[int, ...]
) -> tuple[int, ...]:
    """The broadcast shape of ``weight``/``bias``: the normalized axes' sizes, 1 elsewhere."""
    want = tuple(shape[a] for a in axes)
    got = shape_of(p)
    if got != want:
        raise op_error(
            op,
            f"{name} has shape {got} but x of shape {shape} is normalized over axes {axes}: "
            f"expected {name} of shape {want}",
        )
    return tuple(n if i in axes else 1 for i, n in enumerate(shape))


def _b(p: Any, bshape: tuple[int, ...]) -> Any:
    return None if p is None else p.reshape(bshape)


def _sum_to(g: Any, axes: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over every axis but ``axes`` and shape it as the affine parameter."""
    other = tuple(i for i in range(g.ndim) if i not in axes)
    return ag.reshape(ag.sum(g, axis=other), shape) if other else ag.reshape(g, shape)


# -- layer_norm ------------------------------------------------------------------------------


def _ln_stats(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """(xhat, inv) with differentiable ops: the rule's statistics at second order."""
    mean = ag.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    inv = 1 / ag.sqrt(ag.mean(centered * centered, axis=axes, keepdims=True) + eps)
    return centered * inv, inv


@ag.primitive
def _layer_norm(
    x: Any, weight: Any, bias: Any, axes: tuple[int, ...], bshape: Any, eps: float, saved: Saved
) -> Any:
    xp = ag.xp_of(x)
    xhat = x - x.mean(axis=axes, keepdims=True)
    var = (xhat * xhat).mean(axis=axes, keepdims=True)
    inv = 1 / xp.sqrt(var + eps)
    xhat *= inv
    saved.xhat, saved.inv = xhat, inv
    y = xhat if weight is None else xhat * _b(weight, bshape)
    if bias is not None:
        y = y + _b(bias, bshape)
    return y


def _ln_saved(x: Any, axes: tuple[int, ...], eps: float, saved: Saved) -> tuple[Any, Any]:
    return _ln_stats(x, axes, eps) if is_box(x) else (saved.xhat, saved.inv)


def _ln_dx(dy, y, x, weight, bias, axes, bshape, eps, saved):
    xhat, inv = _ln_saved(x, axes, eps, saved)
    g = dy if weight is None else dy * ag.reshape(weight, bshape)
    mean_g = ag.mean(g, axis=axes, keepdims=True)
    mean_gx = ag.mean(g * xhat, axis=axes, keepdims=True)
    return inv * (g - mean_g - xhat * mean_gx)


def _ln_dweight(dy, y, x, weight, bias, axes, bshape, eps, saved):
    xhat, _ = _ln_saved(x, axes, eps, saved)
    return _sum_to(dy * xhat, axes, shape_of(weight))


def _ln_dbias(dy, y, x, weight, bias, axes, bshape, eps, saved):
    return _sum_to(dy, axes, shape_of(bias))


ag.defvjp(_layer_norm, _ln_dx, _ln_dweight, _ln_dbias)


def layer_norm(
    x: Any,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
    axis: int | tuple[int, ...] = -1,
) -> Any:
    """Normalize ``x`` to zero mean and unit variance over ``axis``, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the (biased) statistics taken
    over ``axis`` (an int or a tuple); ``weight`` and ``bias`` have the shape of those axes
    (PyTorch's ``normalized_shape``). Ba, Kiros and Hinton (2016), arXiv:1607.06450.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.layer_norm(np.array([[1.0, 3.0]])).round(3).tolist()
        [[-1.0, 1.0]]
    """
    backend_for("layer_norm", x, weight, bias)
    shape = shape_of(x)
    axes = _axes("layer_norm", axis, len(shape))
    bshape = tuple(n if i in axes else 1 for i, n in enumerate(shape))
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None:
            _affine_shape("layer_norm", name, p, shape, axes)
    return _layer_norm(x, weight, bias, axes, bshape, float(eps), Saved())


# -- rms_norm --------------------------------------------------------------------------------


@ag.primitive
def _rms_norm(
    x: Any, weight: Any, axes: tuple[int, ...], bshape: Any, eps: float, saved: Saved
) -> Any:
    xp = ag.xp_of(x)
    inv = 1 / xp.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    xhat = x * inv
    saved.xhat, saved.inv = xhat, inv
    return xhat if weight is None else xhat * _b(weight, bshape)


def _rms_saved(x: Any, axes: tuple[int, ...], eps: float, saved: Saved) -> tuple[Any, Any]:
    if not is_box(x):
        return saved.xhat, saved.inv
    inv = 1 / ag.sqrt(ag.mean(x * x, axis=axes, keepdims=True) + eps)
    return x * inv, inv


def _rms_dx(dy, y, x, weight, axes, bshape, eps, saved):
    xhat, inv = _rms_saved(x, axes, eps, saved)
    g = dy if weight is None else dy * ag.reshape(weight, bshape)
    return inv * (g - xhat * ag.mean(g * xhat, axis=axes, keepdims=True))


def _rms_dweight(dy, y, x, weight, axes, bshape, eps, saved):
    xhat, _ = _rms_saved(x, axes, eps, saved)
    return _sum_to(dy * xhat, axes, shape_of(weight))


ag.defvjp(_rms_norm, _rms_dx, _rms_dweight)


def rms_norm(
    x: Any, weight: Any = None, eps: float = 1e-6, axis: int | tuple[int, ...] = -1
) -> Any:
    """Scale ``x`` by the inverse root mean square over ``axis``, then by ``weight``.

    ``y = x / sqrt(mean(x**2) + eps) * weight``; ``weight`` has the shape of the normalized
    axes. Zhang and Sennrich (2019), arXiv:1910.07467.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.rms_norm(np.array([[3.0, 4.0]]), eps=0.0).round(4).tolist()
        [[0.8485, 1.1314]]
    """
    backend_for("rms_norm", x, weight)
    shape = shape_of(x)
    axes = _axes("rms_norm", axis, len(shape))
    bshape = tuple(n if i in axes else 1 for i, n in enumerate(shape))
    if weight is not None:
        _affine_shape("rms_norm", "weight", weight, shape, axes)
    return _rms_norm(x, weight, axes, bshape, float(eps), Saved())
