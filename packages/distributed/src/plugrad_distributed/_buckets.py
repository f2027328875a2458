"""Many arrays in a few messages: pack same-dtype arrays into flat buckets, reduce, unpack.

A step of data-parallel training reduces one gradient per Param. Sent one by one, a model of
many small Params pays the latency of a message for each; packed into buckets of up to
``bucket_bytes`` it pays it a few times. The plan (which array goes where) depends only on
the arrays' backends, dtypes and shapes; it is made once per layout and checked once
against every other rank's, so a rank whose model differs is an error, not a silent mix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import plugrad_backends
from plugrad_autograd import Param

from ._arrays import backend_name, check_dtype, check_op, wire
from ._world import count, world

#: Default bucket size: PyTorch DDP's 25 MiB. Each bucket is one allreduce.
DEFAULT_BUCKET_BYTES = 25 * 2**20

Layout = tuple[tuple[str, str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Bucket:
    """Arrays ``members`` (indices into the list) of one backend and dtype, packed flat."""

    backend: str
    dtype: np.dtype
    members: tuple[int, ...]
    offsets: tuple[int, ...]
    size: int


_plans: dict[tuple[Layout, int], list[Bucket]] = {}
_verified: set[tuple[Layout, int]] = set()


def layout_of(arrays: Sequence[Any]) -> Layout:
    """The (backend, dtype, shape) of every array: what a plan depends on."""
    return tuple((backend_name(a), a.dtype.str, tuple(a.shape)) for a in arrays)


def plan(layout: Layout, bucket_bytes: int) -> list[Bucket]:
    """Buckets for ``layout``: consecutive arrays of one backend and dtype, each bucket at
    most ``bucket_bytes`` unless a single array is larger (it then travels alone)."""
    key = (layout, bucket_bytes)
    if key in _plans:
        return _plans[key]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (backend, dtype, _) in enumerate(layout):
        groups.setdefault((backend, dtype), []).append(i)
    buckets = []
    for (backend, dtype), indices in groups.items():
        itemsize = np.dtype(dtype).itemsize
        members: list[int] = []
        offsets: list[int] = []
        size = 0
        for i in indices:
            n = int(np.prod(layout[i][2], dtype=np.int64))
            if members and (size + n) * itemsize > bucket_bytes:
                buckets.append(Bucket(backend, np.dtype(dtype), (*members,), (*offsets,), size))
                members, offsets, size = [], [], 0
            members.append(i)
            offsets.append(size)
            size += n
        buckets.append(Bucket(backend, np.dtype(dtype), (*members,), (*offsets,), size))
    _plans[key] = buckets
    return buckets


def verify_layout(layout: Layout, fn: str) -> None:
    """Check once per layout that every rank passes the same arrays (a collective call)."""
    main = world().start()
    if main.size == 1 or (layout, main.size) in _verified:
        return
    digest = hashlib.sha256(repr(layout).encode()).digest()[:8]
    mine = np.frombuffer(digest, dtype=np.int64).copy()
    everyone = np.empty((main.size, 1), dtype=np.int64)
    count(mine.nbytes)
    main.allgather(mine, everyone)
    differ = [r for r in range(main.size) if everyone[r, 0] != mine[0]]
    if differ:
        raise ValueError(
            f"plugrad_distributed.{fn}: rank {main.rank} passes {len(layout)} arrays "
            f"({_describe(layout)}) but ranks {differ} pass different ones (other shapes, dtypes "
            f"or count); every rank must build the same model and reduce the same gradients"
        )
    _verified.add((layout, main.size))


def allreduce_many(
    arrays: Sequence[Any], op: str = "sum", bucket_bytes: int = DEFAULT_BUCKET_BYTES
) -> list[Any]:
    """:func:`allreduce` of every array, in a few bucketed messages; returns new arrays.

    None entries are passed through (a Param that took no part must be None on every rank).
    The results are views into the reduced buckets, shaped like the inputs.

    Example:
        >>> import numpy as np
        >>> import plugrad_distributed as dist
        >>> dist.allreduce_many([np.ones(2), None, np.zeros((1, 3))], op="mean")
        [array([1., 1.]), None, array([[0., 0., 0.]])]
    """
    if op not in ("sum", "mean", "max", "min"):
        check_op(op, np.float64, "allreduce_many")
    present = [i for i, a in enumerate(arrays) if a is not None]
    items = [_array(arrays[i]) for i in present]
    for a in items:
        check_dtype(a.dtype, "allreduce_many")
        check_op(op, a.dtype, "allreduce_many")
    layout = layout_of(items)
    verify_layout(layout, "allreduce_many")
    out: list[Any] = [None] * len(arrays)
    for bucket in plan(layout, bucket_bytes):
        xp = plugrad_backends.get(bucket.backend).xp
        comm = world().for_backend(bucket.backend, "allreduce_many")
        flat = xp.empty(bucket.size, dtype=bucket.dtype)
        for i, off in zip(bucket.members, bucket.offsets):
            flat[off : off + items[i].size] = items[i].reshape(-1)
        count(flat.nbytes)
        comm.allreduce(*wire(flat, op))
        if op == "mean":
            flat /= comm.size
        for i, off in zip(bucket.members, bucket.offsets):
            out[present[i]] = flat[off : off + items[i].size].reshape(items[i].shape)
    return out


def average_gradients(grads: Sequence[Any], bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> list[Any]:
    """Every gradient averaged over the processes, in buckets: ``allreduce_many(grads, "mean")``.

    For a hand-written loop: ``update(ps, average_gradients([grad(t, p) for p in ps]))``.

    Example:
        >>> import numpy as np
        >>> import plugrad_distributed as dist
        >>> dist.average_gradients([np.array([2.0, 4.0])])
        [array([2., 4.])]
    """
    return allreduce_many(grads, "mean", bucket_bytes)


def _array(a: Any) -> Any:
    a = a.value if isinstance(a, Param) else a
    if not hasattr(a, "shape") or not hasattr(a, "dtype"):
        a = np.asarray(a)
    return a


def _describe(layout: Layout) -> str:
    shown = ", ".join(f"{b}:{np.dtype(d).name}{list(s)}" for b, d, s in layout[:4])
    return shown + (", ..." if len(layout) > 4 else "")
