"""``Param``: an array marked for differentiation, acting like the array outside ``diff``."""

from __future__ import annotations

from typing import Any

from plugrad_backends import array as _to_array
from plugrad_backends import default_dtype, of

from . import _locks, _tape
from ._tape import TAPES, Box


def _is_backend_array(x: Any) -> bool:
    try:
        backend = of(x)
    except Exception:
        return False
    return isinstance(x, backend.array_types)


class Param(Box):
    """A parameter: ``diff`` records what is computed from it and ``grad`` answers for it.

    Python numbers and lists become arrays of the default float dtype on the default
    backend; arrays are wrapped as they are (no copy). ``opt`` is the optimizer this
    parameter is updated with (Knet's per-parameter ``opt``).

    Example:
        >>> import plugrad_autograd as ag
        >>> x = ag.Param([1.0, 2.0, 3.0])
        >>> ag.sum(x * x)
        np.float32(14.0)
        >>> ag.grad(ag.diff(lambda: ag.sum(x * x)), x)
        array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("_value", "opt", "__weakref__")

    def __init__(self, value: Any, opt: Any = None) -> None:
        if isinstance(value, Param):
            value = value._value
        elif not isinstance(value, Box) and not _is_backend_array(value):
            value = _to_array(value)
            if value.dtype.kind in "biu":
                value = value.astype(default_dtype())
        self._value = value
        self.opt = opt

    @property
    def value(self) -> Any:
        """The array (mutable between ``diff`` calls: optimizers update it in place)."""
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        _refuse_while_recorded(self)
        self._value = new

    def __setitem__(self, key: Any, val: Any) -> None:
        _refuse_while_recorded(self)
        self._value[key] = _tape._raw(val)

    def __repr__(self) -> str:
        return f"Param({self._value!r})"

    # ``w += 1`` would rebind the name to a recorded value inside diff and leave the Param
    # untouched: refuse it at once. Outside diff Python falls back to ``w = w + 1``.
    def __iadd__(self, other: Any) -> Any:
        return _in_place(self, "+=")

    def __isub__(self, other: Any) -> Any:
        return _in_place(self, "-=")

    def __imul__(self, other: Any) -> Any:
        return _in_place(self, "*=")

    def __itruediv__(self, other: Any) -> Any:
        return _in_place(self, "/=")

    def __ipow__(self, other: Any) -> Any:
        return _in_place(self, "**=")

    def __imatmul__(self, other: Any) -> Any:
        return _in_place(self, "@=")

    def __reduce__(self) -> Any:
        return (Param, (self._value, self.opt))


_tape.Param = Param


def _in_place(p: Param, op: str) -> Any:
    if TAPES.get():
        raise RuntimeError(
            f"w {op} ... on a Param inside diff: the name would be rebound to a recorded value "
            f"and the Param left unchanged, silently; write `v = w {op[:-1]} ...` for a new "
            f"value, or update parameters after diff returns (e.g. pg.update)"
        )
    return NotImplemented


def _refuse_while_recorded(p: Param) -> None:
    for tape in TAPES.get():
        if id(p) in tape.lifted:
            raise RuntimeError(
                "cannot change a Param's value inside diff after it was used: the gradient "
                "would be silently wrong; update parameters after diff returns"
            )
    if _locks.locked(_tape._raw(p)):
        raise RuntimeError(
            "cannot change a Param's value while diff records it (in this thread or another): "
            "the gradient would be silently wrong; update parameters after diff returns"
        )
