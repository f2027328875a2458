"""A corpus of hostile files: each load ends with a value or a FileFormatError, in bounds.

The corpus is generated from a few real save files (seeded, so it is the same on every
run): bit flips, truncations, edits of the value tree (keys renamed or deleted, values
replaced, ids re-pointed, nodes duplicated, kinds changed) with a correct tree checksum,
edits of the safetensors header, reference cycles, deep nesting, huge shapes, tensors
shared between values and references that double at each level. A subprocess loads them
one by one and reports each outcome, its time and its memory peak.

The bounds are not speed assertions: they are far above what a linear decoder needs on a
loaded machine, and far below what an exponential one or a decoder that multiplies a
tensor would take.
"""

from __future__ import annotations

import copy
import json
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import datautils_helpers as h
import numpy as np
from hostile_helpers import crafted, read, write_tree

import plugrad_autograd as ag
import plugrad_nn as nn
import plugrad_optim as optim
from plugrad_data import save

HERE = Path(__file__).parent
SECONDS_PER_LOAD = 5.0  # a linear decoder needs milliseconds for these files
PEAK_BYTES_PER_LOAD = 64 << 20  # the files are under 200 KB
RSS_GROWTH_KIB = 512 << 10
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64,
    int("9" * 400),
    1e308,
    float("inf"),
    float("nan"),
    "",
    "x",
    "float64",
    "t0",
    [],
    [1, [2]],
    {},
    {"$": "ref", "id": 0},
    {"$": "ref", "id": [1]},
    {"$": "list", "id": 0, "items": []},
    {"$": "tuple", "items": [{"$": "ref", "id": 1}]},
    {"$": "float", "v": "1e999"},
    [2**62, 2**62],
    [0, 2**61],
    [-1],
]


def _base_files(folder: Path) -> list[Path]:
    model = h.Linear(3, 2, seed=1)
    x, y = h.dataset(8)
    h.train(model, iter([(x[:4], y[:4, :1].repeat(2, 1))] * 3), 3)
    model.self_ref = model
    model.meta = {"name": "lin", (1, "x"): [model.w], 2.5: (None, 1 + 2j)}
    shared = np.arange(12.0).reshape(3, 4)
    paths = [folder / f"base{i}.safetensors" for i in range(3)]
    save(
        paths[0],
        model=model,
        a=shared,
        b=[shared, np.float32(1.5), np.dtype("int8"), np.float64],
        raw=np.array([1 + 2j], np.complex64),
        ld=np.array([0.5], np.longdouble),
        inf=float("-inf"),
    )
    net = nn.Sequential(nn.Dense(4, 3, activation="relu"), nn.Dense(3, 2))
    for p in ag.params(net):
        p.opt = optim.Adam(lr=0.01)
    save(paths[1], net=net, epoch=3, names=("a", "b"))
    save(paths[2], w=np.arange(5, dtype=np.int16), cfg={"lr": 0.1, "n": [1, 2, 3]})
    return paths


def _nodes(tree: Any) -> list[Any]:
    """Every dict and list inside ``tree`` (the places an edit can land)."""
    out, stack = [], [tree]
    while stack:
        v = stack.pop()
        if isinstance(v, (dict, list)):
            out.append(v)
            stack.extend(v.values() if isinstance(v, dict) else v)
    return out


def _edit_tree(tree: dict[str, Any], rng: random.Random) -> None:
    target = rng.choice(_nodes(tree)[1:] or [tree])
    ids = [n["id"] for n in _nodes(tree) if isinstance(n, dict) and isinstance(n.get("id"), int)]
    what = rng.randrange(7)
    if isinstance(target, list):
        if target and what < 3:
            target[rng.randrange(len(target))] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif target:
            target.append(copy.deepcopy(rng.choice(target)))  # a duplicate entry
        return
    if not target:
        target["$"] = rng.choice(["list", "ref"])
        return
    key = rng.choice(list(target))
    if what == 0:
        del target[key]
    elif what == 1:
        target[key + rng.choice(["x", "_", "s"])] = target.pop(key)  # renamed
    elif what == 2 and ids:
        target["id"] = rng.choice(ids)  # re-pointed (or made a definition twice)
    elif what == 3:
        target["$"] = rng.choice(["array", "list", "tuple", "param", "object", "ref", "dict"])
    elif what == 4 and "tensor" in target:
        target["tensor"] = rng.choice(["t0", "t1", "t2", "empty", "t99"])
    elif what == 5 and "shape" in target:
        target["shape"] = copy.deepcopy(rng.choice(ODD_VALUES))
    else:
        target[key] = copy.deepcopy(rng.choice(ODD_VALUES))


def _edit_header(data: bytes, rng: random.Random) -> bytes:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    entries = [k for k in header if k != "__metadata__"]
    entry = header[rng.choice(entries)]
    field = rng.choice(["dtype", "shape", "data_offsets"])
    entry[field] = rng.choice(
        [
            "F32",
            "U8",
            "C64",
            "BF16",
            [2**40],
            [0],
            [1, 2**31, 2**31],
            [0, 2**63],
            [8, 0],
            entry[field],
        ]
    )
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


def _crafted_cases(folder: Path) -> None:
    """Cycles, deep nesting, huge shapes, shared tensors and doubling references."""
    t = {"t0": np.arange(4.0)}
    arr = {"$": "array", "tensor": "t0", "backend": "cpu", "dtype": "float64", "shape": [4]}
    cases: dict[str, Any] = {
        "cycle_list": {"x": {"$": "list", "id": 0, "items": [{"$": "ref", "id": 0}]}},
        "cycle_tuple": {
            "x": {"$": "list", "id": 0, "items": [{"$": "tuple", "items": [{"$": "ref", "id": 0}]}]}
        },
        "cycle_key": {"x": {"$": "dict", "id": 0, "items": [[{"$": "ref", "id": 0}, 1]]}},
        "cycle_param": {"x": {"$": "param", "id": 0, "value": {"$": "ref", "id": 0}, "opt": None}},
        "cycle_object": {
            "x": {
                "$": "object",
                "id": 0,
                "class": "datautils_helpers.Linear",
                "state": [["me", {"$": "ref", "id": 0}]],
            }
        },
        "ref_to_nothing": {"x": {"$": "ref", "id": 7}},
        "huge_shape": {"x": {**arr, "id": 0, "shape": [2**61]}},
        "huge_raw": {"x": {**arr, "id": 0, "shape": [2**31, 2**31], "raw": "<f8"}},
        "scalar_shape": {"x": {**arr, "$": "scalar", "shape": [4]}},
        "shared_tensor": {f"x{i}": {**arr, "id": i} for i in range(50)},
    }
    for kind in ("list", "tuple", "dict", "object"):
        defs = [{"$": "list", "id": 0, "items": [1.0]}]
        for k in range(1, 31):
            two = [{"$": "ref", "id": k - 1}] * 2
            node = {"$": kind, "id": k, "items": two}
            if kind == "dict":
                node["items"] = [["a", two[0]], ["b", two[1]]]
            if kind == "object":
                node = {"$": "object", "id": k, "class": "datautils_helpers.Linear",
                        "state": [["a", two[0]], ["b", two[1]]]}  # fmt: skip
            defs.append(node)
        cases[f"doubling_{kind}"] = {"x": {"$": "list", "id": 31, "items": defs}}
    for name, tree in cases.items():
        crafted(folder / f"crafted_{name}.safetensors", tree, dict(t))
    for depth in (10, 63, 64, 65, 300, 3000):  # as text: json.dumps would recurse
        for kind in ("list", "tuple", "dict"):
            opening = {
                "list": '{"$":"list","id":%d,"items":[',
                "tuple": '{"$":"tuple","items":[',
                "dict": '{"$":"dict","id":%d,"items":[["k",',
            }[kind]
            closing = "]]}" if kind == "dict" else "]}"
            text = "".join(opening.replace("%d", str(i)) for i in range(depth))
            text = '{"x":' + text + "1" + closing * depth + "}"
            write_tree(folder / f"crafted_deep_{kind}_{depth}.safetensors", text, dict(t))


def _corpus(folder: Path, work: Path) -> int:
    rng = random.Random(20261206)
    bases = _base_files(work)
    count = 0

    def out(data: bytes) -> None:
        nonlocal count
        (folder / f"case{count:04d}.safetensors").write_bytes(data)
        count += 1

    for base in bases:
        data = base.read_bytes()
        out(data)
        for _ in range(120):  # bit flips, one to three
            b = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            out(bytes(b))
        for _ in range(25):
            out(data[: rng.randrange(len(data))])
        for _ in range(25):
            out(_edit_header(data, rng))
        meta, tensors = read(base)
        for i in range(150):
            tree = json.loads(meta["tree"])
            for _ in range(rng.randint(1, 3)):
                _edit_tree(tree, rng)
            text = json.dumps(tree, allow_nan=True)
            edited = work / "edited.safetensors"
            write_tree(edited, text, tensors, **({"checksum": "0" * 16} if i % 10 == 0 else {}))
            out(edited.read_bytes())
    _crafted_cases(folder)
    return count


def test_hostile_files_load_or_fail_cleanly_within_bounds(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    n = _corpus(corpus, tmp_path)
    files = sorted(corpus.iterdir())
    assert n > 900 and len(files) > n
    proc = subprocess.run(
        [sys.executable, str(HERE / "load_fuzz_runner.py"), str(corpus)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(x) for x in proc.stdout.splitlines() if not x.startswith("start ")]
    records, summary = lines[:-1], lines[-1]
    assert len(records) == len(files)
    bare = [
        (r["name"], r["outcome"])
        for r in records
        if r["outcome"] not in ("value", "FileFormatError")
    ]
    assert bare == []
    slow = [(r["name"], r["seconds"]) for r in records if r["seconds"] > SECONDS_PER_LOAD]
    assert slow == []
    big = [(r["name"], r["peak"]) for r in records if r["peak"] > PEAK_BYTES_PER_LOAD]
    assert big == []
    assert summary["rss_growth_kib"] < RSS_GROWTH_KIB
    outcome = {r["name"]: r["outcome"] for r in records}
    # the real files load; the crafted ones that are valid load, the others are refused
    assert [outcome[f"case{i:04d}.safetensors"] for i in (0, 321, 642)] == ["value"] * 3
    assert outcome["crafted_cycle_list.safetensors"] == "value"
    assert outcome["crafted_doubling_list.safetensors"] == "value"
    assert outcome["crafted_deep_list_64.safetensors"] == "value"
    for name in ("cycle_param", "shared_tensor", "huge_shape", "doubling_tuple", "deep_list_65"):
        assert outcome[f"crafted_{name}.safetensors"] == "FileFormatError", name
