"""Values to the JSON value tree plus tensors: the writing half of ``save``.

Each kind of value has one encoding method, found through a table keyed by type (like the
decoder's table keyed by node kind). Values with an identity (arrays, Params, lists,
dicts, registered objects) are stored once and referred to by id after that.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._format import MAX_DEPTH, NATIVE, checksum

KEY_TYPES = (str, int, float, bool, type(None), tuple)

Encoding = Callable[["Encoder", Any, str], Any]


class Unsaveable(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"cannot save {where}: {problem}")


def is_registered(cls: type) -> bool:
    return ag.serializable_class(ag.serializable_name(cls)) is cls


def unregistered(t: type) -> str:
    return (
        f"a value of type {t.__module__}.{t.__qualname__}; save arrays, "
        "Params, plain values (None, bool, int, float, complex, str, list, tuple, dict, numpy "
        "scalars and dtypes) and objects of classes registered with "
        "@plugrad_autograd.serializable"
    )


def recorded_value(x: Any) -> str:
    """Why a recorded value cannot be saved, and the fix."""
    shape = tuple(getattr(ag.value(x), "shape", ()))
    return (
        f"a recorded value (shape {shape}) left from diff, such as an RNN's final state h or "
        "c; call plugrad.clean(model) after training to turn every recorded value into its "
        "array (or store plugrad.value(x)), then save"
    )


def check_fields(cls: type, state: dict[str, Any]) -> str | None:
    """What is wrong with ``state`` for a class that declared its fields, or None."""
    declared = ag.serializable_fields(cls)
    if declared is None:
        return None
    name = cls.__qualname__
    for field, value in state.items():
        if field not in declared:
            return f"{name} has no field {field!r} (it declares {sorted(declared)})"
        types = declared[field]
        if not isinstance(value, types):
            allowed = " or ".join(t.__name__ for t in types)
            return f"{name}.{field} must be {allowed}, not {type(value).__name__}"
    for field in declared:
        if field not in state and not hasattr(cls, field):
            return f"{name} lacks its field {field!r}"
    return None


def array_types() -> tuple[type, ...]:
    types: list[type] = []
    for name in B.registered():
        with contextlib.suppress(B.BackendError):
            types.extend(B.get(name).array_types)
    return tuple(t for t in types if not issubclass(t, np.generic))


def _shared(encode_new: Callable[[Encoder, Any, str, int], dict[str, Any]]) -> Encoding:
    """Wrap the encoding of a value with an identity: a second visit is a reference."""

    def encode(self: Encoder, x: Any, where: str) -> Any:
        known = self.ids.get(id(x))
        if known is not None:
            return {"$": "ref", "id": known}
        n = self.ids[id(x)] = len(self.ids)
        self.keep.append(x)  # keeps x alive so that its id stays unique
        return encode_new(self, x, where, n)

    return encode


class Encoder:
    """Turns values into tree nodes, collecting the tensors they refer to.

    Example:
        >>> enc = Encoder()
        >>> enc.encode([1.5, float("inf")], "x")
        {'$': 'list', 'id': 0, 'items': [1.5, {'$': 'float', 'v': 'inf'}]}
    """

    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []
        self.array_types = array_types()
        self.depth = 0

    def encode(self, x: Any, where: str) -> Any:
        """The tree node for ``x``; ``where`` names it in error messages."""
        if self.depth >= MAX_DEPTH:
            raise Unsaveable(where, f"values nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self._encoding(type(x))(self, x, where)
        finally:
            self.depth -= 1

    def _encoding(self, t: type) -> Encoding:
        enc = _BY_TYPE.get(t)
        if enc is not None:
            return enc
        if issubclass(t, np.generic):
            return Encoder._scalar
        if issubclass(t, (np.dtype, type)):
            return Encoder._dtype
        if issubclass(t, ag.Param):
            return Encoder._param
        if issubclass(t, self.array_types):
            return Encoder._array
        if is_registered(t):
            return Encoder._object
        return Encoder._refuse

    def tensor(self, host: np.ndarray, where: str) -> dict[str, Any]:
        """Store ``host`` as a new tensor; the node fields that describe it."""
        key = f"t{len(self.tensors)}"
        dt = host.dtype
        if dt.kind not in "biufc":
            raise Unsaveable(where, f"arrays of dtype {dt} cannot be saved (numbers only)")
        info: dict[str, Any] = {"tensor": key, "dtype": dt.newbyteorder("=").name}
        info["shape"] = list(host.shape)
        little = np.asarray(host, dtype=dt.newbyteorder("<"), order="C")
        if dt.newbyteorder("=") not in NATIVE:
            info["raw"] = little.dtype.str
            little = little.reshape(-1).view(np.uint8)
        self.tensors[key] = little
        info["sum"] = checksum(little.data if little.size else b"")
        return info

    def items(self, d: dict[Any, Any], where: str, attrs: bool = False) -> list[Any]:
        out = []
        for k, v in d.items():
            if not isinstance(k, KEY_TYPES) or (
                isinstance(k, tuple) and not all(isinstance(e, KEY_TYPES) for e in k)
            ):
                raise Unsaveable(
                    where,
                    f"a dict key of type {type(k).__name__}; keys must be str, int, float, "
                    "bool, None or tuples of them",
                )
            sub = f"{where}.{k}" if attrs else f"{where}[{k!r}]"
            out.append([self.encode(k, where), self.encode(v, sub)])
        return out

    # -- one method per kind of value --------------------------------------------------

    def _plain(self, x: Any, where: str) -> Any:
        return x

    def _float(self, x: float, where: str) -> Any:
        return x if math.isfinite(x) else {"$": "float", "v": repr(x)}

    def _complex(self, x: complex, where: str) -> Any:
        return {"$": "complex", "re": self._float(x.real, where), "im": self._float(x.imag, where)}

    def _scalar(self, x: np.generic, where: str) -> Any:
        if not isinstance(x, (np.number, np.bool_)):
            raise Unsaveable(where, f"numpy scalars of dtype {x.dtype} cannot be saved")
        return {"$": "scalar", **self.tensor(np.asarray(x), where)}

    def _dtype(self, x: Any, where: str) -> Any:
        if isinstance(x, type) and not issubclass(x, np.generic):
            raise Unsaveable(where, unregistered(type(x)))
        dt = np.dtype(x)
        if dt.kind not in "biufc":
            raise Unsaveable(where, f"numpy dtype {dt} cannot be saved (numbers only)")
        return {"$": "dtype", "v": dt.name, "type": not isinstance(x, np.dtype)}

    def _tuple(self, x: tuple[Any, ...], where: str) -> Any:
        return {"$": "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]}

    @_shared
    def _list(self, x: list[Any], where: str, n: int) -> dict[str, Any]:
        items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]
        return {"$": "list", "id": n, "items": items}

    @_shared
    def _dict(self, x: dict[Any, Any], where: str, n: int) -> dict[str, Any]:
        return {"$": "dict", "id": n, "items": self.items(x, where)}

    @_shared
    def _array(self, x: Any, where: str, n: int) -> dict[str, Any]:
        info = self.tensor(B.to_host(x), where)
        return {"$": "array", "id": n, "backend": B.of(x).name, **info}

    @_shared
    def _param(self, x: ag.Param, where: str, n: int) -> dict[str, Any]:
        t = type(x)
        if x.opt is not None and not is_registered(type(x.opt)):
            raise Unsaveable(
                f"{where}.opt", "a Param's opt must be None or an optimizer (registered class)"
            )
        node = {
            "$": "param",
            "id": n,
            "value": self.encode(x.value, f"{where}.value"),
            "opt": self.encode(x.opt, f"{where}.opt"),
        }
        if t is not ag.Param:
            if not is_registered(t):
                raise Unsaveable(where, unregistered(t))
            node["class"] = ag.serializable_name(t)
        return node

    @_shared
    def _object(self, x: Any, where: str, n: int) -> dict[str, Any]:
        t = type(x)
        state = getattr(x, "__dict__", None)
        if state is None:
            raise Unsaveable(where, f"registered class {t.__qualname__} has no __dict__")
        problem = check_fields(t, state)
        if problem is not None:
            raise Unsaveable(where, problem)
        return {
            "$": "object",
            "id": n,
            "class": ag.serializable_name(t),
            "state": self.items(state, where, attrs=True),
        }

    def _refuse(self, x: Any, where: str) -> Any:
        if isinstance(x, ag.Value):
            raise Unsaveable(where, recorded_value(x))
        raise Unsaveable(where, unregistered(type(x)))


_BY_TYPE: dict[type, Encoding] = {
    type(None): Encoder._plain,
    bool: Encoder._plain,
    int: Encoder._plain,
    str: Encoder._plain,
    float: Encoder._float,
    complex: Encoder._complex,
    tuple: Encoder._tuple,
    list: Encoder._list,
    dict: Encoder._dict,
}
