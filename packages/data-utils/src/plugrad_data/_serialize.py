"""Knet's save/load: one safetensors file, a JSON value tree in its metadata, never pickle.

The format is described in ``_format``; ``_encode`` and ``_decode`` turn values into the
tree and back; ``_atomic`` writes the file.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from ._atomic import atomic_write
from ._decode import Decoder, TooDeep, safetensors_failed, scan
from ._encode import Encoder, Unsaveable
from ._errors import FileFormatError
from ._format import FORMAT, FORMAT_VERSION, Malformed, checksum

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "save"]


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
    ``format="plugrad"``, ``version``, ``tree`` (a JSON description of the values that
    refers to tensors by key and carries each tensor's checksum) and ``checksum`` (of the
    tree). The write goes to ``.<name>.plugrad-tmp-<pid>-<random>`` in the same folder, is
    flushed and fsynced, then renamed over ``path``: a crash leaves the old file intact, and
    the next save to ``path`` removes temp files whose process has ended.

    Raises:
        TypeError: a value of a type that cannot be saved, values nested more than
            ``MAX_DEPTH`` (64) levels deep, or an object that breaks its class's declared
            fields (the message names where it is).

    Example:
        >>> import os, tempfile, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "run.safetensors")
        >>> save(path, w=np.arange(3.0), epoch=4, names=["a", "b"])
        >>> load(path, "epoch", "names")
        (4, ['a', 'b'])
    """
    enc = Encoder()
    tree = {}
    for name, value in named.items():
        try:
            tree[name] = enc.encode(value, name)
        except Unsaveable as e:
            raise TypeError(f"save: {e} (nothing was written to {os.fspath(path)})") from None
    text = json.dumps(tree, separators=(",", ":"), allow_nan=False)
    metadata = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "tree": text,
        "checksum": checksum(text),
    }
    # safetensors 0.4.0 writes an unreadable header for metadata without any tensor
    tensors = enc.tensors or {"empty": np.zeros(0, dtype=np.uint8)}
    atomic_write(path, safetensors.numpy.save(tensors, metadata=metadata))


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


def _version(meta: dict[str, str]) -> int:
    if meta.get("format") != FORMAT:
        raise Malformed(
            "not a plugrad save file: a safetensors file without plugrad metadata (read "
            "its tensors with safetensors.numpy.load_file)"
        )
    text = meta.get("version", "")
    if not (text.isascii() and text.isdigit() and len(text) < 6 and int(text) >= 1):
        raise Malformed(f"bad format version {text!r:.20}")
    version = int(text)
    if version > FORMAT_VERSION:
        raise Malformed(
            f"written in plugrad format version {version}, newer than the {FORMAT_VERSION} "
            "this plugrad-data reads; upgrade plugrad-data"
        )
    return version


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise Malformed(f"a JSON object in the value tree repeats the key {key!r:.40}")
            seen.add(key)
    return out


def _tree(meta: dict[str, str], version: int) -> dict[str, Any]:
    text = meta.get("tree", "")
    if version >= 2 and meta.get("checksum") != checksum(text):
        raise Malformed("the value tree fails its checksum: the file is corrupted")
    try:
        tree = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as e:
        raise Malformed(f"malformed value tree ({type(e).__name__}: {e})") from None
    if not isinstance(tree, dict):
        raise Malformed("malformed value tree (not a JSON object)")
    return tree


def _values(handle: Any, path: str, names: tuple[str, ...], device: Any) -> dict[str, Any]:
    try:
        meta = handle.metadata() or {}
    except BaseException as e:
        raise safetensors_failed(e, "the metadata") from None
    version = _version(meta)
    tree = _tree(meta, version)
    for name in names:
        if name not in tree:
            raise KeyError(f"load: {name!r} is not in {path}; it holds {sorted(tree)}")
    defs = scan(tree, version)
    if names:
        # only what was asked for; a reference into a value not asked for may nest deeper
        # than the file's own order does, so on hitting the cap decode in the file's order
        try:
            dec = Decoder(handle, device, defs, version)
            return {name: dec.decode(tree[name]) for name in dict.fromkeys(names)}
        except TooDeep:
            pass
    dec = Decoder(handle, device, defs, version)
    return {name: dec.decode(node) for name, node in tree.items()}


def load(path: str | os.PathLike[str], /, *names: str, device: Any = None) -> Any:
    """Knet's ``load``: all values as a dict, one value, or a tuple of values.

    ``load(path)`` returns ``{name: value}``, ``load(path, "a")`` the value saved as ``a``,
    ``load(path, "a", "b")`` the tuple ``(a, b)``. Arrays come back with their dtype on
    ``device`` (a backend name), or on the default backend when None: arrays saved from a GPU
    load on the CPU where the CPU is the default. Objects are rebuilt only from classes
    registered with ``plugrad_autograd.serializable`` (``cls.__new__`` plus the saved
    attributes; ``__init__`` is not called). To find a class not registered yet, only the
    installed plugrad components and ``plugrad`` entry-point packages are imported, never a
    module named by the file: import your own modules before loading. Nothing in the file
    is ever executed or unpickled.

    Every tensor's and the tree's checksum is verified (format 2; format-1 files have
    none), every node is checked against the format's schema and rebuilt objects against
    their class's declared fields; shared values are rebuilt once and nesting is capped, so
    the cost stays proportional to the file's size.

    Raises:
        FileNotFoundError: no file at ``path``.
        FileFormatError: (a ``ValueError``) the file is truncated, corrupted (a checksum
            does not match), not safetensors, not a plugrad file, written by a newer format
            version, malformed, nested too deeply, or names a class that is not
            registered.
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
    except BaseException as e:  # SafetensorError, or a panic (a BaseException)
        problem = str(safetensors_failed(e, "it"))
        hint = _sniff(path) or (
            f"not a valid safetensors file ({e})" if isinstance(e, Exception) else problem
        )
        raise FileFormatError(path, f"not a plugrad save file: {hint}") from None
    try:
        with handle_cm as handle:
            values = _values(handle, path, names, device)
    except Malformed as e:
        raise FileFormatError(path, str(e)) from None
    if not names:
        return values
    return values[names[0]] if len(names) == 1 else tuple(values[n] for n in names)
