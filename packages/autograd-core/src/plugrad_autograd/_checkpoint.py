"""``checkpoint(f)``: activation recomputation. The forward keeps only ``f``'s inputs; the
backward runs ``f`` again, recording, to get its gradients."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from plugrad_backends import BackendError, of

from . import _tape
from ._diff import _temporary_param, diff, grad, params
from ._ops_reduce import sum as sum_
from ._primitive import defvjp, primitive
from ._tape import Box, Tape, _raw


def _rng_state(arrays: tuple) -> tuple[Any, Any]:
    """The inputs' backend and its random state, so that the recomputation draws the same
    dropout; ``(None, None)`` when no input is an array or the backend cannot say."""
    for a in arrays:
        if hasattr(_raw(a), "shape"):
            backend = of(_raw(a))
            try:
                return backend, backend.rng_state()
            except BackendError:
                return None, None
    return None, None


def _run_unrecorded(fn: Callable[..., Any], xs: tuple) -> Any:
    """Run ``fn`` on a private tape (training() stays True), keeping none of its record."""
    private = Tape(None)
    token = _tape.TAPES.set((private,))  # this thread only: the outer tapes see nothing
    try:
        return _raw(fn(*xs))
    finally:
        _tape.TAPES.reset(token)
        private.release()
        private.nodes.clear()
        private.lifted.clear()
        private.lifted_params.clear()


@primitive
def _checkpointed(fn: Any, nargs: int, state: dict, *arrays: Any) -> Any:
    state["rng"] = _rng_state(arrays)
    return _run_unrecorded(fn, arrays[:nargs])


def _recompute(dy: Any, fn: Any, nargs: int, state: dict, arrays: tuple) -> list[Any]:
    cached = state.get("grads")
    if cached is not None and cached[0] is dy:
        return cached[1]
    if any(isinstance(a, Box) for a in (dy, *arrays)):
        raise NotImplementedError(
            "checkpoint: second derivatives through a checkpointed function are not "
            "supported; call the function without checkpoint for higher-order gradients"
        )

    inputs = [_temporary_param(a) for a in arrays[:nargs]]
    owned = state["params"]
    backend, saved = state["rng"]
    current = backend.rng_state() if backend is not None else None
    if backend is not None:
        backend.set_rng_state(saved)
    try:
        tape = diff(lambda: sum_(fn(*inputs) * dy))
    finally:
        if backend is not None:
            backend.set_rng_state(current)
    known = {id(p) for p in owned} | {id(p) for p in inputs}
    stray = [p for p in params(tape) if id(p) not in known]
    if stray:
        raise ValueError(
            f"checkpoint: the function used {len(stray)} Param(s) (first of shape "
            f"{tuple(stray[0].shape)}) that cannot be found from it, so their gradients would "
            f"be lost; checkpoint an object holding its Params (a layer), or pass them as "
            f"arguments"
        )
    grads = [grad(tape, p) for p in inputs] + [grad(tape, p) for p in owned]
    state["grads"] = (dy, grads)
    return grads


def _rule(i: int) -> Any:
    def vjp(dy: Any, y: Any, fn: Any, nargs: int, state: dict, *arrays: Any) -> Any:
        return _recompute(dy, fn, nargs, state, arrays)[i]

    return vjp


_MAX_ARRAYS = 256
defvjp(_checkpointed, None, None, None, *[_rule(i) for i in range(_MAX_ARRAYS)])


def checkpoint(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` recomputed in the backward pass instead of stored: less memory, more time.

    Inside ``diff``, ``checkpoint(f)(*args)`` runs ``f`` without keeping its intermediate
    values (only ``args`` and the result are kept); the backward pass runs ``f`` again,
    recording, and takes the gradients of ``args`` and of the Params held by ``f`` (found
    with :func:`params`, so pass a layer or another object holding them). The random
    generator is rewound for the recomputation, so dropout draws the same mask. ``f``
    takes arrays and returns one array. First-order gradients only. Chen et al. (2016),
    arXiv:1604.06174.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> w = ag.Param(np.array([1.0, 2.0]))
        >>> class Scale:
        ...     def __init__(self, w): self.w = w
        ...     def __call__(self, x): return ag.tanh(x * self.w)
        >>> f = ag.checkpoint(Scale(w))
        >>> ag.grad(ag.diff(lambda: ag.sum(f(np.ones(2)))), w).round(4)
        array([0.42  , 0.0707])
    """
    owned = params(f)

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not _tape.TAPES.get():
            return f(*args, **kwargs)
        fn = functools.partial(f, **kwargs) if kwargs else f
        if len(args) + len(owned) > _MAX_ARRAYS:
            raise ValueError(
                f"checkpoint: at most {_MAX_ARRAYS} arguments and Params together, got "
                f"{len(args)} arguments and {len(owned)} Params"
            )
        return _checkpointed(fn, len(args), {"params": owned}, *args, *owned)

    return run
