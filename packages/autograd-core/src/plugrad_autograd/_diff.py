"""Knet's user API: ``diff``, ``grad``, ``gradloss``, ``value``, ``params``, ``training``."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad_backends import array as _to_array
from plugrad_backends import of

from . import _locks
from ._backward import backward
from ._ops_shape import stack
from ._param import Param
from ._tape import TAPES, Box, Tape, Value, _raw
from ._walk import walk


def training() -> bool:
    """True only while ``diff`` is recording (dropout and batchnorm follow it).

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.training()
        False
    """
    return bool(TAPES.get())


def value(x: Any) -> Any:
    """The array inside a Param, a recorded value or a Tape's result; ``x`` otherwise.

    The array of a recorded value is read-only until its tape is done: writing into it
    would change the gradient. Use it as a constant, on purpose (no gradient flows).

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.value(ag.Param([1.0]))
        array([1.], dtype=float32)
    """
    if isinstance(x, Tape):
        return _raw(x.value)
    if isinstance(x, Value):
        return _raw(x.value)  # read-only while its tape records
    return _raw(x)


def diff(f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Tape:
    """Knet's ``@diff``: call ``f(*args, **kwargs)`` while recording, then differentiate.

    The result must be a scalar. The returned :class:`Tape` holds it (``value(tape)``) and
    the gradient for every Param it depends on (``grad(tape, param)``). The intermediate
    values are freed before ``diff`` returns. Recording is per thread: ``diff`` may run in
    several threads at once, each tape seeing only its own thread's operations.

    Example:
        >>> import plugrad_autograd as ag
        >>> w = ag.Param([1.0, -2.0])
        >>> t = ag.diff(lambda: ag.sum(w * w))
        >>> float(ag.value(t)), ag.grad(t, w)
        (5.0, array([ 2., -4.], dtype=float32))
    """
    tapes = TAPES.get()
    tape = Tape(tapes[-1] if tapes else None)
    token = TAPES.set((*tapes, tape))
    deferred = _defer_gc() if not tapes else False
    try:
        try:
            result = f(*args, **kwargs)
            if isinstance(result, Box) and not isinstance(result, Value):
                result = tape.lift(result)  # f returned a Param itself: d p / d p = 1
        finally:
            TAPES.reset(token)
            tape.release()
        return _differentiate(tape, result)
    finally:
        if deferred:
            _restore_gc()


# A recorded step allocates a few small objects per op, all alive until the backward pass
# frees them together; the default collector would scan them again and again (about 15% of
# a small op's cost). Collect less often while any thread's outermost tape runs.
_GC_THRESHOLD = 20_000
_gc_guard = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] | None = None


def _defer_gc() -> bool:
    global _gc_users, _gc_saved
    with _gc_guard:
        if _gc_users == 0:
            threshold = gc.get_threshold()
            if not threshold[0] or threshold[0] >= _GC_THRESHOLD:
                return False
            _gc_saved = threshold
            gc.set_threshold(_GC_THRESHOLD, *threshold[1:])
        _gc_users += 1
        return True


def _restore_gc() -> None:
    global _gc_users, _gc_saved
    with _gc_guard:
        _gc_users -= 1
        if _gc_users == 0 and _gc_saved is not None:
            gc.set_threshold(*_gc_saved)
            _gc_saved = None


def _differentiate(tape: Tape, result: Any) -> Tape:
    if isinstance(result, Tape):
        result = result.value
    raw = _raw(result)
    if not (isinstance(raw, (int, float, complex, np.generic)) or hasattr(raw, "shape")):
        raise TypeError(
            f"diff: the function must return a scalar to differentiate (a loss), got "
            f"{type(raw).__name__}; return it, e.g. `return pg.sum(...)`"
        )
    size = getattr(raw, "size", 1)
    if size != 1:
        raise ValueError(
            f"diff: the function must return a scalar to differentiate, got an array of shape "
            f"{tuple(_raw(result).shape)}; reduce it first, e.g. pg.sum(...) or pg.mean(...)"
        )
    if isinstance(result, Value) and result.tape is tape:
        tape.value = result._value
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


def _argument(x: Any) -> Any:
    """An argument of ``grad(f)`` as the array it stands for (a box of an outer tape stays)."""
    if isinstance(x, Param):
        tapes = TAPES.get()
        return tapes[-1].lift(x) if tapes else x._value
    if isinstance(x, Box):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Box) for e in x):
        return stack(list(x))
    if isinstance(x, (bool, int, float, complex, list, tuple, np.generic)):
        host = np.asarray(x)  # read as numpy would; integers as float64
        if host.dtype.kind in "biu":
            host = host.astype(np.float64)
        return _to_array(host, dtype=host.dtype)
    return x


def _temporary_param(x: Any) -> Param:
    p = Param.__new__(Param)
    p._value = _argument(x)
    p.opt = None
    return p


def _zeros_like(x: Any) -> Any:
    raw = _raw(x)
    return of(raw).xp.zeros_like(raw)


def gradloss(f: Callable[..., Any], /, argnum: int | tuple[int, ...] = 0) -> Callable[..., Any]:
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
        held: dict[int, Any] = {}  # the caller's arrays: never written while f runs
        for p in temps:
            _locks.lock(p._value, held)
        try:
            tape = diff(f, *args, **kwargs)
        finally:
            _locks.release(held)
        grads = []
        for p in temps:
            g = _grad_of(tape, p)
            grads.append(_zeros_like(p._value) if g is None else g)
        loss = tape.value
        return (grads[0] if isinstance(argnum, int) else tuple(grads)), loss

    return gradient_and_loss


def grad(f_or_tape: Any, x: Any = None, /, argnum: int | tuple[int, ...] = 0) -> Any:
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
