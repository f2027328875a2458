"""The world of processes: ``init``, ``rank``, ``world_size``, ``barrier``, and who moves what.

``init()`` asks the plugins for their communication backends, sets up the first available
one that serves CPU arrays (``mpi``): it reads the environment ``mpiexec`` created. A script
started without a launcher becomes a world of one process. When the world has more than one
process, an exception that reaches the top of any rank aborts the whole run (MPI_Abort),
after printing which rank failed and why, so the others never wait forever.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import plugrad_backends

from . import hookspecs
from ._communicator import Communicator, SingleProcess
from ._launch import record_rank

plugrad_backends.add_hookspecs(hookspecs)

# Environment variables that launchers set for every process (MPICH's hydra and PMI, Open
# MPI, PMIx, Slurm's srun): with one of them the run was launched and may not fall back to
# a private world of one.
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS")


@dataclass
class Traffic:
    """What this process handed to collectives since the last :func:`reset_traffic`.

    Attributes:
        messages: the number of collective calls (one per bucket, array or barrier).
        bytes: the payload bytes of those calls (this rank's input, not the wire total).
    """

    messages: int = 0
    bytes: int = 0


class _World:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.main: Communicator | None = None
        self.by_backend: dict[str, Communicator] = {}
        self.traffic = Traffic()

    def start(self) -> Communicator:
        with self.lock:
            if self.main is None:
                self.main = _choose_main()
                self.main.setup()
                if self.main.size > 1:
                    _install_abort_on_error(self.main)
                    record_rank(self.main.rank)
            return self.main

    def for_backend(self, backend: str, op: str) -> Communicator:
        main = self.start()
        comm = self.by_backend.get(backend)
        if comm is not None:
            return comm
        if backend in main.backends:
            comm = main
        else:
            comm = _find(backend, main, op)
            comm.setup()
        self.by_backend[backend] = comm
        return comm


def _communicators() -> list[Communicator]:
    found: list[Communicator] = []
    for result in plugrad_backends.plugin_manager().hook.plugrad_communicators():
        found.extend(result or ())
    return found


def _launched_size() -> int:
    for var in _LAUNCHER_SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def _choose_main() -> Communicator:
    candidates = [c for c in _communicators() if "cpu" in c.backends]
    for comm in candidates:
        if comm.is_available():
            return comm
    size = _launched_size()
    if size > 1:
        reasons = "; ".join(f"{c.name}: {c.unavailable_reason()}" for c in candidates)
        raise RuntimeError(
            f"plugrad_distributed.init: the launcher started {size} processes but no "
            f"communication backend for CPU arrays is available ({reasons or 'none installed'}); "
            f"pip install plugrad-distributed brings mpi4py and MPICH"
        )
    return SingleProcess()


def _find(backend: str, main: Communicator, op: str) -> Communicator:
    candidates = [c for c in _communicators() if backend in c.backends]
    for comm in candidates:
        if comm.is_available():
            return comm
    if main.size == 1:
        return SingleProcess()
    reasons = "; ".join(f"{c.name}: {c.unavailable_reason()}" for c in candidates)
    raise RuntimeError(
        f"plugrad_distributed.{op}: no communication backend moves {backend!r} arrays between "
        f"the {main.size} processes ({reasons or 'none installed'}); install one (for 'cuda': "
        f"plugrad-cuda with cupy's NCCL) or move the arrays to the host with pg.to_host"
    )


def _install_abort_on_error(comm: Communicator) -> None:
    previous = sys.excepthook

    def abort_on_error(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        previous(kind, exc, tb)
        sys.stderr.write(
            f"plugrad_distributed: rank {comm.rank} of {comm.size} failed with "
            f"{kind.__name__}: {exc}; aborting all {comm.size} processes\n"
        )
        sys.stderr.flush()
        comm.abort(1)

    sys.excepthook = abort_on_error


_world = _World()


def world() -> _World:
    return _world


def init() -> None:
    """Join the run that the launcher set up (``mpiexec -n N python train.py``); idempotent.

    Every other function calls it on first use, so calling it yourself is optional; do so at
    the top of a script to fail early. Without a launcher the world has one process.

    Raises:
        RuntimeError: the launcher started several processes but no communication backend
            for CPU arrays is installed.

    Example:
        >>> import plugrad_distributed as dist
        >>> dist.init()
        >>> dist.rank(), dist.world_size()
        (0, 1)
    """
    _world.start()


def rank() -> int:
    """This process's rank, ``0 .. world_size() - 1`` (0 without a launcher).

    Example:
        >>> import plugrad_distributed as dist
        >>> dist.rank()
        0
    """
    return _world.start().rank


def world_size() -> int:
    """The number of processes of the run (1 without a launcher).

    Example:
        >>> import plugrad_distributed as dist
        >>> dist.world_size()
        1
    """
    return _world.start().size


def barrier() -> None:
    """Wait until every process of the run reaches this call.

    Example:
        >>> import plugrad_distributed as dist
        >>> dist.barrier()
    """
    comm = _world.start()
    _world.traffic.messages += 1
    comm.barrier()


def communicator(backend: str = "cpu") -> Communicator:
    """The communication backend that moves arrays of the array backend ``backend``.

    Example:
        >>> import plugrad_distributed as dist
        >>> dist.communicator("cpu").size
        1
    """
    return _world.for_backend(backend, "communicator")


def traffic() -> Traffic:
    """A copy of this process's collective counts and payload bytes (see :class:`Traffic`).

    Example:
        >>> import numpy as np, plugrad_distributed as dist
        >>> dist.reset_traffic(); _ = dist.allreduce(np.zeros(4)); dist.traffic()
        Traffic(messages=1, bytes=32)
    """
    return Traffic(_world.traffic.messages, _world.traffic.bytes)


def reset_traffic() -> None:
    """Set the counts of :func:`traffic` to zero."""
    _world.traffic = Traffic()


def count(nbytes: int) -> None:
    """Record one collective call of ``nbytes`` payload bytes."""
    _world.traffic.messages += 1
    _world.traffic.bytes += int(nbytes)


def communicators() -> list[Communicator]:
    """Every communication backend the plugins provide, available or not.

    Example:
        >>> import plugrad_distributed as dist
        >>> [c.name for c in dist.communicators()][:1]
        ['mpi']
    """
    return _communicators()
