"""Which classes a file may name: the registered ones, and where registrations come from.

A class not registered yet may belong to an installed plugrad component or plugin whose
package has not been imported; only those packages (a fixed list of components, and the
packages of the installed ``plugrad`` entry points) are ever imported, never a module
named by the file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
from importlib import metadata

import plugrad_autograd as ag

from ._format import Malformed

# distribution -> the package that registers its classes when imported
_COMPONENTS = {
    "plugrad-backends": "plugrad_backends",
    "plugrad-autograd": "plugrad_autograd",
    "plugrad-nn": "plugrad_nn",
    "plugrad-optim": "plugrad_optim",
    "plugrad-data": "plugrad_data",
    "plugrad-hyperopt": "plugrad_hyperopt",
}


@functools.lru_cache(maxsize=1)
def installed_packages() -> frozenset[str]:
    """The packages ``load`` may import to find a class: installed components and plugins.

    Example:
        >>> "plugrad_nn" in installed_packages()
        True
    """
    found = set()
    for dist, package in _COMPONENTS.items():
        with contextlib.suppress(metadata.PackageNotFoundError):
            metadata.distribution(dist)
            found.add(package)
    for ep in metadata.entry_points(group="plugrad"):
        found.add(ep.value.split(":", 1)[0].split(".", 1)[0].strip())
    return frozenset(found)


def lookup_class(name: str) -> type:
    """The registered class saved under ``name``, or Malformed saying how to register it."""
    cls = ag.serializable_class(name)
    package = name.split(".", 1)[0]
    if cls is None and package in installed_packages() and package not in sys.modules:
        # an installed package that fails to import leaves the class unregistered: the
        # error below says so
        with contextlib.suppress(Exception):
            importlib.import_module(package)
        cls = ag.serializable_class(name)
    if cls is None and package == "__main__":
        raise Malformed(
            f"it names class {name!r:.80}, a class defined in the script that saved the "
            "file; this process has no such class registered under that name. Register the "
            'class with a stable name, @plugrad_autograd.serializable(name="myproject.'
            f'{name.rsplit(".", 1)[-1]:.40}"), in both scripts (or in a module they import), '
            "and save again; to read this file now, define and register the class in the "
            "loading script's __main__ under the same Python name"
        )
    if cls is None:
        raise Malformed(
            f"it names class {name!r:.80}, which is not registered with "
            "@plugrad_autograd.serializable; import the module that defines and registers "
            "it before calling load (load imports only installed plugrad components and "
            "plugins, never a module named by the file)"
        )
    return cls
