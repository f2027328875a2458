"""The backward pass: replay a finished tape in reverse, summing gradients into its boxes.

The rules are plugrad ops, so when an outer tape is still recording, the backward pass of an
inner tape is itself recorded (``grad(grad(f))``).
"""

from __future__ import annotations

from typing import Any

from plugrad_backends import of

from ._ops_reduce import unbroadcast
from ._tape import Box, Tape, Value, _raw


def backward(tape: Tape, result: Value) -> None:
    """Accumulate the gradient of ``result`` into every box of ``tape``, then free the tape."""
    raw = _raw(result._value)
    result.g = of(raw).xp.ones_like(raw)
    nodes = tape.nodes
    for node in reversed(nodes):
        g = node.g
        if g is None or node.fn is None:
            continue
        node.g = None
        vjps = node.fn.vjps
        y = node._value
        args = node.args
        kwargs = node.kwargs
        for i, parent in node.parents:
            vjp = vjps[i] if i < len(vjps) else _rule_beyond(node.fn, i)
            if vjp is None:
                continue
            gi = vjp(g, y, *args, **kwargs) if kwargs else vjp(g, y, *args)
            if gi is None:
                continue
            if gi.shape != parent._value.shape:
                gi = unbroadcast(gi, parent._value.shape)
            pg = parent.g
            parent.g = gi if pg is None else pg + gi
    for param in tape.lifted_params:
        box = tape.lifted[id(param)]
        tape.grads[id(param)] = (param, _like(box.g, box._value))
    # Free everything the backward pass needed: the tape keeps only the results.
    nodes.clear()
    tape.lifted.clear()
    tape.lifted_params.clear()


def _like(g: Any, value: Any) -> Any:
    """``g`` with the dtype and memory order of the Param's ``value`` (copied only if not)."""
    if g is None or isinstance(g, Box) or isinstance(value, Box):
        return g  # recorded by an outer tape: the outer tape's gradient is conformed
    dtype = getattr(value, "dtype", None)
    if dtype is not None and g.dtype != dtype and dtype.kind in "fc":
        g = g.astype(dtype)
    if getattr(value, "ndim", 0) >= 2:
        flags = value.flags
        if flags.c_contiguous:
            if not g.flags.c_contiguous:
                g = of(g).xp.ascontiguousarray(g)
        elif flags.f_contiguous and not g.flags.f_contiguous:
            g = of(g).xp.asfortranarray(g)
    return g


def _rule_beyond(fn: Any, i: int) -> Any:
    """The rule for argument ``i`` past those given to ``defvjp``: ``defvjp_argnum``'s, or
    an error (never a silent zero)."""
    every = getattr(fn, "vjp_argnum", None)
    if every is not None:
        return lambda dy, y, *args, **kwargs: every(i, dy, y, *args, **kwargs)
    raise NotImplementedError(
        f"{fn.__name__}: no gradient rule for argument {i}, but the result depends on it; "
        f"declare one with pg.defvjp({fn.__name__}, rule_for_arg0, rule_for_arg1, ...) "
        f"(None for an argument without gradient), or pg.defvjp_argnum for one rule for "
        f"every argument"
    )
