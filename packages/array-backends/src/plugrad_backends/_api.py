"""What users call: choose backends, make arrays on them, move arrays between them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ._backend import Backend
from ._errors import BackendError
from ._registry import registry

_default_name = "cpu"
_default_dtype: np.dtype = np.dtype(np.float32)
_type_to_backend: dict[type, Backend] = {}


def _forget_types() -> None:
    _type_to_backend.clear()


def available() -> list[str]:
    """Names of the registered backends that can run here.

    Example:
        >>> import plugrad_backends as B
        >>> "cpu" in B.available()
        True
    """
    return [name for name, b in registry().backends.items() if b.is_available()]


def registered() -> list[str]:
    """Names of every registered backend, available or not."""
    return list(registry().backends)


def _lookup(name: str) -> Backend:
    base = name.split(":", 1)[0]
    backends = registry().backends
    if base not in backends:
        installed = ", ".join(sorted(backends)) or "none"
        hint = " (install plugrad-cuda: pip install 'plugrad[cuda]')" if base == "cuda" else ""
        raise BackendError(
            f"unknown plugrad backend {name!r}; installed backends: {installed}{hint}"
        )
    return backends[base]


def get(name: str | Backend | None = None) -> Backend:
    """The backend called ``name`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``); the default if None.

    Raises:
        BackendError: the name is unknown (the message lists the installed backends) or the
            backend cannot run here (the message says what is missing).

    Example:
        >>> import plugrad_backends as B
        >>> B.get("cpu").name
        'cpu'
    """
    if isinstance(name, Backend):
        backend = name
    else:
        backend = _lookup(_default_name if name is None else name)
    if not backend.is_available():
        raise BackendError(
            f"plugrad backend {backend.name!r} is installed but cannot run: "
            f"{backend.unavailable_reason()}"
        )
    if isinstance(name, str) and ":" in name:
        backend.select_device(int(name.split(":", 1)[1]))
    return backend


def current() -> Backend:
    """The default backend: where new arrays go when no device is named."""
    return get(_default_name)


def use(name: str) -> Backend:
    """Make ``name`` the default backend and return it.

    Example:
        >>> import plugrad_backends as B
        >>> B.use("cpu").name
        'cpu'
    """
    global _default_name
    backend = get(name)
    _default_name = backend.name
    return backend


@contextmanager
def using(name: str) -> Iterator[Backend]:
    """Make ``name`` the default backend inside a ``with`` block.

    Example:
        >>> import plugrad_backends as B
        >>> with B.using("cpu") as cpu:
        ...     B.array([1.0]).dtype
        dtype('float32')
    """
    global _default_name
    previous = _default_name
    backend = use(name)
    try:
        yield backend
    finally:
        _default_name = previous


def _backend_of_type(cls: type) -> Backend | None:
    backend = _type_to_backend.get(cls)
    if backend is None:
        # The most specific match wins: a plugin's ndarray subclass is not the CPU's.
        best = len(cls.__mro__)
        for b in registry().backends.values():
            for t in b.array_types:
                if issubclass(cls, t) and cls.__mro__.index(t) < best:
                    best, backend = cls.__mro__.index(t), b
        if backend is not None:
            _type_to_backend[cls] = backend
    return backend


def of(*arrays: Any) -> Backend:
    """The backend that the given arrays live on.

    Python numbers, lists and None are ignored; with no arrays at all, the default backend.

    Raises:
        BackendError: the arrays live on different backends.

    Example:
        >>> import numpy as np, plugrad_backends as B
        >>> B.of(np.zeros(3), 2.0).name
        'cpu'
    """
    found: Backend | None = None
    for x in arrays:
        b = _type_to_backend.get(type(x))
        if b is None:
            if x is None or isinstance(x, (int, float, complex, bool, list, tuple)):
                continue
            b = _backend_of_type(type(x))
            if b is None:
                continue
        if found is None:
            found = b
        elif b is not found:
            raise BackendError(_mixed_message(arrays))
    return found if found is not None else current()


def _mixed_message(arrays: tuple[Any, ...], op: str | None = None) -> str:
    parts = []
    for x in arrays:
        b = _backend_of_type(type(x))
        if b is not None:
            parts.append(f"{type(x).__name__}{tuple(getattr(x, 'shape', ()))} on {b.name!r}")
    where = f"{op}: " if op else ""
    return (
        f"{where}arrays from different backends in one call ({', '.join(parts)}); move them "
        f"to one backend first, e.g. pg.array(x, device='cpu')"
    )


def mixed_backends_error(arrays: tuple[Any, ...], op: str) -> BackendError:
    """The error for an op given arrays of several backends (used by ops packages)."""
    return BackendError(_mixed_message(arrays, op))


def default_dtype() -> np.dtype:
    """The float dtype new float arrays get (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> np.dtype:
    """Set the float dtype for new float arrays and return the previous one.

    Example:
        >>> import numpy as np, plugrad_backends as B
        >>> old = B.set_default_dtype(np.float64)
        >>> B.array([1.0]).dtype
        dtype('float64')
        >>> _ = B.set_default_dtype(old)
    """
    global _default_dtype
    new = np.dtype(dtype)
    if new.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {new}")
    previous, _default_dtype = _default_dtype, new
    return previous


def array(x: Any, device: str | Backend | None = None, dtype: Any = None) -> Any:
    """Make an array on a backend, converting Python values and moving arrays.

    Python floats become the default float dtype (float32); arrays keep their dtype unless
    ``dtype`` is given.

    Example:
        >>> import plugrad_backends as B
        >>> B.array([1.0, 2.0]).dtype
        dtype('float32')
        >>> B.array([1, 2], dtype="float64").dtype
        dtype('float64')
    """
    target = get(device)
    source = _backend_of_type(type(x))
    if source is None:
        host = np.asarray(x)
        if dtype is None and host.dtype.kind == "f":
            dtype = _default_dtype
        return target.from_host(host, dtype=dtype)
    if source is target:
        return x if dtype is None or x.dtype == np.dtype(dtype) else x.astype(dtype)
    return target.from_host(source.to_host(x), dtype=dtype)


def to_host(x: Any) -> np.ndarray:
    """Copy an array of any backend to a host numpy array.

    Example:
        >>> import plugrad_backends as B
        >>> type(B.to_host(B.array([1.0]))).__name__
        'ndarray'
    """
    source = _backend_of_type(type(x))
    if source is None:
        return np.asarray(x)
    return source.to_host(x)


def seed(n: int) -> None:
    """Seed the random generator of every registered, available backend.

    Example:
        >>> import plugrad_backends as B
        >>> B.seed(1); a = B.get("cpu").rng.random()
        >>> B.seed(1); a == B.get("cpu").rng.random()
        True
    """
    for backend in registry().backends.values():
        if backend.is_available():
            backend.seed(n)


def gpu(which: bool | int | None = None) -> int:
    """Knet's ``gpu()``: the active GPU id, or -1 when the default backend is the CPU.

    ``gpu(True)`` makes the first available GPU backend the default, ``gpu(False)`` goes back
    to the CPU, ``gpu(d)`` selects device ``d`` (``-1`` means the CPU). Returns the active id,
    -1 when no GPU backend is installed and available.

    Example:
        >>> import plugrad_backends as B
        >>> B.gpu(False)
        -1
    """
    global _default_name
    if which is None:
        backend = current()
        return backend.current_device() if backend.is_gpu else -1
    if which is False or (not isinstance(which, bool) and which < 0):
        _default_name = "cpu"
        return -1
    gpus = [b for b in registry().backends.values() if b.is_gpu and b.is_available()]
    if not gpus:
        return -1
    backend = gpus[0]
    if not isinstance(which, bool):
        backend.select_device(int(which))
    _default_name = backend.name
    return backend.current_device()
