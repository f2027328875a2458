"""The hook that plugrad-distributed adds to plugrad's plugin manager (project ``"plugrad"``).

A communication backend reaches plugrad the way an array backend does: a module named in the
``plugrad`` entry-point group implements :func:`plugrad_communicators`. plugrad-distributed
registers its own ``mpi`` backend exactly so; the CUDA plugin may add ``nccl``.

Example, in ``my_comm/__init__.py`` with ``[project.entry-points.plugrad] mine = "my_comm"``::

    from plugrad_backends import hookimpl

    @hookimpl
    def plugrad_communicators():
        return [MyCommunicator()]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._communicator import Communicator

hookspec = pluggy.HookspecMarker("plugrad")


@hookspec
def plugrad_communicators() -> list[Communicator]:
    """Return the communication backends this plugin provides (:class:`Communicator`).

    A backend whose library or device is missing is still returned: it answers
    ``is_available() == False`` and says why in ``unavailable_reason()``.
    """
