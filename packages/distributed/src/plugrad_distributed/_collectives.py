"""The collectives on single arrays: ``allreduce``, ``broadcast``, ``allgather``."""

from __future__ import annotations

from typing import Any

import numpy as np

import plugrad_backends

from ._arrays import as_array, backend_name, check_op, wire
from ._world import count, world

# broadcast's header: ndim, the two strings' lengths, up to _MAX_DIMS extents, then the
# characters of the dtype string and of the backend's name
_MAX_DIMS = 32
_CHARS = 32
_HEADER = 3 + _MAX_DIMS + 2 * _CHARS


def allreduce(x: Any, op: str = "sum") -> Any:
    """The elementwise sum, mean, max or min of ``x`` over every process.

    Every rank passes an array of the same shape and dtype (a Param's value, a number or a
    0-d array too) and gets a new array with the result, on ``x``'s backend; ``x`` is not
    changed. ``op="mean"`` is the sum divided by :func:`world_size` (float arrays only).

    Args:
        x: an array of a backend that a communication backend serves (numpy: ``mpi``).
        op: ``"sum"``, ``"mean"``, ``"max"`` or ``"min"``.

    Raises:
        ValueError: an unknown ``op``.
        TypeError: ``op="mean"`` on integers, ``max``/``min`` on complex numbers, a
            non-numeric array.

    Example:
        >>> import numpy as np
        >>> import plugrad_distributed as dist
        >>> dist.allreduce(np.array([1.0, 2.0]), op="mean")   # one process: unchanged
        array([1., 2.])
    """
    buf = as_array(x, "allreduce")
    check_op(op, buf.dtype, "allreduce")
    comm = world().for_backend(backend_name(buf), "allreduce")
    count(buf.nbytes)
    flat = buf.reshape(-1)
    comm.allreduce(*wire(flat, op))
    if op == "mean":
        flat /= comm.size
    return buf


def broadcast(x: Any, root: int = 0) -> Any:
    """Rank ``root``'s ``x`` on every process (a new array; ``x`` is not changed).

    Only ``root`` needs to pass an array: the others may pass None (or anything), and get
    an array of root's shape and dtype on root's array backend (``"cpu"``, ``"cuda"``).

    Args:
        x: the array to send (on ``root``).
        root: the rank that sends.

    Raises:
        ValueError: ``root`` is not a rank of the world.

    Example:
        >>> import numpy as np
        >>> import plugrad_distributed as dist
        >>> w = np.arange(3.0) if dist.rank() == 0 else None
        >>> dist.broadcast(w)
        array([0., 1., 2.])
    """
    main = world().start()
    _check_root(root, main.size, "broadcast")
    mine = main.rank == root
    data = as_array(x, "broadcast") if mine else None
    header = _header(data) if mine else np.zeros(_HEADER, np.int64)
    count(header.nbytes)
    main.broadcast(header, root)
    shape, dtype, backend = _unpack_header(header)
    if not mine:
        data = plugrad_backends.get(backend).xp.empty(shape, dtype=dtype)
    comm = world().for_backend(backend_name(data), "broadcast")
    count(data.nbytes)
    comm.broadcast(data.reshape(-1), root)
    return data


def allgather(x: Any) -> Any:
    """Every process's ``x``, stacked by rank: shape ``(world_size(), *x.shape)``.

    Every rank passes an array of the same shape and dtype.

    Example:
        >>> import numpy as np
        >>> import plugrad_distributed as dist
        >>> dist.allgather(np.array([1, 2]))   # one process: one row
        array([[1, 2]])
    """
    buf = as_array(x, "allgather")
    comm = world().for_backend(backend_name(buf), "allgather")
    out = plugrad_backends.of(buf).xp.empty((comm.size, *buf.shape), dtype=buf.dtype)
    count(buf.nbytes)
    comm.allgather(buf.reshape(-1), out.reshape(comm.size, -1))
    return out


def _check_root(root: int, size: int, fn: str) -> None:
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < size:
        raise ValueError(
            f"plugrad_distributed.{fn}: root must be a rank between 0 and {size - 1}, got {root!r}"
        )


def _header(data: Any) -> np.ndarray:
    if data.ndim > _MAX_DIMS:
        raise ValueError(
            f"plugrad_distributed.broadcast: arrays of more than {_MAX_DIMS} dimensions are "
            f"not supported, got {data.ndim}"
        )
    code = data.dtype.str.encode("ascii")
    backend = backend_name(data).encode("utf-8")[:_CHARS]
    header = np.zeros(_HEADER, np.int64)
    header[:3] = data.ndim, len(code), len(backend)
    header[3 : 3 + data.ndim] = data.shape
    start = 3 + _MAX_DIMS
    header[start : start + len(code)] = list(code)
    header[start + _CHARS : start + _CHARS + len(backend)] = list(backend)
    return header


def _unpack_header(header: np.ndarray) -> tuple[tuple[int, ...], np.dtype, str]:
    ndim, ncode, nbackend = (int(v) for v in header[:3])
    shape = tuple(int(n) for n in header[3 : 3 + ndim])
    start = 3 + _MAX_DIMS
    code = bytes(int(c) for c in header[start : start + ncode]).decode("ascii")
    backend = bytes(int(c) for c in header[start + _CHARS : start + _CHARS + nbackend])
    return shape, np.dtype(code), backend.decode("utf-8")
