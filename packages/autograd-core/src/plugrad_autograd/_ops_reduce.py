"""Reductions and statistics with numpy's ``axis``/``keepdims``, and their gradient rules."""

from __future__ import annotations

from typing import Any

from ._backend import run_kernel, xp_of
from ._ops_arith import where
from ._ops_shape import reshape
from ._ops_unary import abs, exp
from ._primitive import defvjp, primitive, zerograd
from ._tape import Box

Axis = int | tuple[int, ...] | None


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim if ndim else 0 for a in axis)


def _restore(dy: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Give ``dy`` (a reduction's output gradient) back the reduced axes, as size 1."""
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


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes along which an argument of ``shape`` was broadcast.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.unbroadcast(np.ones((4, 2, 3)), (2, 1))
        array([[12.],
               [12.]])
    """
    if not isinstance(g, Box):  # a bias's gradient: a compiled reduction when there is one
        return run_kernel("bias_grad", _unbroadcast, g, shape)
    return _unbroadcast(g, shape)


def _unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if len(axes) > 1 and axes[0] == 0:
        # numpy reduces the leading axis alone (row adds) several times faster than a
        # set of scattered axes at once: (128, 20, 24, 24) -> (20,) in half the time
        g = sum(g, axis=0)
        axes = tuple(a - 1 for a in axes[1:])
    if axes:
        g = sum(g, axis=axes)
    return reshape(g, shape) if g.shape != shape else g


def _unbroadcast_vjp(dy: Any, y: Any, x: Any, shape: tuple[int, ...]) -> Any:
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
    """Standard deviation over ``axis`` (``ddof=0`` by default, as numpy).

    Where it is 0 (one element, or equal ones) its gradient is 0, as PyTorch's, not NaN.
    """
    return _root(var(x, axis=axis, ddof=ddof, keepdims=keepdims), 2)


@primitive
def _root(x: Any, n: float) -> Any:
    # x ** (1/n) for x >= 0, with gradient 0 at 0: the subgradient std and norms take there.
    return xp_of(x).sqrt(x) if n == 2 else x ** (1.0 / n)


def _root_vjp(dy: Any, y: Any, x: Any, n: float) -> Any:
    positive = x > 0
    return where(positive, dy * y / (n * where(positive, x, 1)), 0)


defvjp(_root, _root_vjp, None)


@primitive
def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Product of elements over ``axis``."""
    return x.prod(axis=axis, keepdims=keepdims)


def _prod_vjp(dy: Any, y: Any, x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
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
    # Where every element is -inf the result is -inf whatever they are: gradient 0, not NaN.
    y = _restore(y, x, axis, keepdims)
    finite = y > -float("inf")
    return _restore(dy, x, axis, keepdims) * where(finite, exp(x - where(finite, y, 0)), 0)


defvjp(logsumexp, _logsumexp_vjp)


def norm(x: Any, ord: float = 2, axis: Axis = None, keepdims: bool = False) -> Any:
    """The ``ord``-norm of the elements over ``axis`` (Frobenius for matrices by default).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.norm(np.array([3.0, 4.0])))
        5.0

    At 0 the gradient is 0 (a subgradient, as PyTorch's), not NaN.
    """
    if ord == 2:
        return _root(sum(x * x, axis=axis, keepdims=keepdims), 2)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if ord == float("inf"):
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -float("inf"):
        return min(abs(x), axis=axis, keepdims=keepdims)
    return _root(sum(abs(x) ** ord, axis=axis, keepdims=keepdims), ord)


@zerograd
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the largest element (flat index when ``axis`` is None); no gradient."""
    return x.argmax(axis=axis, keepdims=keepdims)


@zerograd
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the smallest element (flat index when ``axis`` is None); no gradient."""
    return x.argmin(axis=axis, keepdims=keepdims)
