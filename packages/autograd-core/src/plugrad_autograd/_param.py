"""``Param``: an array marked for differentiation, acting like the array outside ``diff``."""

from __future__ import annotations

from typing import Any

from plugrad_backends import array as _to_array
from plugrad_backends import of

from . import _tape
from ._tape import Box


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
                value = value.astype(_default_float())
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

    def __reduce__(self) -> Any:
        return (Param, (self._value, self.opt))


_tape.Param = Param


def _default_float() -> Any:
    from plugrad_backends import default_dtype

    return default_dtype()


def _refuse_while_recorded(p: Param) -> None:
    for tape in _tape._active:
        if id(p) in tape.lifted:
            raise RuntimeError(
                "cannot change a Param's value inside diff after it was used: the gradient "
                "would be silently wrong; update parameters after diff returns"
            )
