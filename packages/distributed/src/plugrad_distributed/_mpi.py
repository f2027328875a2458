"""The ``mpi`` communication backend: MPI through mpi4py, for numpy (CPU) arrays.

Registered through the ``plugrad`` entry-point group (``mpi = "plugrad_distributed._mpi"``),
like any third party's backend. mpi4py is imported (and MPI initialized) only by
:meth:`MpiCommunicator.setup`, so discovering the plugin costs nothing.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from plugrad_backends import hookimpl

from ._communicator import Communicator


class MpiCommunicator(Communicator):
    """Collectives over ``MPI.COMM_WORLD`` (``mpiexec -n N python train.py``).

    Without a launcher MPI's singleton start gives a world of one process.

    Example:
        >>> from plugrad_distributed._mpi import MpiCommunicator
        >>> comm = MpiCommunicator()
        >>> comm.is_available(), comm.backends
        (True, ('cpu',))
    """

    name = "mpi"
    backends = ("cpu",)

    def __init__(self) -> None:
        self._comm: Any = None
        self._ops: dict[str, Any] = {}

    def is_available(self) -> bool:
        return importlib.util.find_spec("mpi4py") is not None

    def unavailable_reason(self) -> str:
        if self.is_available():
            return ""
        return "mpi4py is not installed: pip install mpi4py mpich (or mpi4py over the system's MPI)"

    def setup(self) -> None:
        if self._comm is not None:
            return
        from mpi4py import MPI

        self._comm = MPI.COMM_WORLD
        self._ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        self._in_place = MPI.IN_PLACE
        self.rank = self._comm.Get_rank()
        self.size = self._comm.Get_size()

    def allreduce(self, buf: Any, op: str) -> None:
        self._comm.Allreduce(self._in_place, buf, op=self._ops[op])

    def broadcast(self, buf: Any, root: int) -> None:
        self._comm.Bcast(buf, root=root)

    def allgather(self, buf: Any, out: Any) -> None:
        self._comm.Allgather(buf, out)

    def barrier(self) -> None:
        self._comm.Barrier()

    def abort(self, code: int) -> None:
        self._comm.Abort(code)

    def library_version(self) -> str:
        """The MPI library's own version line (e.g. ``MPICH Version: 4.3.0``)."""
        from mpi4py import MPI

        return MPI.Get_library_version().splitlines()[0].strip()


@hookimpl
def plugrad_communicators() -> list[Communicator]:
    return [MpiCommunicator()]
