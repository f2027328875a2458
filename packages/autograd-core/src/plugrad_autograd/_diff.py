"""Knet's user API: ``diff``, ``grad``, ``gradloss``, ``value``, ``params``, ``training``."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

from . import _tape
from ._param import Param
from ._tape import Tape, Value, _raw, backward
from ._walk import walk


def training() -> bool:
    """True only while ``diff`` is recording (dropout and batchnorm follow it).

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.training()
        False
    """
    return bool(_tape._active)


def value(x: Any) -> Any:
    """The array inside a Param, a recorded value or a Tape's result; ``x`` otherwise.

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.value(ag.Param([1.0]))
        array([1.], dtype=float32)
    """
    if isinstance(x, Tape):
        return _raw(x.value)
    return _raw(x)


def diff(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Tape:
    """Knet's ``@diff``: call ``f(*args, **kwargs)`` while recording, then differentiate.

    The result must be a scalar. The returned :class:`Tape` holds it (``value(tape)``) and
    the gradient for every Param it depends on (``grad(tape, param)``). The intermediate
    values are freed before ``diff`` returns.

    Example:
        >>> import plugrad_autograd as ag
        >>> w = ag.Param([1.0, -2.0])
        >>> t = ag.diff(lambda: ag.sum(w * w))
        >>> float(ag.value(t)), ag.grad(t, w)
        (5.0, array([ 2., -4.], dtype=float32))
    """
    tape = Tape(len(_tape._active))
    _tape._active.append(tape)
    threshold = _defer_gc()
    try:
        try:
            result = f(*args, **kwargs)
        finally:
            _tape._active.pop()
            tape.active = False
            _tape._unlock(tape)
        return _differentiate(tape, result)
    finally:
        _restore_gc(threshold)


def _defer_gc() -> tuple[int, ...] | None:
    # A recorded step allocates a few small objects per op, all alive until the backward
    # pass frees them together; the default collector would scan them again and again
    # (about 15% of a small op's cost). Collect less often while the outermost tape runs.
    if len(_tape._active) != 1:
        return None
    threshold = gc.get_threshold()
    if threshold[0] and threshold[0] < _GC_THRESHOLD:
        gc.set_threshold(_GC_THRESHOLD, *threshold[1:])
        return threshold
    return None


def _restore_gc(threshold: tuple[int, ...] | None) -> None:
    if threshold is not None:
        gc.set_threshold(*threshold)


_GC_THRESHOLD = 20_000


def _differentiate(tape: Tape, result: Any) -> Tape:
    if isinstance(result, Tape):
        result = result.value
    size = getattr(_raw(result), "size", 1)
    if size != 1:
        raise ValueError(
            f"diff: the function must return a scalar to differentiate, got an array of shape "
            f"{tuple(_raw(result).shape)}; reduce it first, e.g. pg.sum(...) or pg.mean(...)"
        )
    if isinstance(result, Value) and result.tape is tape:
        tape.value = result.value
        backward(tape, result)
    else:  # the result does not depend on any Param
        tape.value = result
        tape.nodes.clear()
        tape.lifted.clear()
        tape.lifted_params.clear()
    return tape


def _grad_of(tape: Tape, param: Any) -> Any:
    if not isinstance(tape, Tape):
        raise TypeError(
            f"grad(tape, param): the first argument must be the Tape returned by diff, "
            f"got {type(tape).__name__}"
        )
    if not isinstance(param, Param):
        raise TypeError(
            f"grad(tape, x): x must be a Param, got {type(param).__name__}; wrap the array "
            "with pg.Param(...) before calling diff, or use pg.grad(f)(x) for a function"
        )
    entry = tape.grads.get(id(param))
    return None if entry is None else _writable(entry[1])


def _writable(g: Any) -> Any:
    # Broadcast views are read-only; users and optimizers may scale gradients in place.
    flags = getattr(g, "flags", None)
    if flags is not None and not flags.writeable:
        return g.copy()
    return g


def params(x: Any) -> list[Param]:
    """Every Param reachable from ``x``: a Tape's Params, or a recursive search of an object.

    The search follows attributes (``__dict__`` and ``__slots__``), lists, tuples, sets and
    dict values; each Param is listed once, in the order first found; cycles are safe.

    Example:
        >>> import plugrad_autograd as ag
        >>> w, b = ag.Param([1.0]), ag.Param([0.0])
        >>> ag.params({"layer": [w, b, w]}) == [w, b]
        True
    """
    if isinstance(x, Tape):
        return [p for p, _ in x.grads.values()]
    return [obj for _, obj in walk(x) if isinstance(obj, Param)]


def _lift_argument(x: Any) -> Any:
    if isinstance(x, Param) and _tape._active:
        return _tape._active[-1].lift(x)
    return x


def _temporary_param(x: Any) -> Param:
    p = Param.__new__(Param)
    p._value = _lift_argument(x)
    p.opt = None
    return p


def _zeros_like(x: Any) -> Any:
    from plugrad_backends import of

    raw = _raw(x)
    return of(raw).xp.zeros_like(raw)


def gradloss(f: Callable[..., Any], argnum: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Like :func:`grad` for a function, but the new function returns ``(gradient, loss)``.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> g, loss = ag.gradloss(lambda w: ag.sum(w * w))(np.array([1.0, 2.0]))
        >>> g, float(loss)
        (array([2., 4.]), 5.0)
    """
    argnums = (argnum,) if isinstance(argnum, int) else tuple(argnum)

    @functools.wraps(f)
    def gradient_and_loss(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        args = list(args)
        temps = []
        for i in argnums:
            if i >= len(args):
                raise TypeError(f"grad: argnum {i} but the function got {len(args)} arguments")
            temps.append(_temporary_param(args[i]))
            args[i] = temps[-1]
        tape = diff(f, *args, **kwargs)
        grads = []
        for p in temps:
            g = _grad_of(tape, p)
            grads.append(_zeros_like(p._value) if g is None else g)
        loss = tape.value
        return (grads[0] if isinstance(argnum, int) else tuple(grads)), loss

    return gradient_and_loss


def grad(f_or_tape: Any, x: Any = None, argnum: int | tuple[int, ...] = 0) -> Any:
    """Knet's ``grad``, both forms.

    ``grad(tape, param)`` is the gradient recorded by ``diff`` (None if ``param`` took no
    part). ``grad(f, argnum=0)`` returns a function computing the gradient of scalar ``f``
    with respect to its ``argnum``-th argument (a tuple of them for a tuple of argnums);
    applying ``grad`` again gives higher derivatives.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> f = lambda w: ag.sum(w * w * w)
        >>> ag.grad(f)(np.array([1.0, 2.0]))
        array([ 3., 12.])
        >>> ag.grad(lambda w: ag.sum(ag.grad(f)(w)))(np.array([1.0, 2.0]))
        array([ 6., 12.])
    """
    if isinstance(f_or_tape, Tape):
        return _grad_of(f_or_tape, x)
    if not callable(f_or_tape):
        raise TypeError(
            f"grad: expected a Tape from diff (with a Param) or a function, "
            f"got {type(f_or_tape).__name__}"
        )
    if x is not None:
        raise TypeError("grad(f, ...): pass the argument number as argnum=, not positionally")
    gl = gradloss(f_or_tape, argnum)

    @functools.wraps(f_or_tape)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        return gl(*args, **kwargs)[0]

    return gradient
