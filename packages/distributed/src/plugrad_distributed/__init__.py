"""plugrad's data-parallel training: the same script on N processes, gradients averaged.

Launch ``mpiexec -n 4 python train.py``; in the script, give each process its part of the
data with ``minibatch(..., shard=(rank(), world_size()))``, start every process from the
same weights with :func:`broadcast_params`, and average the gradients with
``chain(AllReduceMean(), Adam())``. Collectives (:func:`allreduce`, :func:`broadcast`,
:func:`allgather`) run on the communication backend of the arrays' backend: ``mpi`` (mpi4py)
for numpy arrays, ``nccl`` for cupy arrays where a plugin provides it. Without a launcher
the world has one process and everything still works.

Example:
    >>> import numpy as np
    >>> import plugrad_distributed as dist
    >>> dist.init()
    >>> dist.rank(), dist.world_size()
    (0, 1)
    >>> dist.allreduce(np.array([1.0, 2.0]), op="sum")
    array([1., 2.])
"""

from ._buckets import DEFAULT_BUCKET_BYTES, allreduce_many, average_gradients
from ._checkpoint import load, save
from ._collectives import allgather, allreduce, broadcast
from ._communicator import Communicator, SingleProcess
from ._params import broadcast_params
from ._transform import AllReduceMean
from ._world import (
    Traffic,
    barrier,
    communicator,
    communicators,
    init,
    rank,
    reset_traffic,
    traffic,
    world_size,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BUCKET_BYTES",
    "AllReduceMean",
    "Communicator",
    "SingleProcess",
    "Traffic",
    "allgather",
    "allreduce",
    "allreduce_many",
    "average_gradients",
    "barrier",
    "broadcast",
    "broadcast_params",
    "communicator",
    "communicators",
    "init",
    "load",
    "rank",
    "reset_traffic",
    "save",
    "traffic",
    "world_size",
]
