"""The backend contract: what every array backend (CPU, CUDA, a plugin's) provides."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np

from ._errors import BackendError


class Backend:
    """An array backend: an array namespace plus what plugrad needs around it.

    Subclasses set the class attributes and override the methods that differ. Ops never
    import numpy or cupy directly: they reach the namespace of their inputs' backend through
    ``xp`` and ``special``.

    Attributes:
        name: the name users pass to ``use``/``array(device=...)``, e.g. ``"cpu"``.
        is_gpu: True for a GPU backend (Knet's ``gpu()`` looks for one).
        xp: the array namespace (``numpy``, ``cupy``).
        special: scipy.special-like functions for this namespace.
        array_types: the types of this backend's arrays.
        kernels: named fast kernels (``"conv"``, ``"pool"``, ...) that plugins may fill or
            override; ops look here first and fall back to their portable implementation.
        allocator: one line on how the backend's memory is managed, for reports such as
            ``python -m plugrad_backends info``; None when there is nothing to say.

    Example:
        >>> import plugrad_backends as B
        >>> cpu = B.get("cpu")
        >>> cpu.xp.__name__, cpu.is_available()
        ('numpy', True)
    """

    name: str = ""
    is_gpu: bool = False
    xp: ModuleType
    special: Any
    array_types: tuple[type, ...] = ()
    allocator: str | None = None

    def __init__(self) -> None:
        self.kernels: dict[str, Callable[..., Any]] = {}

    # -- availability -------------------------------------------------------------
    def is_available(self) -> bool:
        """True when the backend can run (its library imports and it sees a device)."""
        return True

    def unavailable_reason(self) -> str | None:
        """Why the backend cannot run and what to install or fix; None when it can."""
        return None

    # -- arrays ---------------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """Return ``x`` as an array of this backend (no copy when it already is one)."""
        return self.xp.asarray(x, dtype=dtype)

    def from_host(self, x: np.ndarray, dtype: Any = None) -> Any:
        """Copy a host numpy array onto this backend."""
        return self.xp.asarray(x, dtype=dtype)

    def to_host(self, x: Any) -> np.ndarray:
        """Copy one of this backend's arrays to a host numpy array."""
        return np.asarray(x)

    # -- random numbers ---------------------------------------------------------------
    def seed(self, n: int) -> None:
        """Reseed this backend's random generator (every backend must provide one)."""
        raise BackendError(
            f"backend {self.name!r} does not define seed(); a backend must provide seed() and "
            "rng (a numpy-Generator-like object) for pg.seed and the initializers"
        )

    @property
    def rng(self) -> Any:
        """The calling thread's random generator (numpy ``Generator`` API).

        :class:`~plugrad_backends.ThreadGenerators` keeps one per thread, as the CPU's does.
        """
        raise BackendError(
            f"backend {self.name!r} does not define rng; a backend must provide seed() and rng"
        )

    def rng_state(self) -> Any:
        """The calling thread's generator state (what :meth:`set_rng_state` restores).

        The default captures ``bit_generator.state`` of a ``ThreadGenerators`` kept as
        ``self._generators`` (every key, e.g. every device), else of ``rng``.
        """
        generators = getattr(self, "_generators", None)
        try:
            if generators is not None and hasattr(generators, "state"):
                return generators.state()
            st = self.rng.bit_generator.state
            if not isinstance(st, dict):
                raise TypeError("its bit_generator.state is not a dict")
            return copy.deepcopy(st)
        except (AttributeError, TypeError) as e:
            raise BackendError(
                f"backend {self.name!r} cannot capture its random generator's state ({e}); "
                "it must define rng_state() and set_rng_state()"
            ) from None

    def set_rng_state(self, state: Any) -> None:
        """Restore the calling thread's generator from :meth:`rng_state`'s result."""
        generators = getattr(self, "_generators", None)
        try:
            if generators is not None and hasattr(generators, "set_state"):
                generators.set_state(state)
            else:
                self.rng.bit_generator.state = copy.deepcopy(state)
        except (AttributeError, TypeError, ValueError, KeyError) as e:
            raise ValueError(
                f"backend {self.name!r}: not a random state it can restore ({e}); pass what "
                "rng_state() returned"
            ) from None

    # -- devices ------------------------------------------------------------------------
    def synchronize(self) -> None:
        """Wait until all work queued on the device has finished."""

    def devices(self) -> list[str]:
        """Descriptions of the devices this backend sees."""
        return []

    def current_device(self) -> int:
        """The active device id (-1 for the host)."""
        return -1

    def select_device(self, device: int) -> None:
        """Make ``device`` the active device."""
        if device not in (-1, 0):
            raise ValueError(f"backend {self.name!r} has no device {device}")

    @contextmanager
    def on_device(self, device: int | None) -> Iterator[None]:
        """Make ``device`` the active device inside a ``with`` block (None: leave it).

        Example:
            >>> import plugrad_backends as B
            >>> with B.get("cpu").on_device(0):
            ...     B.get("cpu").current_device()
            -1
        """
        previous = self.current_device()
        if device is None or device == previous:
            yield
            return
        self.select_device(device)
        try:
            yield
        finally:
            self.select_device(previous)

    def __repr__(self) -> str:
        return f"<plugrad backend {self.name!r}>"
