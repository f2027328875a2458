"""Build well-formed plugrad files around hand-written value trees, and edit saved ones.

A hostile file can always carry correct checksums (anyone can compute them), so these
helpers fill them in: the tests then probe the loader's checks beyond integrity.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from plugrad_data import FORMAT_VERSION


def digest(data: bytes | str) -> str:
    """The 64-bit checksum plugrad stores: the first 8 bytes of SHA-256, in hex."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _fill_sums(tree: Any, tensors: dict[str, np.ndarray]) -> None:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            key = node.get("tensor")
            if node.get("$") in ("array", "scalar") and "sum" not in node and key in tensors:
                node["sum"] = digest(np.ascontiguousarray(tensors[key]).tobytes())
            stack.extend(node.values())


def write_tree(path, tree_text: str, tensors: dict[str, np.ndarray], **meta: str) -> None:
    """Write ``tree_text`` (JSON) as the value tree of a plugrad file, with its checksum."""
    metadata = {
        "format": "plugrad",
        "version": str(FORMAT_VERSION),
        "tree": tree_text,
        "checksum": digest(tree_text),
    }
    metadata.update(meta)
    tensors = tensors or {"empty": np.zeros(0, dtype=np.uint8)}
    safetensors.numpy.save_file(tensors, str(path), metadata=metadata)


def crafted(path, tree: Any, tensors: dict[str, np.ndarray] | None = None, **meta: str) -> None:
    """A plugrad file holding ``tree``; tensor checksums are filled in where missing."""
    tensors = tensors or {}
    _fill_sums(tree, tensors)
    write_tree(path, json.dumps(tree), tensors, **meta)


def read(path) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    with safetensors.safe_open(str(path), "np") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
    return meta, tensors


def edited(source, dest, old: str, new: str) -> None:
    """Copy a save file, replacing text in its value tree (checksum kept valid)."""
    meta, tensors = read(source)
    assert old in meta["tree"], (old, meta["tree"])
    text = meta["tree"].replace(old, new)
    meta = {k: v for k, v in meta.items() if k not in ("tree", "checksum")}
    write_tree(dest, text, tensors, **meta)
