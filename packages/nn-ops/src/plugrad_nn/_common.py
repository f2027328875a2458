"""Helpers shared by the op families: argument checks, errors, state saved for backward."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from math import prod  # noqa: F401  (shared by the op modules)
from numbers import Integral, Real
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_backends import Backend, BackendError, mixed_backends_error

_BOXES = (ag.Param, ag.Value)


class Saved:
    """What a forward pass leaves for its backward pass (PyTorch's ``ctx``).

    Each call of an op passes a fresh ``Saved`` to its primitive; the raw forward fills it
    and the vjps read it, so the backward pass reuses what the forward computed (im2col
    columns, argmax positions, normalized activations...) instead of recomputing it.
    """

    def __repr__(self) -> str:
        return f"Saved({', '.join(sorted(vars(self)))})"


def op_error(op: str, message: str, cls: type[Exception] = ValueError) -> Exception:
    """An exception naming ``op`` that primitives pass through without rewording."""
    err = cls(f"{op}: {message}")
    err.plugrad_op = op  # type: ignore[attr-defined]
    return err


# PyTorch's keyword names and numpy's, which plugrad takes.
_PYTORCH_NAMES = {"dim": "axis", "keepdim": "keepdims"}


def refuse_keywords(op: str, given: dict[str, Any]) -> None:
    """Raise a TypeError for keywords ``op`` does not take (none given: nothing to do).

    PyTorch's names (``dim``, ``keepdim``) get the numpy name to use instead.
    """
    for name in given:
        if name in _PYTORCH_NAMES:
            raise op_error(
                op,
                f"use {_PYTORCH_NAMES[name]}= (plugrad takes numpy's keyword names), not "
                f"PyTorch's {name}=",
                TypeError,
            )
    if given:
        raise op_error(op, f"unexpected keyword argument {next(iter(given))!r}", TypeError)


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array, Param or recorded value as a tuple of ints."""
    return tuple(int(n) for n in getattr(ag.value(x), "shape", ()))


def backend_for(op: str, *arrays: Any) -> Backend:
    """The backend of ``arrays``; a mix of backends is an error naming ``op``."""
    raws = tuple(ag.value(a) for a in arrays if a is not None)
    try:
        return ag.backend_of(*raws)
    except BackendError:
        raise mixed_backends_error(raws, op) from None


def recording(*args: Any) -> bool:
    """True when a ``diff`` is recording and one of ``args`` is a Param or recorded value."""
    return ag.training() and any(isinstance(a, _BOXES) for a in args)


def is_box(x: Any) -> bool:
    return isinstance(x, _BOXES)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type: a TypeError.

    Also a ValueError, which the layers raised for wrong types before, so that existing
    ``except ValueError`` handlers still catch it (as numpy's AxisError is both a ValueError
    and an IndexError).
    """


def is_int(value: Any) -> bool:
    """True for Python and numpy integers; False for bools, floats and strings."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def _got(value: Any) -> str:
    return f"got {type(value).__name__} {value!r}"


def int_arg(op: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int: a TypeError naming it unless an integer, a ValueError below
    ``minimum``."""
    what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    if not is_int(value):
        raise op_error(op, f"{name} must be {what}, {_got(value)}", ArgumentTypeError)
    if value < minimum:
        raise op_error(op, f"{name} must be {what}, got {value!r}")
    return int(value)


def real_arg(op: str, name: str, value: Any, valid: str, ok: Callable[[float], bool]) -> float:
    """``value`` as a float: a TypeError unless a real number, a ValueError unless ``ok``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise op_error(op, f"{name} must be {valid}, {_got(value)}", ArgumentTypeError)
    if not ok(float(value)):
        raise op_error(op, f"{name} must be {valid}, got {value!r}")
    return float(value)


def bool_arg(op: str, name: str, value: Any) -> bool:
    """``value`` as a bool: a TypeError unless True or False (numpy's included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise op_error(op, f"{name} must be True or False, {_got(value)}", ArgumentTypeError)
    return bool(value)


def ints_arg(
    op: str, name: str, value: Any, counts: Sequence[int], minimum: int, what: str
) -> tuple[int, ...]:
    """``value`` (an int, or a tuple/list of ``counts`` ints) as a tuple of ints.

    A non-integer is a TypeError, a wrong length or a value below ``minimum`` a ValueError;
    both say ``what`` is expected.
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not all(is_int(v) for v in items):
        raise op_error(op, f"{name} must be {what}, {_got(value)}", ArgumentTypeError)
    if len(items) not in counts or any(v < minimum for v in items):
        raise op_error(op, f"{name} must be {what}, got {value!r}")
    return tuple(int(v) for v in items)


def spatial(value: Any, nd: int, name: str, op: str, minimum: int = 0) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``nd`` ints) as a tuple of ``nd`` ints."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
    else:
        items = (value,) * nd
    if len(items) != nd or not all(is_int(v) for v in items):
        wrong_type = not all(is_int(v) for v in items)
        raise op_error(
            op,
            f"{name} must be an int or a sequence of {nd} ints (one per spatial dimension, "
            f"in array order), got {value!r}",
            ArgumentTypeError if wrong_type else ValueError,
        )
    items = tuple(int(v) for v in items)
    if any(v < minimum for v in items):
        raise op_error(op, f"{name} must be >= {minimum} in every dimension, got {value!r}")
    return items


@ag.primitive
def _cast(x: Any, dtype: Any) -> Any:
    return x.astype(dtype, copy=False)


ag.defvjp(_cast, lambda dy, y, x, dtype: _cast(dy, x.dtype) if x.dtype.kind == "f" else None)


def in_dtype_of(x: Any, param: Any) -> Any:
    """``x`` cast to the dtype of ``param``: a layer computes in its Params' dtype.

    A float32 layer given float64 (or integer) input computes in float32, as if the input
    had been cast first, instead of silently promoting everything to float64; a recorded
    input's gradient comes back in the input's own dtype. Complex and non-array inputs are
    left as they are.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> from plugrad_nn._common import in_dtype_of
        >>> in_dtype_of(np.ones(2), ag.Param(np.zeros(2, "float32"))).dtype
        dtype('float32')
    """
    want = getattr(ag.value(param), "dtype", None)
    have = getattr(ag.value(x), "dtype", None)
    if want is None or have is None or have == want or have.kind not in "biuf":
        return x
    return _cast(x, want)


def quiet(xp: Any) -> Any:
    """Silence overflow warnings where an overflow gives the right limit (exp(-x) -> inf)."""
    errstate = getattr(xp, "errstate", None)
    if errstate is None:
        return contextlib.nullcontext()
    return errstate(over="ignore", under="ignore")


def no_second_order(op: str) -> Any:
    """A vjp for a backward op that has no derivative rule of its own: a clear error."""

    def vjp(*_: Any, **__: Any) -> Any:
        raise NotImplementedError(
            f"{op}: second derivatives are not implemented; differentiate it once, or "
            "rewrite the computation with differentiable plugrad ops"
        )

    return vjp


def resolve_atype(atype: Any, op: str) -> tuple[Backend, Any]:
    """Knet's ``atype`` as (backend, dtype): a dtype, a backend (name), or a pair of them.

    None means the default backend and the default float dtype (float32).
    """
    backend, dtype = None, None
    items = atype if isinstance(atype, (tuple, list)) else (atype,)
    for item in items:
        if item is None:
            continue
        if isinstance(item, Backend):
            backend = item
            continue
        if isinstance(item, str) and item.split(":", 1)[0] in B.registered():
            backend = B.get(item)
            continue
        try:
            dtype = np.dtype(item)
        except TypeError:
            if isinstance(item, str):
                backend = B.get(item)  # an unknown backend: its error says what to install
                continue
            raise op_error(
                op,
                f"atype must be a dtype (e.g. 'float64'), a backend name "
                f"({', '.join(B.registered())}) or a pair of them, got {atype!r}",
                TypeError,
            ) from None
    return (backend or B.current()), (dtype if dtype is not None else B.default_dtype())
