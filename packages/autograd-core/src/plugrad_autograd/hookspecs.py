"""Hook specifications that plugrad-autograd adds to the ``plugrad`` plugin manager."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("plugrad")


@hookspec
def plugrad_ops() -> list[Any] | dict[str, Any]:
    """Return new ops (functions made with ``primitive``/``defvjp``/``zerograd``).

    A list is keyed by each function's ``__name__``; a dict gives the names. They appear as
    ``plugrad_autograd.ops.<name>`` (``pg.ops.<name>``). Backend-specific kernels for them
    come through ``plugrad_kernels``.
    """
