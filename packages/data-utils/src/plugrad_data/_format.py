"""The plugrad file format's constants, node schema, dtype rules and checksums.

A save file is a safetensors file whose metadata holds ``format="plugrad"``, ``version``,
``tree`` (a JSON value tree that refers to tensors by key) and, from version 2,
``checksum`` (of the tree text); each array and scalar node carries ``sum``, the
checksum of its tensor's bytes as stored.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

FORMAT = "plugrad"
FORMAT_VERSION = 2
#: The deepest nesting of values (lists, dicts, objects, Params...) that save writes and
#: load reads: it bounds the decoder's stack whatever the file holds.
MAX_DEPTH = 64
MAX_DIMS = 32  # numpy's own limit is 64; no saved array needs more
_MAX_ID = 2**53


class Malformed(Exception):
    """A problem in the file's content; ``load`` turns it into a FileFormatError."""


def checksum(data: Any) -> str:
    """The 64-bit checksum of a buffer: the first 8 bytes of its SHA-256, as 16 hex digits.

    SHA-256 runs in hardware on current CPUs (through OpenSSL), several times faster than
    hashlib's BLAKE2 there; 64 bits make an undetected corruption a 1 in 2**64 event.

    Example:
        >>> checksum(b"")
        'e3b0c44298fc1c14'
    """
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()[:16]


# dtypes every supported safetensors version stores as such; others go in as raw bytes
NATIVE = frozenset(
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
DTYPE_NAME = re.compile(r"(bool|u?int(8|16|32|64)|float(16|32|64|96|128)|complex(64|128|192|256))")
RAW_DTYPE = re.compile(r"[<>|=]?[biufc](1|2|4|8|12|16|24|32)")
_SUM = re.compile(r"[0-9a-f]{16}")


def dtype(text: Any, pattern: re.Pattern[str] = DTYPE_NAME) -> np.dtype:
    """The numeric dtype named by ``text``, or Malformed."""
    if not isinstance(text, str) or not pattern.fullmatch(text):
        raise Malformed(f"dtype {text!r:.40} is not a numeric dtype")
    try:
        return np.dtype(text)
    except TypeError:
        raise Malformed(f"dtype {text!r} is not available on this machine") from None


def _is_int(v: Any) -> bool:
    return type(v) is int


def _is_id(v: Any) -> bool:
    return type(v) is int and 0 <= v < _MAX_ID


def _is_shape(v: Any) -> bool:
    return (
        type(v) is list and len(v) <= MAX_DIMS and all(type(s) is int and 0 <= s < 2**62 for s in v)
    )


def _is_number(v: Any) -> bool:
    return type(v) in (int, float) or (type(v) is dict and v.get("$") == "float")


def _is_sum(v: Any) -> bool:
    return type(v) is str and _SUM.fullmatch(v) is not None


_STR = (lambda v: type(v) is str, "a string")
_LIST = (lambda v: type(v) is list, "a list")
_ID = (_is_id, "a non-negative integer")
_SHAPE = (_is_shape, f"a list of at most {MAX_DIMS} non-negative integers")
_NUMBER = (_is_number, "a number")
_TENSOR = {"tensor": _STR, "dtype": _STR, "shape": _SHAPE, "sum": (_is_sum, "16 hex digits")}
_ANY = (lambda v: True, "")

# kind -> {field: (check, what it must be)}; the (kind, field) pairs in OPTIONAL may be absent
FIELDS: dict[str, dict[str, tuple[Any, str]]] = {
    "float": {"v": (lambda v: v in ("nan", "inf", "-inf"), "'nan', 'inf' or '-inf'")},
    "complex": {"re": _NUMBER, "im": _NUMBER},
    "scalar": {**_TENSOR, "raw": _STR},
    "dtype": {"v": _STR, "type": (lambda v: type(v) is bool, "true or false")},
    "array": {"id": _ID, "backend": _STR, **_TENSOR, "raw": _STR},
    "param": {"id": _ID, "value": _ANY, "opt": _ANY, "class": _STR},
    "tuple": {"items": _LIST},
    "list": {"id": _ID, "items": _LIST},
    "dict": {"id": _ID, "items": _LIST},
    "object": {"id": _ID, "class": _STR, "state": _LIST},
    "ref": {"id": _ID},
}
# an array's backend is informational (arrays load on the device load is given)
OPTIONAL = frozenset(
    {("scalar", "raw"), ("array", "raw"), ("array", "backend"), ("param", "class")}
)
#: The kinds that define an object other nodes may refer to by ``id``.
SHARED = frozenset({"array", "param", "list", "dict", "object"})


def check_node(node: dict[str, Any], version: int) -> str:
    """The node's kind, after checking its fields' names and types (else Malformed)."""
    kind = node.get("$")
    fields = FIELDS.get(kind) if type(kind) is str else None
    if fields is None:
        raise Malformed(f"unknown value kind {kind!r:.40} in the value tree")
    for name in node:
        if name != "$" and (name not in fields or (version < 2 and name == "sum")):
            hint = " (format-1 files have no checksums)" if name == "sum" else ""
            raise Malformed(f"a {kind!r} entry has an unknown field {name!r:.40}{hint}")
    for name, (ok, what) in fields.items():
        if name not in node:
            if (kind, name) in OPTIONAL or (version < 2 and name == "sum"):
                continue
            raise Malformed(f"a {kind!r} entry lacks its field {name!r}")
        if not ok(node[name]):
            raise Malformed(
                f"malformed {kind!r} entry: {name!r} must be {what}, not {node[name]!r:.40}"
            )
    return kind
