"""The plugin boundary: whatever a plugin raises there becomes a warning naming it.

A plugin's import and each of its hooks run through :func:`attempt`. Everything a plugin
can raise is caught there, ``SystemExit`` and other ``BaseException`` subclasses included:
a ``sys.exit()`` in a plugin's import must not end the user's program. Only
``KeyboardInterrupt`` passes, since it is the user's, not the plugin's.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
_INSIDE = ("plugrad_", "pluggy", "importlib", "functools")


class PluginLoadWarning(UserWarning):
    """A plugin failed or was overruled; the other plugins were kept."""


@dataclass(frozen=True)
class PluginInfo:
    """One plugin (an entry point of the ``plugrad`` group, or one given to ``register``).

    ``error`` says what failed (its import, or one of its hooks), or is None.
    """

    name: str
    distribution: str
    version: str
    error: str | None = None

    def describe(self) -> str:
        """``plugin 'cuda' from distribution 'plugrad-cuda'``, for messages."""
        if self.distribution:
            return f"plugin {self.name!r} from distribution {self.distribution!r}"
        return f"plugin {self.name!r} (registered with plugrad_backends.register)"


def attempt(call: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run plugin code: ``(result, None)``, or ``(None, "ErrorType: message")`` if it raised.

    Example:
        >>> attempt(lambda: 1 / 0)
        (None, 'ZeroDivisionError: division by zero')
    """
    try:
        return call(), None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the plugin boundary: see the module docstring
        return None, f"{type(exc).__name__}: {exc}"


def warn(message: str) -> None:
    """Issue a :class:`PluginLoadWarning` pointing at the user's call into plugrad."""
    warnings.warn(message, PluginLoadWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The stack level of the first frame outside plugrad and pluggy (the user's call)."""
    frame: Any = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_INSIDE):
        frame = frame.f_back
        level += 1
    return level
