"""Hook specifications of plugrad's plugin system (project name ``"plugrad"``).

A plugin is a module or object named in the ``plugrad`` entry-point group of an installed
distribution. It implements any of these hooks with the :data:`plugrad_backends.hookimpl`
marker. Other plugrad packages add their own specifications (``plugrad_autograd`` adds
``plugrad_ops``).

Example, in ``my_backend/__init__.py`` with ``[project.entry-points.plugrad] mine =
"my_backend"``::

    from plugrad_backends import Backend, hookimpl

    @hookimpl
    def plugrad_backends():
        return [MyBackend()]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._backend import Backend

hookspec = pluggy.HookspecMarker("plugrad")


@hookspec
def plugrad_backends() -> list[Backend]:
    """Return the backends this plugin provides (instances of :class:`Backend`).

    A backend whose device is missing is still returned: it reports ``is_available() ==
    False`` and says why in ``unavailable_reason()``. If the hook raises or returns anything
    else, plugrad warns, naming the plugin's distribution, and keeps the other plugins'
    backends. Where two plugins name a backend alike, the one pluggy calls first keeps the
    name (``@hookimpl(tryfirst=True)`` comes first; the CPU backend's hook is marked so).
    """


@hookspec
def plugrad_kernels(backend: Backend) -> dict[str, object] | None:
    """Return kernels (name -> callable) to install in ``backend.kernels``.

    Called once for every backend when the registry loads, so a plugin can add or override
    a kernel (say ``"conv"``) of a backend it does not own.
    """


@hookspec
def plugrad_set_num_threads(n: int) -> None:
    """Use ``n`` threads in the plugin's own thread pool (called by ``set_num_threads``)."""


@hookspec
def plugrad_report() -> list[str] | None:
    """Lines describing the plugin's state for ``python -m plugrad info`` (threads, SIMD...)."""
