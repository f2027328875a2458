"""Knet's save/load: one safetensors file, a JSON value tree in its metadata, never pickle."""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import safetensors
import safetensors.numpy

import plugrad_autograd as ag
import plugrad_backends as B

from ._errors import FileFormatError

FORMAT = "plugrad"
FORMAT_VERSION = 1

# dtypes every supported safetensors version stores as such; others go in as raw bytes
_NATIVE = frozenset(
    np.dtype(t)
    for t in (
        "bool",
        "uint8",
        "int8",
        "uint16",
        "int16",
        "uint32",
        "int32",
        "uint64",
        "int64",
        "float16",
        "float32",
        "float64",
    )
)
_KEY_TYPES = (str, int, float, bool, type(None), tuple)
_DTYPE_NAME = re.compile(r"(bool|u?int(8|16|32|64)|float(16|32|64|96|128)|complex(64|128|192|256))")
_RAW_DTYPE = re.compile(r"[<>|=]?[biufc](1|2|4|8|12|16|24|32)")


def _dtype(text: Any, pattern: re.Pattern[str]) -> np.dtype:
    if not isinstance(text, str) or not pattern.fullmatch(text):
        raise _Malformed(f"dtype {text!r} is not a numeric dtype")
    try:
        return np.dtype(text)
    except TypeError:
        raise _Malformed(f"dtype {text!r} is not available on this machine") from None


def _array_types() -> tuple[type, ...]:
    types: list[type] = []
    for name in B.registered():
        with contextlib.suppress(B.BackendError):
            types.extend(B.get(name).array_types)
    return tuple(t for t in types if not issubclass(t, np.generic))


class _Malformed(Exception):
    pass


class _Unsaveable(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"cannot save {where}: {problem}")


def _is_registered(cls: type) -> bool:
    return ag.serializable_class(ag.serializable_name(cls)) is cls


class _Encoder:
    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps encoded objects alive so that their ids stay unique
        self.array_types = _array_types()

    def _tensor(self, host: np.ndarray, where: str) -> tuple[str, dict[str, Any]]:
        key = f"t{len(self.tensors)}"
        dtype = host.dtype
        if dtype.kind not in "biufc":
            raise _Unsaveable(where, f"arrays of dtype {dtype} cannot be saved (numbers only)")
        info: dict[str, Any] = {"dtype": dtype.newbyteorder("=").name, "shape": list(host.shape)}
        little = np.asarray(host, dtype=dtype.newbyteorder("<"), order="C")
        if dtype.newbyteorder("=") in _NATIVE:
            self.tensors[key] = little
        else:
            info["raw"] = little.dtype.str
            self.tensors[key] = little.reshape(-1).view(np.uint8)
        return key, info

    def _memo(self, x: Any) -> tuple[bool, int]:
        known = self.ids.get(id(x))
        if known is not None:
            return True, known
        n = self.ids[id(x)] = len(self.ids)
        self.keep.append(x)
        return False, n

    def encode(self, x: Any, where: str) -> Any:
        t = type(x)
        if x is None or t in (bool, int, str):
            return x
        if t is float:
            if math.isfinite(x):
                return x
            return {"$": "float", "v": repr(x)}
        if t is complex:
            return {
                "$": "complex",
                "re": self.encode(x.real, where),
                "im": self.encode(x.imag, where),
            }
        if isinstance(x, np.generic):
            if not isinstance(x, (np.number, np.bool_)):
                raise _Unsaveable(where, f"numpy scalars of dtype {x.dtype} cannot be saved")
            key, info = self._tensor(np.asarray(x), where)
            return {"$": "scalar", "tensor": key, **info}
        if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
            dt = np.dtype(x)
            if dt.kind not in "biufc":
                raise _Unsaveable(where, f"numpy dtype {dt} cannot be saved (numbers only)")
            return {"$": "dtype", "v": dt.name, "type": not isinstance(x, np.dtype)}
        if isinstance(x, ag.Param):
            seen, n = self._memo(x)
            if seen:
                return {"$": "ref", "id": n}
            node = {
                "$": "param",
                "id": n,
                "value": self.encode(x.value, f"{where}.value"),
                "opt": self.encode(x.opt, f"{where}.opt"),
            }
            if t is not ag.Param:
                if not _is_registered(t):
                    raise _Unsaveable(where, _unregistered(t))
                node["class"] = ag.serializable_name(t)
            return node
        if isinstance(x, self.array_types):
            seen, n = self._memo(x)
            if seen:
                return {"$": "ref", "id": n}
            key, info = self._tensor(B.to_host(x), where)
            return {"$": "array", "id": n, "tensor": key, "backend": B.of(x).name, **info}
        if t is tuple:
            return {
                "$": "tuple",
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)],
            }
        if t is list:
            seen, n = self._memo(x)
            if seen:
                return {"$": "ref", "id": n}
            return {
                "$": "list",
                "id": n,
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)],
            }
        if t is dict:
            seen, n = self._memo(x)
            if seen:
                return {"$": "ref", "id": n}
            return {"$": "dict", "id": n, "items": self._items(x, where)}
        if _is_registered(t):
            seen, n = self._memo(x)
            if seen:
                return {"$": "ref", "id": n}
            state = getattr(x, "__dict__", None)
            if state is None:
                raise _Unsaveable(where, f"registered class {t.__qualname__} has no __dict__")
            return {
                "$": "object",
                "id": n,
                "class": ag.serializable_name(t),
                "state": self._items(state, where, attrs=True),
            }
        raise _Unsaveable(where, _unregistered(t))

    def _items(self, d: dict[Any, Any], where: str, attrs: bool = False) -> list[Any]:
        items = []
        for k, v in d.items():
            if not isinstance(k, _KEY_TYPES) or (
                isinstance(k, tuple) and not all(isinstance(e, _KEY_TYPES) for e in k)
            ):
                raise _Unsaveable(
                    where,
                    f"a dict key of type {type(k).__name__}; keys must be str, int, float, "
                    "bool, None or tuples of them",
                )
            sub = f"{where}.{k}" if attrs else f"{where}[{k!r}]"
            items.append([self.encode(k, where), self.encode(v, sub)])
        return items


def _unregistered(t: type) -> str:
    return (
        f"a value of type {t.__module__}.{t.__qualname__}; save arrays, "
        "Params, plain values (None, bool, int, float, complex, str, list, tuple, dict, numpy "
        "scalars and dtypes) and objects of classes registered with "
        "@plugrad_autograd.serializable"
    )


def save(path: str | os.PathLike[str], /, **named: Any) -> None:
    """Knet's ``save``: write named values to one safetensors file, atomically.

    Values may be arrays of any backend (saved from host copies, with their dtype and
    backend name), Params (with their ``opt``), objects of classes registered with
    ``plugrad_autograd.serializable`` (models, optimizers: saved as their ``__dict__``,
    recursively) and plain values: None, bool, int, float, complex, str, lists, tuples,
    dicts (keys: str, int, float, bool, None or tuples of them), numpy scalars and dtypes.
    An object reached twice (a Param shared by two layers, one array, a list) is stored once
    and comes back shared; cycles through lists, dicts and objects are kept.

    The file is a safetensors file whose tensors hold the arrays and whose metadata holds
    ``format="plugrad"``, ``version`` and ``tree``, a JSON description of the values that
    refers to tensors by key. The write goes to a temporary file in the same folder, is
    flushed and fsynced, then renamed over ``path``: a crash leaves the old file intact.

    Raises:
        TypeError: a value of a type that cannot be saved (the message names where it is).

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "run.safetensors")
        >>> save(path, w=np.arange(3.0), epoch=4, names=["a", "b"])
        >>> load(path, "epoch", "names")
        (4, ['a', 'b'])
    """
    enc = _Encoder()
    tree = {}
    for name, value in named.items():
        try:
            tree[name] = enc.encode(value, name)
        except _Unsaveable as e:
            raise TypeError(f"save: {e} (nothing was written to {os.fspath(path)})") from None
        except RecursionError:
            raise TypeError(f"save: {name!r} is nested too deeply to save") from None
    metadata = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "tree": json.dumps(tree, separators=(",", ":"), allow_nan=False),
    }
    # safetensors 0.4.0 writes an unreadable header for metadata without any tensor
    tensors = enc.tensors or {"empty": np.zeros(0, dtype=np.uint8)}
    _atomic_write(path, safetensors.numpy.save(tensors, metadata=metadata))


def _write_payload(f: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    step = 1 << 24
    for i in range(0, len(view), step):
        f.write(view[i : i + step])


_umask: int | None = None


def _new_file_mode() -> int:
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)
        os.umask(_umask)
    return 0o666 & ~_umask


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    target = os.path.abspath(os.fspath(path))
    folder, base = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder {folder!r} does not exist")
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_payload(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # make the rename itself durable; not every platform can open a folder
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _lookup_class(name: str) -> type:
    cls = ag.serializable_class(name)
    parts = name.split(".")
    if cls is None and parts[0].startswith("plugrad"):
        # plugrad's own packages register their classes when imported; nothing else is
        # imported, so a file cannot make load run code from an arbitrary module
        for i in range(len(parts) - 1, 0, -1):
            try:
                importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            break
        cls = ag.serializable_class(name)
    if cls is None:
        raise _Malformed(
            f"it names class {name!r}, which is not registered with "
            "@plugrad_autograd.serializable; import the module that defines and registers "
            "it before calling load (only modules of packages named plugrad* are imported "
            "automatically)"
        )
    return cls


class _Decoder:
    def __init__(self, handle: Any, device: Any, defs: dict[int, Any]) -> None:
        self.handle = handle
        self.keys = set(handle.keys())
        self.device = B.get(device)
        self.defs = defs
        self.built: dict[int, Any] = {}

    def _host(self, node: dict[str, Any]) -> np.ndarray:
        key = node.get("tensor")
        if key not in self.keys:
            raise _Malformed(f"it refers to a tensor {key!r} that is not in the file")
        try:
            t = self.handle.get_tensor(key)
        except Exception as e:  # safetensors raises its own error type
            raise _Malformed(f"tensor {key!r} cannot be read ({e})") from None
        dtype = _dtype(node.get("dtype"), _DTYPE_NAME)
        shape = tuple(int(s) for s in node["shape"])
        if any(s < 0 for s in shape):
            raise _Malformed(f"negative dimension in the shape {shape} of tensor {key!r}")
        if "raw" in node:
            raw = _dtype(node["raw"], _RAW_DTYPE)
            if t.dtype != np.uint8:
                raise _Malformed(f"tensor {key!r} should hold raw bytes, it is {t.dtype}")
            if t.size != raw.itemsize * math.prod(shape):
                raise _Malformed(f"tensor {key!r} holds {t.size} bytes, not {shape} {raw}")
            return np.frombuffer(t.tobytes(), dtype=raw).reshape(shape).astype(dtype)
        if t.dtype != dtype or t.shape != shape:
            raise _Malformed(
                f"tensor {key!r} is {t.dtype} {t.shape}, the tree says {dtype} {shape}"
            )
        return t

    def _remember(self, node: dict[str, Any], obj: Any) -> Any:
        self.built[node["id"]] = obj
        return obj

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or not isinstance(node.get("$"), str):
            raise _Malformed(f"unexpected value {node!r:.60} in the value tree")
        kind = node["$"]
        if kind != "ref" and node.get("id") in self.built:
            # already rebuilt through a reference from a value loaded earlier
            return self.built[node["id"]]
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_d_{kind}", None)
        if handler is None:
            raise _Malformed(f"unknown value kind {kind!r} in the value tree")
        try:
            return handler(node)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            raise _Malformed(f"malformed {kind!r} entry in the value tree ({e!r})") from None

    def _d_float(self, node: dict[str, Any]) -> float:
        if node["v"] not in ("nan", "inf", "-inf"):
            raise _Malformed(f"bad float {node['v']!r}")
        return float(node["v"])

    def _d_complex(self, node: dict[str, Any]) -> complex:
        return complex(float(self.decode(node["re"])), float(self.decode(node["im"])))

    def _d_scalar(self, node: dict[str, Any]) -> Any:
        return self._host(node)[()]

    def _d_dtype(self, node: dict[str, Any]) -> Any:
        dt = _dtype(node["v"], _DTYPE_NAME)
        return dt.type if node.get("type") else dt

    def _d_array(self, node: dict[str, Any]) -> Any:
        host = self._host(node)
        return self._remember(node, B.array(host, device=self.device, dtype=host.dtype))

    def _d_ref(self, node: dict[str, Any]) -> Any:
        n = node["id"]
        if n in self.built:
            return self.built[n]
        if n not in self.defs:
            raise _Malformed(f"it refers to object #{n}, which the file does not define")
        return self.decode(self.defs[n])

    def _d_tuple(self, node: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(self.decode(v) for v in node["items"])

    def _d_list(self, node: dict[str, Any]) -> list[Any]:
        out: list[Any] = self._remember(node, [])
        out.extend(self.decode(v) for v in node["items"])
        return out

    def _pairs(self, items: list[Any]) -> list[tuple[Any, Any]]:
        return [(self.decode(k), self.decode(v)) for k, v in items]

    def _d_dict(self, node: dict[str, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = self._remember(node, {})
        out.update(self._pairs(node["items"]))
        return out

    def _d_param(self, node: dict[str, Any]) -> Any:
        cls = _lookup_class(node["class"]) if "class" in node else ag.Param
        if not (isinstance(cls, type) and issubclass(cls, ag.Param)):
            raise _Malformed(f"class {node['class']!r} is not a Param class")
        p = self._remember(node, cls.__new__(cls))
        ag.Param.__init__(p, self.decode(node["value"]), self.decode(node["opt"]))
        return p

    def _d_object(self, node: dict[str, Any]) -> Any:
        cls = _lookup_class(str(node["class"]))
        obj = self._remember(node, cls.__new__(cls))
        state = self._pairs(node["state"])
        if not all(isinstance(k, str) for k, _ in state):
            raise _Malformed(f"attribute names of a {node['class']} must be strings")
        obj.__dict__.update(state)
        return obj


def _collect_defs(node: Any, defs: dict[int, Any]) -> None:
    if isinstance(node, list):
        for v in node:
            _collect_defs(v, defs)
    elif isinstance(node, dict):
        if node.get("$") != "ref" and isinstance(node.get("id"), int):
            defs[node["id"]] = node
        for v in node.values():
            _collect_defs(v, defs)


def _sniff(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        return "the file is empty"
    if head[:1] == b"\x80":
        return "it looks like a Python pickle; plugrad never unpickles (loading would run code)"
    if head[:4] == b"PK\x03\x04":
        return "it looks like a zip archive (e.g. torch.save), not a plugrad save file"
    if head[:2] == b"\x1f\x8b":
        return "it is gzip-compressed; plugrad save files are uncompressed safetensors"
    return ""


def load(path: str | os.PathLike[str], /, *names: str, device: Any = None) -> Any:
    """Knet's ``load``: all values as a dict, one value, or a tuple of values.

    ``load(path)`` returns ``{name: value}``, ``load(path, "a")`` the value saved as ``a``,
    ``load(path, "a", "b")`` the tuple ``(a, b)``. Arrays come back with their dtype on
    ``device`` (a backend name), or on the default backend when None: arrays saved from a GPU
    load on the CPU where the CPU is the default. Objects are rebuilt only from classes
    registered with ``plugrad_autograd.serializable`` (``cls.__new__`` plus the saved
    attributes; ``__init__`` is not called). A class that is not registered yet is looked
    for by importing its module only when the module's top-level package name starts with
    ``plugrad``; import other modules yourself before loading. Nothing in the file is ever
    executed or unpickled.

    Raises:
        FileNotFoundError: no file at ``path``.
        FileFormatError: (a ``ValueError``) the file is truncated, not safetensors, not a
            plugrad file, written by a newer format version, malformed, or names a class
            that is not registered.
        KeyError: a requested name is not in the file (the message lists the names).

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save(path, w=np.float32([1, 2]), lr=0.1)
        >>> d = load(path); sorted(d), d["w"].dtype
        (['lr', 'w'], dtype('float32'))
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load: no file {path!r}")
    try:
        handle_cm = safetensors.safe_open(path, framework="numpy")
    except Exception as e:  # safetensors raises its own error type (SafetensorError)
        hint = _sniff(path)
        raise FileFormatError(
            path, f"not a plugrad save file: {hint or f'not a valid safetensors file ({e})'}"
        ) from None
    with handle_cm as handle:
        meta = handle.metadata() or {}
        if meta.get("format") != FORMAT:
            raise FileFormatError(
                path,
                "not a plugrad save file: a safetensors file without plugrad metadata (read "
                "its tensors with safetensors.numpy.load_file)",
            )
        try:
            version = int(meta.get("version", ""))
        except ValueError:
            raise FileFormatError(path, f"bad format version {meta.get('version')!r}") from None
        if version < 1:
            raise FileFormatError(path, f"bad format version {version}")
        if version > FORMAT_VERSION:
            raise FileFormatError(
                path,
                f"written in plugrad format version {version}, newer than the {FORMAT_VERSION} "
                "this plugrad-data reads; upgrade plugrad-data",
            )
        try:
            tree = json.loads(meta.get("tree", ""))
        except (ValueError, RecursionError) as e:
            raise FileFormatError(path, f"malformed value tree ({e})") from None
        if not isinstance(tree, dict):
            raise FileFormatError(path, "malformed value tree (not a JSON object)")
        for name in names:
            if name not in tree:
                raise KeyError(f"load: {name!r} is not in {path}; it holds {sorted(tree)}")
        try:
            defs: dict[int, Any] = {}
            _collect_defs(tree, defs)
            dec = _Decoder(handle, device, defs)
            if not names:
                return {name: dec.decode(node) for name, node in tree.items()}
            values = tuple(dec.decode(tree[name]) for name in names)
        except _Malformed as e:
            raise FileFormatError(path, str(e)) from None
        except RecursionError:
            raise FileFormatError(path, "the value tree is nested too deeply") from None
    return values[0] if len(names) == 1 else values
