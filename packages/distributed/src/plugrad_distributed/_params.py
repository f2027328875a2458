"""``broadcast_params``: start every process from rank ``root``'s weights."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag
import plugrad_backends

from ._buckets import DEFAULT_BUCKET_BYTES, layout_of, plan, verify_layout
from ._collectives import _check_root
from ._world import count, world


def broadcast_params(
    model: Any, root: int = 0, bucket_bytes: int = DEFAULT_BUCKET_BYTES
) -> list[Any]:
    """Overwrite, in place, the value of every Param of ``model`` with rank ``root``'s.

    Params are found as :func:`plugrad_autograd.params` finds them (attributes, lists,
    dicts), so every rank must build the same model; this is checked. Values travel packed
    in a few buckets. Call it once after building the model (and after loading a
    checkpoint on fewer ranks than read it) so that all ranks start equal.

    Args:
        model: anything holding Params (a layer, a list, a dict).
        root: the rank whose values everyone takes.
        bucket_bytes: the largest message.

    Returns:
        The Params, in the order they were found.

    Raises:
        ValueError: the ranks' models differ in their Params' number, shapes or dtypes.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> import plugrad_distributed as dist
        >>> w = ag.Param(np.arange(3.0))
        >>> dist.broadcast_params([w])[0] is w
        True
    """
    main = world().start()
    _check_root(root, main.size, "broadcast_params")
    ps = ag.params(model)
    values = [p.value for p in ps]
    layout = layout_of(values)
    verify_layout(layout, "broadcast_params")
    if main.size == 1:
        return ps
    for bucket in plan(layout, bucket_bytes):
        xp = plugrad_backends.get(bucket.backend).xp
        comm = world().for_backend(bucket.backend, "broadcast_params")
        flat = xp.empty(bucket.size, dtype=bucket.dtype)
        for i, off in zip(bucket.members, bucket.offsets):
            flat[off : off + values[i].size] = values[i].reshape(-1)
        count(flat.nbytes)
        comm.broadcast(flat, root)
        for i, off in zip(bucket.members, bucket.offsets):
            values[i][...] = flat[off : off + values[i].size].reshape(values[i].shape)
    return ps
