"""Arithmetic, comparisons and selection: the operators and their gradient rules.

Forwards use Python operators, which every array backend implements, so they need no
namespace lookup. Each rule sits beside its op: ``defvjp(op, rule_for_arg0, rule_for_arg1)``.
"""

from __future__ import annotations

from typing import Any

from ._backend import xp_of
from ._ops_shape import expand_dims, swapaxes
from ._ops_unary import log
from ._primitive import defvjp, primitive, zerograd
from ._tape import _raw


@primitive
def add(x: Any, y: Any) -> Any:
    """``x + y`` with broadcasting."""
    return x + y


@primitive
def subtract(x: Any, y: Any) -> Any:
    """``x - y`` with broadcasting."""
    return x - y


@primitive
def multiply(x: Any, y: Any) -> Any:
    """``x * y`` with broadcasting."""
    return x * y


@primitive
def divide(x: Any, y: Any) -> Any:
    """``x / y`` with broadcasting."""
    return x / y


@primitive
def power(x: Any, y: Any) -> Any:
    """``x ** y`` with broadcasting."""
    return x**y


@primitive
def negative(x: Any) -> Any:
    """``-x``."""
    return -x


@primitive
def matmul(x: Any, y: Any) -> Any:
    """``x @ y`` (numpy's matmul: 1-D vectors, stacks of matrices broadcast).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.matmul(np.ones((2, 3)), np.ones(3))
        array([3., 3.])
    """
    return x @ y


def _log_positive(x: Any) -> Any:
    return log(where(x > 0, x, 1))


def _power_vjp_base(dy: Any, y: Any, a: Any, b: Any) -> Any:
    # x ** 0 is 1 everywhere: gradient 0, also at x = 0 where b * x ** (b - 1) is 0 * inf.
    if isinstance(b, (int, float)):
        return dy * 0 if b == 0 else dy * b * a ** (b - 1)
    flat = (b == 0) & (a == 0)
    return where(flat, 0, dy * b * where(flat, 1, a) ** (b - 1))


defvjp(add, lambda dy, y, a, b: dy, lambda dy, y, a, b: dy)
defvjp(subtract, lambda dy, y, a, b: dy, lambda dy, y, a, b: -dy)
defvjp(multiply, lambda dy, y, a, b: dy * b, lambda dy, y, a, b: dy * a)
defvjp(divide, lambda dy, y, a, b: dy / b, lambda dy, y, a, b: -dy * y / b)
defvjp(power, _power_vjp_base, lambda dy, y, a, b: dy * y * _log_positive(a))
defvjp(negative, lambda dy, y, x: -dy)


def _transposed(a: Any) -> bool:
    """True for a matrix laid out column-major (a transposed view): its gradient is
    computed transposed too, so that the gradient of ``W`` in ``x @ W.T`` is row-major."""
    flags = getattr(_raw(a), "flags", None)
    return a.ndim == 2 and flags is not None and flags.f_contiguous and not flags.c_contiguous


def _matmul_vjp_x(dy: Any, y: Any, x: Any, w: Any) -> Any:
    if w.ndim == 1:
        return dy * w if x.ndim == 1 else expand_dims(dy, -1) * w
    if x.ndim == 1:
        return matmul(w, expand_dims(dy, -1))[..., 0]
    if _transposed(x) and dy.ndim == 2:
        return swapaxes(matmul(w, swapaxes(dy, -1, -2)), -1, -2)
    return matmul(dy, swapaxes(w, -1, -2))


def _matmul_vjp_w(dy: Any, y: Any, x: Any, w: Any) -> Any:
    if x.ndim == 1:
        return dy * x if w.ndim == 1 else expand_dims(x, -1) * expand_dims(dy, -2)
    if w.ndim == 1:
        return matmul(swapaxes(x, -1, -2), expand_dims(dy, -1))[..., 0]
    if _transposed(w) and dy.ndim == 2:
        return swapaxes(matmul(swapaxes(dy, -1, -2), x), -1, -2)
    return matmul(swapaxes(x, -1, -2), dy)


defvjp(matmul, _matmul_vjp_x, _matmul_vjp_w)


def bmm(x: Any, y: Any, transA: bool = False, transB: bool = False) -> Any:
    """Knet's batched matrix product: ``x (..., m, k) @ y (..., k, n)`` per batch entry.

    Knet's batch dimensions trail (column-major); ours lead, as numpy's matmul does.
    ``transA``/``transB`` (Knet's names) transpose each matrix of ``x``/``y`` first.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.bmm(np.ones((4, 2, 3)), np.ones((4, 3, 5))).shape
        (4, 2, 5)
    """
    xs, ys = getattr(x, "shape", ()), getattr(y, "shape", ())
    if len(xs) < 3 or len(ys) < 3:
        raise ValueError(
            f"bmm: expected stacks of matrices (at least 3-D), got shapes {xs} and {ys}; "
            "use matmul for plain matrices"
        )
    if transA or transB:
        x = swapaxes(x, -1, -2) if transA else x
        y = swapaxes(y, -1, -2) if transB else y
    return matmul(x, y)


# -- selection ---------------------------------------------------------------------------


@primitive
def where(condition: Any, x: Any, y: Any) -> Any:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (numpy's ``where``)."""
    return xp_of(condition, x, y).where(condition, x, y)


defvjp(
    where,
    None,
    lambda dy, out, condition, x, y: where(condition, dy, 0),
    lambda dy, out, condition, x, y: where(condition, 0, dy),
)


@primitive
def maximum(x: Any, y: Any) -> Any:
    """Elementwise maximum; on ties the gradient is split evenly."""
    return xp_of(x, y).maximum(x, y)


@primitive
def minimum(x: Any, y: Any) -> Any:
    """Elementwise minimum; on ties the gradient is split evenly."""
    return xp_of(x, y).minimum(x, y)


def _share(dy: Any, mine: Any, other: Any) -> Any:
    return dy * ((mine > other) + 0.5 * (mine == other))


defvjp(
    maximum,
    lambda dy, y, a, b: _share(dy, a, b),
    lambda dy, y, a, b: _share(dy, b, a),
)
defvjp(
    minimum,
    lambda dy, y, a, b: _share(dy, b, a),
    lambda dy, y, a, b: _share(dy, a, b),
)


@primitive
def clip(x: Any, lo: Any = None, hi: Any = None) -> Any:
    """Limit ``x`` to ``[lo, hi]`` (either may be None); gradient flows inside the range.

    Array bounds get the gradient where they bind (a tie goes to ``x``).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.clip(np.array([-2.0, 0.5, 3.0]), -1, 1)
        array([-1. ,  0.5,  1. ])
    """
    return xp_of(x).clip(x, lo, hi)


def _clip_vjp(dy: Any, y: Any, x: Any, lo: Any = None, hi: Any = None) -> Any:
    inside = True
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = inside & (x <= hi) if lo is not None else x <= hi
    return dy * inside


def _clip_vjp_lo(dy: Any, y: Any, x: Any, lo: Any = None, hi: Any = None) -> Any:
    below = x < lo  # ties go to x
    return dy * (below if hi is None else below & (lo <= hi))


def _clip_vjp_hi(dy: Any, y: Any, x: Any, lo: Any = None, hi: Any = None) -> Any:
    above = x > hi
    return dy * (above if lo is None else above | (lo > hi))  # numpy: hi wins over lo


defvjp(clip, _clip_vjp, _clip_vjp_lo, _clip_vjp_hi)


# -- comparisons: no gradient ---------------------------------------------------------------


@zerograd
def equal(x: Any, y: Any) -> Any:
    """``x == y`` elementwise."""
    return x == y


@zerograd
def not_equal(x: Any, y: Any) -> Any:
    """``x != y`` elementwise."""
    return x != y


@zerograd
def less(x: Any, y: Any) -> Any:
    """``x < y`` elementwise."""
    return x < y


@zerograd
def less_equal(x: Any, y: Any) -> Any:
    """``x <= y`` elementwise."""
    return x <= y


@zerograd
def greater(x: Any, y: Any) -> Any:
    """``x > y`` elementwise."""
    return x > y


@zerograd
def greater_equal(x: Any, y: Any) -> Any:
    """``x >= y`` elementwise."""
    return x >= y
