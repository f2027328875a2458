"""Declaring differentiable operations: ``primitive``, ``defvjp``, ``zerograd``.

Example:
    >>> import plugrad_autograd as ag
    >>> @ag.primitive
    ... def cube(x):
    ...     return x * x * x
    >>> ag.defvjp(cube, lambda dy, y, x: dy * 3 * x * x)
    >>> x = ag.Param([2.0])
    >>> ag.grad(ag.diff(lambda: ag.sum(cube(x))), x)
    array([12.], dtype=float32)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from plugrad_backends import BackendError, mixed_backends_error, of

from . import _tape
from ._tape import Box, record

Vjp = Callable[..., Any]

#: Every primitive by name, for ``pg.ops`` and for ``np.<ufunc>`` on boxes.
REGISTRY: dict[str, Any] = {}


def _unbox_all(args: tuple) -> list:
    return [_tape._raw(a) for a in args]


def _describe(args: tuple) -> str:
    parts = []
    for a in args:
        a = _tape._raw(a)
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            parts.append(f"{type(a).__name__}{tuple(a.shape)} {a.dtype}")
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def _op_error(name: str, args: tuple, exc: Exception) -> Exception:
    if getattr(exc, "plugrad_op", None):  # already explained by an inner op
        return exc
    raws = tuple(_tape._raw(a) for a in args)
    try:
        of(*raws)
    except BackendError:
        err: Exception = mixed_backends_error(raws, name)
    else:
        err = type(exc)(f"{name}: cannot apply to ({_describe(args)}): {exc}")
    err.plugrad_op = name  # type: ignore[attr-defined]
    return err


def _reraise(name: str, args: tuple, exc: Exception) -> None:
    """Raise ``exc`` again, explained with the op's name and arguments (once, not per level)."""
    err = _op_error(name, args, exc)
    if err is exc:
        raise exc
    raise err from exc


def primitive(raw: Callable[..., Any]) -> Any:
    """Make ``raw`` (a function of arrays) a differentiable op; add rules with ``defvjp``.

    The forward runs on whatever backend its inputs live on: write it with
    ``xp_of(x)`` (numpy or cupy) or array methods, never with numpy directly.

    Example:
        >>> import plugrad_autograd as ag
        >>> @ag.primitive
        ... def double(x):
        ...     return 2 * x
        >>> ag.defvjp(double, lambda dy, y, x: 2 * dy)
        >>> ag.grad(lambda x: ag.sum(double(x)))(ag.array([1.0, 2.0]))
        array([2., 2.], dtype=float32)
    """
    name = raw.__name__

    active = _tape._active  # the live stack of tapes (the same list object, never rebound)

    @functools.wraps(raw)
    def op(*args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, Box):
                break
        else:
            try:
                return raw(*args, **kwargs)
            except (ValueError, TypeError, BackendError) as exc:
                _reraise(name, args, exc)
        try:
            if active:
                return record(op, raw, args, kwargs)
            return raw(*_unbox_all(args), **kwargs)
        except (ValueError, TypeError, BackendError) as exc:
            _reraise(name, args, exc)

    op.vjps = []  # type: ignore[attr-defined]
    op.raw = raw  # type: ignore[attr-defined]
    op.zerograd = False  # type: ignore[attr-defined]
    REGISTRY[name] = op
    return op


def defvjp(op: Any, *vjps: Vjp | None) -> None:
    """Declare the vector-Jacobian products of ``op``, one per positional argument.

    Each ``vjp(dy, y, *args, **kwargs)`` gets the output gradient, the output and the op's
    arguments, and returns the gradient for its argument (of the argument's shape or of the
    broadcast shape: the tape sums it back). ``None`` marks an argument with no gradient.
    Write rules with plugrad ops so that they are differentiable again.
    """
    if not hasattr(op, "vjps"):
        raise TypeError(f"defvjp: {op!r} is not a primitive; decorate it with @primitive first")
    op.vjps = list(vjps)


def zerograd(raw: Callable[..., Any]) -> Any:
    """Make ``raw`` an op with zero gradient: it unwraps its inputs and records nothing.

    Example:
        >>> import plugrad_autograd as ag
        >>> @ag.zerograd
        ... def positive(x):
        ...     return x > 0
    """
    name = raw.__name__

    @functools.wraps(raw)
    def op(*args: Any, **kwargs: Any) -> Any:
        try:
            return raw(*_unbox_all(args), **kwargs)
        except (ValueError, TypeError, BackendError) as exc:
            _reraise(name, args, exc)

    op.vjps = []  # type: ignore[attr-defined]
    op.raw = raw  # type: ignore[attr-defined]
    op.zerograd = True  # type: ignore[attr-defined]
    REGISTRY[name] = op
    return op


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes along which an argument of ``shape`` was broadcast."""
    from ._ops_reduce import sum as sum_
    from ._ops_shape import reshape

    if not isinstance(g, Box):  # a bias's gradient: a compiled reduction when there is one
        kernel = of(g).kernels.get("bias_grad")
        out = kernel(g, shape) if kernel is not None else NotImplemented
        if out is not NotImplemented:
            return out
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if len(axes) > 1 and axes[0] == 0:
        # numpy reduces the leading axis alone (row adds) several times faster than a
        # set of scattered axes at once: (128, 20, 24, 24) -> (20,) in half the time
        g = sum_(g, axis=0)
        axes = tuple(a - 1 for a in axes[1:])
    if axes:
        g = sum_(g, axis=axes)
    return reshape(g, shape) if g.shape != shape else g
