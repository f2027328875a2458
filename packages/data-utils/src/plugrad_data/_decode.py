"""The value tree back to values: the reading half of ``load``.

Loading is two passes. ``scan`` walks the parsed tree once, without recursion, checking
every node against the format's schema and collecting the nodes that define shared
values; ``Decoder`` then rebuilds values, each shared one once, with the nesting depth
capped. Decoding cost is linear in the file's size, whatever the file holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._classes import lookup_class
from ._encode import KEY_TYPES, array_types, check_fields, is_registered
from ._format import MAX_DEPTH, RAW_DTYPE, SHARED, Malformed, check_node, checksum, dtype

_PLAIN = (str, int, bool, type(None))


class TooDeep(Malformed):
    pass


def safetensors_failed(e: BaseException, what: str) -> Malformed:
    """The error for a failure inside safetensors (its panics are BaseExceptions)."""
    if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise e
    return Malformed(f"safetensors failed to read {what} ({type(e).__name__}: {e})")


def _attribute_name(name: Any, seen: set[str]) -> str:
    if type(name) is not str or not name.isidentifier():
        raise Malformed(f"attribute name {name!r:.40} is not an identifier")
    if name.startswith("__") and name.endswith("__"):
        raise Malformed(f"attribute name {name!r:.40} is reserved")
    if name in seen:
        raise Malformed(f"an object sets the attribute {name!r} twice")
    seen.add(name)
    return name


def _pair(item: Any, what: str) -> list[Any]:
    if type(item) is not list or len(item) != 2:
        raise Malformed(f"{what} must be [key, value] pairs, not {item!r:.40}")
    return item


def _children(kind: str, node: dict[str, Any]) -> Iterator[Any]:
    if kind in ("tuple", "list"):
        yield from node["items"]
    elif kind == "dict":
        for item in node["items"]:
            yield from _pair(item, "a dict's items")
    elif kind == "object":
        seen: set[str] = set()
        for item in node["state"]:
            name, value = _pair(item, "an object's attributes")
            _attribute_name(name, seen)
            yield value
    elif kind == "param":
        yield node["value"]
        yield node["opt"]
    elif kind == "complex":
        yield node["re"]
        yield node["im"]


def scan(tree: dict[str, Any], version: int) -> dict[int, dict[str, Any]]:
    """Check every node of ``tree``; return the shared-value definitions by id.

    Each id is defined once, each tensor is used by one value, each reference points at
    a definition: so no decoding can multiply its work or its memory.
    """
    defs: dict[int, dict[str, Any]] = {}
    tensors: set[str] = set()
    refs: set[int] = set()
    stack = list(tree.values())
    while stack:
        v = stack.pop()
        if type(v) is float and not math.isfinite(v):
            raise Malformed(f"a bare {v!r} in the value tree (non-finite floats are entries)")
        if type(v) in _PLAIN or type(v) is float:
            continue
        if type(v) is not dict:
            raise Malformed(f"unexpected value {v!r:.60} in the value tree")
        kind = check_node(v, version)
        if kind in SHARED:
            if v["id"] in defs:
                raise Malformed(f"object #{v['id']} is defined twice")
            defs[v["id"]] = v
        elif kind == "ref":
            refs.add(v["id"])
        if "tensor" in v:
            if v["tensor"] in tensors:
                raise Malformed(f"tensor {v['tensor']!r:.40} is used by more than one value")
            tensors.add(v["tensor"])
        stack.extend(_children(kind, v))
    missing = refs - defs.keys()
    if missing:
        raise Malformed(f"it refers to object #{min(missing)}, which the file does not define")
    return defs


class Decoder:
    """Rebuilds values from nodes checked by ``scan``; shared values once each."""

    def __init__(self, handle: Any, device: Any, defs: dict[int, Any], version: int) -> None:
        self.handle = handle
        try:
            self.keys = set(handle.keys())
        except BaseException as e:
            raise safetensors_failed(e, "the tensor names") from None
        self.device = B.get(device)
        self.defs = defs
        self.version = version
        self.built: dict[int, Any] = {}
        self.array_types = array_types()
        self.depth = 0

    def decode(self, node: Any) -> Any:
        if type(node) is not dict:
            return node  # a plain JSON value, checked by scan
        kind = node["$"]
        if kind == "ref" or kind in SHARED:
            if node["id"] in self.built:
                return self.built[node["id"]]
            if kind == "ref":  # defined further on, or under a name not loaded yet
                node = self.defs[node["id"]]
                kind = node["$"]
        if self.depth >= MAX_DEPTH:
            raise TooDeep(f"values are nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return _BY_KIND[kind](self, node)
        finally:
            self.depth -= 1

    def _remember(self, node: dict[str, Any], obj: Any) -> Any:
        self.built[node["id"]] = obj
        return obj

    def _tensor(self, key: str) -> np.ndarray:
        if key not in self.keys:
            raise Malformed(f"it refers to a tensor {key!r:.40} that is not in the file")
        try:
            return self.handle.get_tensor(key)
        except BaseException as e:
            raise safetensors_failed(e, f"tensor {key!r}") from None

    def _host(self, node: dict[str, Any]) -> np.ndarray:
        key, shape = node["tensor"], tuple(node["shape"])
        dt = dtype(node["dtype"])
        t = self._tensor(key)
        if self.version >= 2:
            stored = np.ascontiguousarray(t)
            if checksum(stored.data if stored.size else b"") != node["sum"]:
                raise Malformed(
                    f"tensor {key!r} ({dt} {shape}) fails its checksum: the file is corrupted"
                )
        if "raw" in node:
            raw = dtype(node["raw"], RAW_DTYPE)
            if raw.newbyteorder("=") != dt:
                raise Malformed(f"tensor {key!r}: raw bytes of {raw.str} cannot hold {dt}")
            if t.dtype != np.uint8 or t.ndim != 1:
                raise Malformed(f"tensor {key!r} should hold raw bytes, it is {t.dtype} {t.shape}")
            if t.size != raw.itemsize * math.prod(shape):
                raise Malformed(f"tensor {key!r} holds {t.size} bytes, not {shape} {raw}")
            return np.frombuffer(t.tobytes(), dtype=raw).reshape(shape).astype(dt)
        if t.dtype != dt or t.shape != shape:
            raise Malformed(f"tensor {key!r} is {t.dtype} {t.shape}, the tree says {dt} {shape}")
        return t

    def _real(self, v: Any) -> float:
        if type(v) is dict:
            return self.decode(v)
        try:
            return float(v)
        except OverflowError:
            raise Malformed(f"the number {str(v)[:40]}... is too large for a float") from None

    def _pairs(self, items: list[Any]) -> Iterator[tuple[Any, Any]]:
        for k, v in items:
            yield self.decode(k), self.decode(v)

    # -- one method per node kind --------------------------------------------------------

    def _float(self, node: dict[str, Any]) -> float:
        return float(node["v"])

    def _complex(self, node: dict[str, Any]) -> complex:
        return complex(self._real(node["re"]), self._real(node["im"]))

    def _scalar(self, node: dict[str, Any]) -> Any:
        host = self._host(node)
        if host.shape != ():
            raise Malformed(f"a numpy scalar has the shape {host.shape}")
        return host[()]

    def _dtype(self, node: dict[str, Any]) -> Any:
        dt = dtype(node["v"])
        return dt.type if node["type"] else dt

    def _array(self, node: dict[str, Any]) -> Any:
        host = self._host(node)
        return self._remember(node, B.array(host, device=self.device, dtype=host.dtype))

    def _tuple(self, node: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(self.decode(v) for v in node["items"])

    def _list(self, node: dict[str, Any]) -> list[Any]:
        out: list[Any] = self._remember(node, [])
        out.extend(self.decode(v) for v in node["items"])
        return out

    def _dict(self, node: dict[str, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = self._remember(node, {})
        for k, v in self._pairs(node["items"]):
            if not isinstance(k, KEY_TYPES) or not _hashable(k):
                raise Malformed(f"a dict key is a {type(k).__name__}, which cannot be a key")
            out[k] = v
        return out

    def _param(self, node: dict[str, Any]) -> Any:
        cls = lookup_class(node["class"]) if "class" in node else ag.Param
        if not (isinstance(cls, type) and issubclass(cls, ag.Param)):
            raise Malformed(f"class {node['class']!r} is not a Param class")
        try:
            p = self._remember(node, cls.__new__(cls))
        except Exception as e:
            raise Malformed(f"class {node['class']!r} cannot be rebuilt ({e})") from None
        value = self.decode(node["value"])
        if not isinstance(value, self.array_types) or value.dtype.kind not in "biufc":
            raise Malformed(f"a Param's value must be a numeric array, not {_what(value)}")
        opt = self.decode(node["opt"])
        if opt is not None and not is_registered(type(opt)):
            raise Malformed(
                f"a Param's opt must be None or an object of a registered class, not {_what(opt)}"
            )
        ag.Param.__init__(p, value, opt)
        return p

    def _object(self, node: dict[str, Any]) -> Any:
        cls = lookup_class(node["class"])
        obj = self._remember(node, _blank(cls, node["class"]))
        state = dict(self._pairs(node["state"]))
        problem = check_fields(cls, state)
        if problem is not None:
            raise Malformed(problem)
        for name, value in state.items():
            if hasattr(getattr(cls, name, None), "__set__"):
                _set_checked(obj, name, value)  # a validating attribute checks the value
            else:
                obj.__dict__[name] = value
        return obj


def _blank(cls: Any, name: str) -> Any:
    """A new instance of the registered class ``cls`` with no attributes yet."""
    if not isinstance(cls, type):
        raise Malformed(f"{name!r} names a registered {type(cls).__name__}, not a class")
    if issubclass(cls, ag.Param):
        raise Malformed(f"class {name!r} is a Param class, saved as a 'param' entry")
    try:
        obj = cls.__new__(cls)
    except Exception as e:
        raise Malformed(f"class {name!r} cannot be rebuilt without arguments ({e})") from None
    if not isinstance(getattr(obj, "__dict__", None), dict):
        raise Malformed(f"class {name!r} cannot be rebuilt: its objects have no __dict__")
    return obj


def _set_checked(obj: Any, name: str, value: Any) -> None:
    try:
        setattr(obj, name, value)
    except (TypeError, ValueError, AttributeError) as e:
        raise Malformed(f"{type(obj).__qualname__}.{name}: {e}") from None


def _hashable(k: Any) -> bool:
    try:
        hash(k)
    except TypeError:
        return False
    return True


def _what(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype}"
    return f"a {type(x).__module__}.{type(x).__qualname__}"


_BY_KIND: dict[str, Callable[[Decoder, dict[str, Any]], Any]] = {
    "float": Decoder._float,
    "complex": Decoder._complex,
    "scalar": Decoder._scalar,
    "dtype": Decoder._dtype,
    "array": Decoder._array,
    "tuple": Decoder._tuple,
    "list": Decoder._list,
    "dict": Decoder._dict,
    "param": Decoder._param,
    "object": Decoder._object,
}
