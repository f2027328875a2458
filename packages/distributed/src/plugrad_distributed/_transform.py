"""``AllReduceMean``: average gradients over the processes, as a gradient transformation."""

from __future__ import annotations

import functools
from collections.abc import Generator
from typing import Any

from plugrad_autograd import serializable
from plugrad_optim import Hyper, Joint, Transform

from ._buckets import DEFAULT_BUCKET_BYTES, allreduce_many
from ._collectives import allreduce
from ._world import world_size


@functools.cache
def _mean_in_buckets(bucket_bytes: int) -> Any:
    """The :class:`Joint` combine that averages a call's gradients in buckets of this size
    (cached, so that every weight of a call asks for the same combine)."""

    def combine(grads: list[Any]) -> list[Any]:
        return allreduce_many(grads, "mean", bucket_bytes)

    return combine


class AllReduceMean(Transform):
    """Replace each gradient by its mean over the processes (data parallelism).

    Put it first in the chain: ``chain(AllReduceMean(), Adam())``. Inside an ``update``
    call (each step of ``minimize``) it joins the other weights of the call (a
    :class:`plugrad_optim.Joint`): the gradients of every Param reaching it are reduced at
    once, packed into buckets of up to ``bucket_bytes`` (one allreduce each). Every rank
    thus applies the same averaged gradient to the same weights, and the weights stay
    equal. Its ``update`` method called directly reduces that one gradient alone. In a
    world of one process it passes gradients through.

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
        return allreduce(g, op="mean"), state

    def joins_call(self) -> bool:
        return world_size() > 1

    def run(self, g: Any, state: Any, param: Any) -> Generator[Any, Any, tuple[Any, Any]]:
        if not self.joins_call():
            return g, state
        mean = yield Joint(_mean_in_buckets(self.bucket_bytes), g)
        return mean, state


# saved under a stable public name, whatever module defines it
AllReduceMean.__module__ = "plugrad_distributed"
serializable(AllReduceMean)
