"""The tape: boxes that record operations, and the backward pass that replays them.

A :class:`Tape` is active while ``diff`` runs its function. Every primitive applied to a
value boxed on an active tape appends its output :class:`Value` to the tape; the tape's order
is a topological order, so the backward pass is one reverse loop. Params belong to no tape:
the first time an active tape meets a Param it gives it a box of its own (``lift``).

Nesting: the tapes form a stack. A box's raw value may itself be a box of an outer tape, and
the backward pass of an inner tape runs primitives on such values, so outer tapes record it:
that is how ``grad(grad(f))`` works.
"""

from __future__ import annotations

from typing import Any

from plugrad_backends import of

# The stack of active tapes, innermost last. Read on every primitive call: keep it a list.
_active: list[Tape] = []


class Box:
    """Common base of :class:`Param` and :class:`Value`: what primitives unwrap."""

    __slots__ = ()


class Tape:
    """The record of one ``diff`` call, and after it, its result and gradients.

    Attributes:
        value: the result of the differentiated function.
    """

    __slots__ = (
        "level",
        "nodes",
        "lifted",
        "lifted_params",
        "active",
        "value",
        "grads",
        "locked",
        "__weakref__",
    )

    def __init__(self, level: int) -> None:
        self.level = level
        self.nodes: list[Value] = []
        self.lifted: dict[int, Value] = {}  # id(param) -> its box on this tape
        self.lifted_params: list[Any] = []
        self.active = True
        self.value: Any = None
        self.grads: dict[int, tuple[Any, Any]] = {}
        self.locked: list[Any] = []

    def lift(self, param: Any) -> Value:
        """The box of ``param`` on this tape, created on first use."""
        box = self.lifted.get(id(param))
        if box is not None:
            return box
        raw = param._value
        # A Param made by grad(f) for an outer tape holds that tape's box: tapes inside it
        # lift it again, tapes outside it (or at its level) use the box as it is.
        base = raw.tape.level if isinstance(raw, Value) and raw.tape.active else -1
        if self.level - 1 > base:
            raw = _active[self.level - 1].lift(param)
        elif base < 0:
            _lock(self, raw)  # the outermost tape locks, so inner tapes cannot unlock early
        box = Value(raw, self, None, (), None, ())
        self.lifted[id(param)] = box
        self.lifted_params.append(param)
        return box

    def __repr__(self) -> str:
        return f"Tape(value={_raw(self.value)!r}, params={len(self.grads)})"


def _lock(tape: Tape, array: Any) -> None:
    # numpy lets us forbid writes to a recorded Param's array while the tape is active.
    flags = getattr(array, "flags", None)
    if flags is not None and getattr(flags, "writeable", False):
        try:
            flags.writeable = False
        except ValueError:
            return
        tape.locked.append(array)


def _unlock(tape: Tape) -> None:
    for array in tape.locked:
        array.flags.writeable = True
    tape.locked.clear()


class Value(Box):
    """A value recorded on a tape: the output of a primitive inside ``diff``.

    It behaves like its array (operators, indexing, ``shape``...); ``value(v)`` gives the
    array. Users meet it only inside the differentiated function.
    """

    __slots__ = ("value", "tape", "fn", "args", "kwargs", "parents", "g")

    def __init__(
        self, value: Any, tape: Tape, fn: Any, args: tuple, kwargs: Any, parents: tuple
    ) -> None:
        self.value = value
        self.tape = tape
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.parents = parents
        self.g = None

    def __repr__(self) -> str:
        return f"Value({self.value!r})"

    def __setitem__(self, key: Any, val: Any) -> None:
        raise TypeError(
            "cannot assign into a recorded value inside diff (its gradient would be wrong); "
            "build a new array instead, e.g. with pg.where(mask, new, x) or pg.concat"
        )


def _raw(x: Any) -> Any:
    while isinstance(x, Box):
        x = x._value if not isinstance(x, Value) else x.value
    return x


# Set by ``_param`` on import (the tape must recognise Params without importing them).
Param: type = Box


def record(fn: Any, raw: Any, args: tuple, kwargs: dict) -> Any:
    """Apply primitive ``fn`` to ``args`` (some of them boxes) and record the result.

    ``raw`` is the undecorated forward. Only the boxes of the innermost tape involved are
    opened here; boxes of outer tapes stay boxed, so the call recurses into ``fn`` and the
    outer tapes record it too.
    """
    if len(_active) == 1:  # the common case, kept lean: one tape, no nesting
        tape = _active[0]
        opened = list(args)
        parents = []
        i = 0
        for a in args:
            if isinstance(a, Box):
                if a.__class__ is not Value:  # a Param (or a subclass of it)
                    box = tape.lifted.get(id(a))
                    a = tape.lift(a) if box is None else box
                if a.tape is tape:
                    parents.append((i, a))
                    opened[i] = a.value
                else:
                    opened[i] = _raw(a)
            i += 1
        out = raw(*opened, **kwargs)
        if not parents:
            return out
        node = Value(out, tape, fn, opened, kwargs, parents)
        tape.nodes.append(node)
        return node
    return _record_nested(fn, raw, args, kwargs)


def _record_nested(fn: Any, raw: Any, args: tuple, kwargs: dict) -> Any:
    tape = None
    opened = list(args)
    for i, a in enumerate(args):
        if isinstance(a, Box):
            if isinstance(a, Param):
                a = opened[i] = _active[-1].lift(a)
            t = a.tape
            if t.active and (tape is None or t.level > tape.level):
                tape = t
    if tape is None:  # only boxes of finished tapes: constants
        return raw(*[_raw(a) for a in opened], **kwargs)
    parents = []
    nested = False
    for i, a in enumerate(opened):
        if isinstance(a, Value):
            if a.tape is tape:
                parents.append((i, a))
                opened[i] = a.value
                if isinstance(a.value, Box):
                    nested = True
            elif a.tape.active:
                nested = True
            else:
                opened[i] = _raw(a)
    out = fn(*opened, **kwargs) if nested else raw(*opened, **kwargs)
    node = Value(out, tape, fn, opened, kwargs, tuple(parents))
    tape.nodes.append(node)
    return node


def backward(tape: Tape, result: Value) -> None:
    """Accumulate the gradient of ``result`` into every box of ``tape``, then free the tape."""
    from ._primitive import unbroadcast

    raw = _raw(result.value)
    result.g = of(raw).xp.ones_like(raw)
    nodes = tape.nodes
    for node in reversed(nodes):
        g = node.g
        if g is None or node.fn is None:
            continue
        node.g = None
        vjps = node.fn.vjps
        y = node.value
        args = node.args
        kwargs = node.kwargs
        for i, parent in node.parents:
            vjp = vjps[i] if i < len(vjps) else None
            if vjp is None:
                continue
            gi = vjp(g, y, *args, **kwargs) if kwargs else vjp(g, y, *args)
            if gi is None:
                continue
            if gi.shape != parent.value.shape:
                gi = unbroadcast(gi, parent.value.shape)
            pg = parent.g
            parent.g = gi if pg is None else pg + gi
    for param in tape.lifted_params:
        tape.grads[id(param)] = (param, tape.lifted[id(param)].g)
    # Free everything the backward pass needed: the tape keeps only the results.
    nodes.clear()
    tape.lifted.clear()
    tape.lifted_params.clear()
