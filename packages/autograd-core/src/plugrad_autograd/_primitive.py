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
import inspect
from collections.abc import Callable
from typing import Any

from plugrad_backends import BackendError, mixed_backends_error, of

from ._tape import TAPES, Box, Value, _raw, record

Vjp = Callable[..., Any]

#: Every primitive by name, for ``pg.ops`` and for ``np.<ufunc>`` on boxes.
REGISTRY: dict[str, Any] = {}


class OpError(ValueError, TypeError):
    """An op could not apply to its arguments; the backend's own exception is its cause.

    It is both a ValueError and a TypeError (as numpy's ``AxisError`` is both a ValueError
    and an IndexError), so code catching what the backend raised still catches it.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> try:
        ...     ag.add(np.ones(2), np.ones(3))
        ... except ag.OpError as e:
        ...     print(str(e).split(":")[0])
        add
    """


def _unbox_all(args: tuple) -> list:
    return [_raw(a) for a in args]


def _describe(args: tuple, kwargs: dict | None = None) -> str:
    parts = []
    named = [(None, a) for a in args] + list((kwargs or {}).items())
    for key, a in named:
        a = _raw(a)
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            text = f"{type(a).__name__}{tuple(a.shape)} {a.dtype}"
        else:
            text = type(a).__name__
        parts.append(text if key is None else f"{key}={text}")
    return ", ".join(parts)


def _op_error(name: str, args: tuple, kwargs: dict, exc: Exception) -> Exception:
    if isinstance(exc, OpError) or getattr(exc, "plugrad_op", None):
        return exc  # already explained by an inner op
    raws = tuple(_raw(a) for a in args)
    try:
        of(*raws)
    except BackendError:
        err: Exception = mixed_backends_error(raws, name)
        err.plugrad_op = name  # type: ignore[attr-defined]
        return err
    return OpError(f"{name}: cannot apply to ({_describe(args, kwargs)}): {exc}")


def _reraise(name: str, args: tuple, kwargs: dict, exc: Exception) -> None:
    """Raise ``exc`` again, explained with the op's name and arguments (once, not per level)."""
    err = _op_error(name, args, kwargs, exc)
    if err is exc:
        raise exc
    raise err from exc


def _positional_parameters(raw: Callable[..., Any]) -> tuple[tuple[str, Any], ...]:
    """The (name, default) of each parameter of ``raw`` that may be given by position."""
    try:
        parameters = inspect.signature(raw).parameters.values()
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    found = []
    for p in parameters:
        if p.kind not in kinds:
            break
        found.append((p.name, p.default))
    return tuple(found)


def _to_positions(op: Any, args: tuple, kwargs: dict, stack: tuple) -> tuple[tuple, dict]:
    """Give every keyword argument that names a positional parameter by position instead.

    The tape and the rules (``defvjp``: one per positional argument) then see each array
    however it was passed. A box left in a keyword-only parameter cannot get a gradient:
    inside ``diff`` that is an error; outside, the box is opened.
    """
    key = (len(args), *kwargs)
    plan = op.plans.get(key)
    if plan is None:
        plan = op.plans[key] = _plan(op.positional, len(args), kwargs)
    if plan is _LEAVE:
        moved, rest = args, dict(kwargs)
    else:
        fills, kept = plan
        moved = (*args, *[kwargs[n] if n is not None else d for n, d in fills])
        rest = {k: kwargs[k] for k in kept}
    for k, v in rest.items():
        if isinstance(v, Box):
            if stack and (not isinstance(v, Value) or v.tape.active):  # a Param or live
                raise OpError(
                    f"{op.__name__}: cannot differentiate with respect to the keyword-only "
                    f"argument {k!r} (rules are declared per positional argument); make it a "
                    f"positional parameter of the primitive, or pass it pg.value(...) to "
                    f"treat it as a constant"
                )
            rest[k] = _raw(v)
    return moved, rest


_LEAVE = object()  # a plan that moves nothing: a required argument is missing


def _plan(positional: tuple, n_args: int, kwargs: dict) -> Any:
    """How to move ``kwargs`` after ``n_args`` positional ones: ``(fills, kept)``, where
    each fill is ``(name, None)`` (take that keyword) or ``(None, default)``."""
    last = -1  # the last positional parameter given by keyword
    for j, (name, _) in enumerate(positional):
        if name in kwargs:
            last = j
    fills = []
    for name, default in positional[n_args : last + 1]:
        if name in kwargs:
            fills.append((name, None))
        elif default is inspect.Parameter.empty:
            return _LEAVE  # the forward will say which argument is missing
        else:
            fills.append((None, default))
    taken = {name for name, _ in fills}
    return tuple(fills), tuple(k for k in kwargs if k not in taken)


def _has_box(values: Any) -> bool:
    return any(isinstance(v, Box) for v in values)


def primitive(raw: Callable[..., Any]) -> Any:
    """Make ``raw`` (a function of arrays) a differentiable op; add rules with ``defvjp``.

    The forward runs on whatever backend its inputs live on: write it with
    ``xp_of(x)`` (numpy or cupy) or array methods, never with numpy directly. Arrays may be
    passed by position or by keyword: both are differentiated.

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
    tapes = TAPES  # locals: read on every call
    box_type = Box

    @functools.wraps(raw)
    def op(*args: Any, **kwargs: Any) -> Any:
        stack = tapes.get()
        if stack:  # recording: the tape opens the boxes (there may be none)
            try:
                if kwargs:
                    args, kwargs = _to_positions(op, args, kwargs, stack)
                return record(op, raw, args, kwargs, stack)
            except (ValueError, TypeError, BackendError) as exc:
                _reraise(name, args, kwargs, exc)
        for a in args:
            if isinstance(a, box_type):
                break
        else:
            if not kwargs or not _has_box(kwargs.values()):
                try:
                    return raw(*args, **kwargs)
                except (ValueError, TypeError, BackendError) as exc:
                    _reraise(name, args, kwargs, exc)
        try:  # Params outside diff act like their values
            if kwargs:
                args, kwargs = _to_positions(op, args, kwargs, stack)
            return raw(*_unbox_all(args), **kwargs)
        except (ValueError, TypeError, BackendError) as exc:
            _reraise(name, args, kwargs, exc)

    op.vjps = []  # type: ignore[attr-defined]
    op.vjp_argnum = None  # type: ignore[attr-defined]
    op.raw = raw  # type: ignore[attr-defined]
    op.positional = _positional_parameters(raw)  # type: ignore[attr-defined]
    op.plans = {}  # type: ignore[attr-defined]  # _to_positions's, by (len(args), *keywords)
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
    _check_primitive("defvjp", op)
    op.vjps = list(vjps)
    op.vjp_argnum = None


def defvjp_argnum(op: Any, rule: Callable[..., Any]) -> None:
    """Declare one rule for every positional argument: ``rule(argnum, dy, y, *args, **kw)``.

    For ops taking any number of arrays (``concat``, ``stack``, an RNN's weights), as HIPS
    autograd's ``defvjp_argnum``; ``rule`` returns the gradient for argument ``argnum``.

    Example:
        >>> import plugrad_autograd as ag
        >>> @ag.primitive
        ... def total(*xs):
        ...     return sum(xs)
        >>> ag.defvjp_argnum(total, lambda argnum, dy, y, *xs: dy)
        >>> ag.grad(lambda a: ag.sum(total(a, a, 1.0)))(ag.array([1.0]))
        array([2.], dtype=float32)
    """
    _check_primitive("defvjp_argnum", op)
    op.vjps = []
    op.vjp_argnum = rule


def _check_primitive(what: str, op: Any) -> None:
    if not hasattr(op, "vjps"):
        raise TypeError(f"{what}: {op!r} is not a primitive; decorate it with @primitive first")


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
            if kwargs:
                kwargs = {k: _raw(v) for k, v in kwargs.items()}
            return raw(*_unbox_all(args), **kwargs)
        except (ValueError, TypeError, BackendError) as exc:
            _reraise(name, args, kwargs, exc)

    op.vjps = []  # type: ignore[attr-defined]
    op.vjp_argnum = None  # type: ignore[attr-defined]
    op.raw = raw  # type: ignore[attr-defined]
    op.positional = _positional_parameters(raw)  # type: ignore[attr-defined]
    op.zerograd = True  # type: ignore[attr-defined]
    REGISTRY[name] = op
    return op
