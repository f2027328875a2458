"""Reductions and statistics with numpy's ``axis``/``keepdims``, and their gradient rules."""

from __future__ import annotations

from typing import Any

from ._backend import xp_of
from ._primitive import defvjp, primitive, zerograd

Axis = int | tuple[int, ...] | None


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim if ndim else 0 for a in axis)


def _restore(dy: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Give ``dy`` (a reduction's output gradient) back the reduced axes, as size 1."""
    from ._ops_shape import reshape

    if keepdims or x.ndim == 0:
        return dy
    shape = list(x.shape)
    for a in _axes(axis, x.ndim):
        shape[a] = 1
    return reshape(dy, tuple(shape))


def _count(x: Any, axis: Axis) -> int:
    n = 1
    for a in _axes(axis, x.ndim):
        n *= x.shape[a]
    return n


@primitive
def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Sum of elements over ``axis`` (all by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.sum(np.ones((2, 3)), axis=1)
        array([3., 3.])
    """
    return x.sum(axis=axis, keepdims=keepdims)


@primitive
def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape`` (a read-only view on the CPU)."""
    return xp_of(x).broadcast_to(x, shape)


def _broadcast_back(dy: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    return broadcast_to(_restore(dy, x, axis, keepdims), x.shape)


defvjp(sum, lambda dy, y, x, axis=None, keepdims=False: _broadcast_back(dy, x, axis, keepdims))


def _unbroadcast_vjp(dy: Any, y: Any, x: Any, shape: tuple[int, ...]) -> Any:
    from ._primitive import unbroadcast

    return unbroadcast(dy, x.shape)


defvjp(broadcast_to, _unbroadcast_vjp)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Mean over ``axis`` (all by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.mean(np.array([1.0, 2.0, 3.0])))
        2.0
    """
    return sum(x, axis=axis, keepdims=keepdims) / _count(x, axis)


def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis`` with numpy's ``ddof=0`` default (Julia corrects by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.var(np.array([1.0, 2.0, 3.0])))
        0.6666666666666666
    """
    d = x - mean(x, axis=axis, keepdims=True)
    return sum(d * d, axis=axis, keepdims=keepdims) / (_count(x, axis) - ddof)


def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis`` (``ddof=0`` by default, as numpy)."""
    from ._ops_unary import sqrt

    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


@primitive
def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Product of elements over ``axis``."""
    return x.prod(axis=axis, keepdims=keepdims)


def _prod_vjp(dy: Any, y: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    from ._ops_arith import where

    # The product of the other elements, right where x has zeros too.
    zero = x == 0
    nonzero_x = where(zero, 1, x)
    others = prod(nonzero_x, axis=axis, keepdims=True)
    zeros = zero.sum(axis=_axes(axis, x.ndim), keepdims=True)
    share = where(zeros == 0, others / nonzero_x, where(zero & (zeros == 1), others, 0))
    return _restore(dy, x, axis, keepdims) * share


defvjp(prod, _prod_vjp)


@primitive
def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Largest element over ``axis``; ties share the gradient."""
    return x.max(axis=axis, keepdims=keepdims)


@primitive
def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Smallest element over ``axis``; ties share the gradient."""
    return x.min(axis=axis, keepdims=keepdims)


def _extremum_vjp(dy: Any, y: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    hit = x == _restore(y, x, axis, keepdims)
    share = hit / hit.sum(axis=_axes(axis, x.ndim), keepdims=True)
    return _restore(dy, x, axis, keepdims) * share


defvjp(max, _extremum_vjp)
defvjp(min, _extremum_vjp)


@primitive
def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, computed stably (the whole array by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> round(float(ag.logsumexp(np.array([1000.0, 1000.0]))), 4)
        1000.6931
    """
    xp = xp_of(x)
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    out = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
    if not keepdims:
        out = out.reshape([n for i, n in enumerate(x.shape) if i not in _axes(axis, x.ndim)])
    return out


def _logsumexp_vjp(dy: Any, y: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    from ._ops_unary import exp

    return _restore(dy, x, axis, keepdims) * exp(x - _restore(y, x, axis, keepdims))


defvjp(logsumexp, _logsumexp_vjp)


def norm(x: Any, ord: float = 2, axis: Axis = None, keepdims: bool = False) -> Any:
    """The ``ord``-norm of the elements over ``axis`` (Frobenius for matrices by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.norm(np.array([3.0, 4.0])))
        5.0
    """
    from ._ops_unary import abs, sqrt

    if ord == 2:
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if ord == float("inf"):
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -float("inf"):
        return min(abs(x), axis=axis, keepdims=keepdims)
    return sum(abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


@zerograd
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the largest element (flat index when ``axis`` is None); no gradient."""
    return x.argmax(axis=axis, keepdims=keepdims)


@zerograd
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the smallest element (flat index when ``axis`` is None); no gradient."""
    return x.argmin(axis=axis, keepdims=keepdims)
