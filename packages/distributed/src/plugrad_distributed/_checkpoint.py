"""Checkpoints of a data-parallel run: rank 0 writes, every rank reads the same file."""

from __future__ import annotations

import os
from typing import Any

import plugrad_data

from ._world import barrier, rank, world_size

#: The name under which :func:`save` records the world size in the file.
WORLD_SIZE_KEY = "distributed_world_size"


def save(path: str | os.PathLike[str], /, **named: Any) -> None:
    """``plugrad_data.save`` on rank 0 only, with the world size; every rank waits for it.

    All ranks call it (it ends with a :func:`barrier`, so a :func:`load` right after sees
    the file). Data parallelism keeps the weights and optimizer states equal on every rank,
    so rank 0's copy is the run's. The write is atomic, as ``plugrad_data.save``'s.

    Args:
        path: the file.
        **named: what to store (models, optimizers, step counters, ...).

    Raises:
        ValueError: a value is named ``distributed_world_size`` (reserved).

    Example:
        >>> import os, tempfile, numpy as np
        >>> import plugrad_distributed as dist
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> dist.save(path, w=np.arange(2.0), epoch=3)
        >>> dist.load(path, "epoch")
        3
    """
    if WORLD_SIZE_KEY in named:
        raise ValueError(
            f"plugrad_distributed.save: the name {WORLD_SIZE_KEY!r} is reserved for the world "
            f"size; store your value under another name"
        )
    if rank() == 0:
        plugrad_data.save(path, **named, **{WORLD_SIZE_KEY: world_size()})
    barrier()


def load(
    path: str | os.PathLike[str], /, *names: str, same_world_size: bool = True, device: Any = None
) -> Any:
    """Read a checkpoint of :func:`save` on every rank (``plugrad_data.load``'s return forms).

    Args:
        path: the file.
        *names: the values to return (none: a dict of all; one: that value; several: a tuple).
        same_world_size: refuse a file written by a run of another number of processes (the
            per-process batches, hence the training, would differ); False accepts it.
        device: the backend to load arrays on, as ``plugrad_data.load``'s.

    Raises:
        ValueError: the file was written by a run of another world size, or was not
            written by :func:`save` (no world size in it).

    Example:
        >>> import os, tempfile
        >>> import plugrad_distributed as dist
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> dist.save(path, step=10, note="warm")
        >>> dist.load(path)
        {'step': 10, 'note': 'warm'}
    """
    everything = plugrad_data.load(path, device=device)
    saved = everything.pop(WORLD_SIZE_KEY, None)
    if same_world_size:
        if saved is None:
            raise ValueError(
                f"plugrad_distributed.load: {os.fspath(path)} holds no world size: it was not "
                f"written by plugrad_distributed.save; read it with plugrad_data.load, or pass "
                f"same_world_size=False"
            )
        if saved != world_size():
            raise ValueError(
                f"plugrad_distributed.load: {os.fspath(path)} was written by a run of {saved} "
                f"processes but this run has {world_size()}; the per-process batches and so "
                f"the training would differ. Launch with mpiexec -n {saved}, or pass "
                f"same_world_size=False to resume anyway"
            )
    for name in names:
        if name not in everything:
            raise KeyError(
                f"plugrad_distributed.load: {name!r} is not in {os.fspath(path)}; it holds "
                f"{sorted(everything)}"
            )
    if not names:
        return everything
    if len(names) == 1:
        return everything[names[0]]
    return tuple(everything[n] for n in names)
