"""The interface of a communication backend, and the one-process world that needs none."""

from __future__ import annotations

from typing import Any

OPS = ("sum", "max", "min")


class Communicator:
    """A communication backend: collectives over the processes of one run.

    ``backends`` names the array backends whose arrays it moves (``("cpu",)`` for MPI over
    numpy arrays, ``("cuda",)`` for NCCL over cupy arrays). The world (``rank``, ``size``)
    is the launcher's: every communicator of a run agrees on it. Every method works in
    place on C-contiguous arrays of its backends and is collective: every rank calls it in
    the same order with arrays of the same shape and dtype.

    Attributes:
        name: the backend's name (``"mpi"``, ``"nccl"``).
        backends: the array backends served.
        rank: this process's rank, after :meth:`setup`.
        size: the number of processes, after :meth:`setup`.

    Example:
        >>> import numpy as np
        >>> from plugrad_distributed import SingleProcess
        >>> comm = SingleProcess()
        >>> comm.setup(); buf = np.arange(3.0); comm.allreduce(buf, "sum"); buf
        array([0., 1., 2.])
    """

    name: str = ""
    backends: tuple[str, ...] = ()
    rank: int = 0
    size: int = 1

    def is_available(self) -> bool:
        """True when the library (and device) this backend needs are present."""
        return True

    def unavailable_reason(self) -> str:
        """Why :meth:`is_available` is False, with what to install; ``""`` when available."""
        return ""

    def setup(self) -> None:
        """Join the world the launcher set up (idempotent); set ``rank`` and ``size``."""

    def allreduce(self, buf: Any, op: str) -> None:
        """Replace ``buf`` by the elementwise ``op`` of every rank's (sum, max or min)."""
        raise NotImplementedError(f"{type(self).__name__} defines no allreduce")

    def broadcast(self, buf: Any, root: int) -> None:
        """Replace ``buf`` on every rank by rank ``root``'s."""
        raise NotImplementedError(f"{type(self).__name__} defines no broadcast")

    def allgather(self, buf: Any, out: Any) -> None:
        """Fill ``out`` (shape ``(size, *buf.shape)``) with every rank's ``buf``, by rank."""
        raise NotImplementedError(f"{type(self).__name__} defines no allgather")

    def barrier(self) -> None:
        """Return when every rank has called it."""

    def abort(self, code: int) -> None:
        """End every process of the run with exit status ``code`` (does not return)."""
        raise SystemExit(code)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} rank {self.rank} of {self.size}>"


class SingleProcess(Communicator):
    """The world of one process: every collective leaves its array as it is.

    Used for any array backend when the run has a single process and no communication
    backend serves it (a script started without a launcher, or cupy arrays without NCCL).
    """

    name = "single"
    backends = ()

    def allreduce(self, buf: Any, op: str) -> None:
        pass

    def broadcast(self, buf: Any, root: int) -> None:
        pass

    def allgather(self, buf: Any, out: Any) -> None:
        out[0] = buf
