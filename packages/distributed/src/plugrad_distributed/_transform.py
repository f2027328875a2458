"""``AllReduceMean``: average gradients over the processes, as a gradient transformation."""

from __future__ import annotations

import weakref
from typing import Any

from plugrad_autograd import serializable
from plugrad_optim import Hyper, Transform

# The gradients of the current ``update`` call (every Param of a ``minimize`` step), the
# context that ClipNorm(global_norm=True) measures too.
from plugrad_optim._base import CURRENT_CALL

from ._buckets import DEFAULT_BUCKET_BYTES, allreduce_many
from ._collectives import allreduce
from ._world import world_size


class _CallGradients:
    """The gradients of one update call, averaged on first demand."""

    def __init__(self, grads: list[Any]) -> None:
        self.grads = grads
        self.index = {id(g): i for i, g in enumerate(grads)}
        self.means: list[Any] | None = None

    def mean_of(self, g: Any, bucket_bytes: int) -> Any:
        if self.means is None:
            self.means = allreduce_many(self.grads, "mean", bucket_bytes)
        return self.means[self.index[id(g)]]


_calls: weakref.WeakKeyDictionary[Any, _CallGradients] = weakref.WeakKeyDictionary()


class AllReduceMean(Transform):
    """Replace each gradient by its mean over the processes (data parallelism).

    Put it first in the chain: ``chain(AllReduceMean(), Adam())``. Inside an ``update``
    call (each step of ``minimize``) the first Param's update reduces the gradients of
    every Param of the call at once, packed into buckets of up to ``bucket_bytes`` (one
    allreduce each); the other Params then find their averages ready. Every rank thus
    applies the same averaged gradient to the same weights, and the weights stay equal.
    Called outside an update call, or after a transform that changed the gradient, it
    reduces that one gradient alone. In a world of one process it passes gradients through.

    Args:
        bucket_bytes: the largest message, in bytes (default 25 MiB, as PyTorch's DDP).

    Example:
        >>> import numpy as np
        >>> import plugrad_optim as optim
        >>> from plugrad_distributed import AllReduceMean
        >>> w = np.zeros(2)
        >>> optim.update([w], [np.array([1.0, -1.0])], optim.chain(AllReduceMean(), optim.SGD(0.5)))
        >>> w
        array([-0.5,  0.5])
    """

    bucket_bytes = Hyper("int", low=1)

    def __init__(self, bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> None:
        self.bucket_bytes = bucket_bytes

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        if world_size() == 1:
            return g, state
        call = CURRENT_CALL.get()
        if call is None:
            return allreduce(g, op="mean"), state
        grads = _calls.get(call)
        if grads is None:
            grads = _calls[call] = _CallGradients(call.grads)
        if id(g) not in grads.index:
            return allreduce(g, op="mean"), state
        return grads.mean_of(g, self.bucket_bytes), state


# saved under a stable public name, whatever module defines it
AllReduceMean.__module__ = "plugrad_distributed"
serializable(AllReduceMean)
