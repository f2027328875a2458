"""The tape: boxes that record operations while ``diff`` runs.

A :class:`Tape` is active while ``diff`` runs its function. Every primitive applied to a
value boxed on an active tape appends its output :class:`Value` to the tape; the tape's order
is a topological order, so the backward pass (``_backward``) is one reverse loop. Params
belong to no tape: the first time an active tape meets a Param it gives it a box of its own
(``lift``).

Nesting: each thread (each ``contextvars`` context) has its own stack of active tapes. A
box's raw value may itself be a box of an outer tape, and the backward pass of an inner tape
runs primitives on such values, so outer tapes record it: that is how ``grad(grad(f))``
works.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import numpy as np

from . import _locks

#: The active tapes of this thread (context), innermost last. A tuple, never mutated: each
#: ``diff`` sets a longer one and resets it, so a copied context cannot see another's tapes.
TAPES: ContextVar[tuple[Tape, ...]] = ContextVar("plugrad_tapes", default=())


class Box:
    """Common base of :class:`Param` and :class:`Value`: what primitives unwrap.

    Both keep their array (or the box of an outer tape) in ``_value``.
    """

    __slots__ = ()


class Tape:
    """The record of one ``diff`` call, and after it, its result and gradients.

    Attributes:
        value: the result of the differentiated function.
    """

    __slots__ = (
        "level",
        "outer",
        "nodes",
        "lifted",
        "lifted_params",
        "active",
        "value",
        "grads",
        "locked",
        "__weakref__",
    )

    def __init__(self, outer: Tape | None) -> None:
        self.outer = outer
        self.level = 0 if outer is None else outer.level + 1
        self.nodes: list[Value] = []
        self.lifted: dict[int, Value] = {}  # id(param) -> its box on this tape
        self.lifted_params: list[Any] = []
        self.active = True
        self.value: Any = None
        self.grads: dict[int, tuple[Any, Any]] = {}
        self.locked: dict[int, Any] = {}  # the arrays this tape holds read-only

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
            raw = self.outer.lift(param)  # type: ignore[union-attr]
        elif base < 0:
            _locks.lock(raw, self.locked)
        box = Value(raw, self, None, (), None, ())
        self.lifted[id(param)] = box
        self.lifted_params.append(param)
        return box

    def release(self) -> None:
        """Stop recording: make the arrays this tape held read-only writable again."""
        self.active = False
        _locks.release(self.locked)

    def __repr__(self) -> str:
        return f"Tape(value={_raw(self.value)!r}, params={len(self.grads)})"


class Value(Box):
    """A value recorded on a tape: the output of a primitive inside ``diff``.

    It behaves like its array (operators, indexing, ``shape``...); ``value(v)`` gives the
    array, read-only while the tape records. Users meet it only inside the differentiated
    function.
    """

    __slots__ = ("_value", "tape", "fn", "args", "kwargs", "parents", "g")

    def __init__(
        self, value: Any, tape: Tape, fn: Any, args: Any, kwargs: Any, parents: Any
    ) -> None:
        self._value = value
        self.tape = tape
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.parents = parents
        self.g = None

    @property
    def value(self) -> Any:
        """The array (or outer box); read-only while its tape records."""
        if self.tape.active:
            _locks.lock(_raw(self._value), self.tape.locked)
        return self._value

    def __repr__(self) -> str:
        return f"Value({self._value!r})"

    def __setitem__(self, key: Any, val: Any) -> None:
        raise TypeError(
            "cannot assign into a recorded value inside diff (its gradient would be wrong); "
            "build a new array instead, e.g. with pg.where(mask, new, x) or pg.concat"
        )


def _raw(x: Any) -> Any:
    while isinstance(x, Box):
        x = x._value
    return x


# Set by ``_param`` on import (the tape must recognise Params without importing them).
Param: type = Box


def record(
    fn: Any,
    raw: Any,
    args: tuple,
    kwargs: dict,
    stack: tuple[Tape, ...],
    # Read on every recorded op: bound here as locals, faster than globals.
    _Value: type = Value,
    _Box: type = Box,
    _constant_types: tuple = (np.ndarray, tuple),
    _isinstance: Any = isinstance,
) -> Any:
    """Apply primitive ``fn`` to ``args`` (some of them boxes) and record the result.

    ``raw`` is the undecorated forward; ``stack`` is this thread's active tapes. Params are
    lifted onto the innermost one. The node goes on the innermost tape among the arguments'
    boxes; only its boxes are opened. Boxes of outer active tapes stay boxed, so the call
    recurses into ``fn`` and the outer tapes record it too. Boxes of finished tapes are
    constants. Plain arrays among the arguments are locked read-only while the tape lives.
    """
    top = stack[-1]
    opened = list(args)
    parents: list[tuple[int, Value]] = []
    tape = None
    nested = False
    constants = None  # plain arrays the backward pass may read
    i = -1
    for a in args:
        i += 1
        if a.__class__ is not _Value:
            if not _isinstance(a, _Box):
                if _isinstance(a, _constant_types):  # arrays, tuples of index arrays
                    constants = [a] if constants is None else [*constants, a]
                continue
            box = top.lifted.get(id(a))  # a Param (or a subclass of it)
            a = top.lift(a) if box is None else box
        t = a.tape
        if t is tape:
            parents.append((i, a))
            opened[i] = a._value
            continue
        if not t.active:  # a value kept from a finished tape: a constant
            opened[i] = _raw(a)
            continue
        if tape is not None:  # boxes of two active tapes: record on the inner one
            nested = True
            if t.level < tape.level:
                continue
            for j, p in parents:
                opened[j] = p
            parents = []
        tape = t
        parents.append((i, a))
        opened[i] = a._value
    if tape is None:
        return raw(*opened, **kwargs)
    if constants is not None or kwargs:
        _locks.lock_arguments([*(constants or ()), *kwargs.values()], tape.locked)
    if top.level and not nested:  # an opened value may be a box of an outer tape
        nested = any(isinstance(o, Box) for o in opened)
    out = fn(*opened, **kwargs) if nested else raw(*opened, **kwargs)
    node = Value(out, tape, fn, opened, kwargs, parents)
    tape.nodes.append(node)
    return node
