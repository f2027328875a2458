"""What users call: choose backends, make arrays on them, move arrays between them."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import ModuleType
from typing import Any

import numpy as np

from ._backend import Backend
from ._boundary import _user_stacklevel, attempt, warn
from ._errors import BackendError
from ._registry import backend_of_type, namespace_of_type, registry

_default_name = "cpu"  # the process's default backend: use() and gpu() set it
# A `with using(...)` block's backend, for the thread (or async task) running the block only.
_block_default: ContextVar[str | None] = ContextVar("plugrad_block_default", default=None)


def _default() -> str:
    return _block_default.get() or _default_name


def _set_default(name: str) -> None:
    """Set the process's default, and the enclosing ``using`` block's, if any (until it ends)."""
    global _default_name
    _default_name = name
    if _block_default.get() is not None:
        _block_default.set(name)


_default_dtype: np.dtype = np.dtype(np.float32)


def available() -> list[str]:
    """Names of the registered backends that can run here.

    Example:
        >>> import plugrad_backends as B
        >>> "cpu" in B.available()
        True
    """
    return [name for name, b in registry().backends.items() if _is_available(b)]


def _is_available(backend: Backend) -> bool:
    available, error = attempt(backend.is_available)  # a plugin's code: it may raise
    return error is None and bool(available)


def registered() -> list[str]:
    """Names of every registered backend, available or not."""
    return list(registry().backends)


def _parse(name: str) -> tuple[str, int | None]:
    """``"cuda:1"`` -> ``("cuda", 1)``; ``"cpu"`` -> ``("cpu", None)``."""
    base, sep, index = name.partition(":")
    if not sep:
        return base, None
    try:
        return base, int(index)
    except ValueError:
        raise BackendError(
            f"plugrad backend name {name!r}: after the ':' comes a device number, e.g. 'cuda:1'"
        ) from None


def _lookup(base: str, name: str) -> Backend:
    backends = registry().backends
    if base not in backends:
        installed = ", ".join(sorted(backends)) or "none"
        hint = " (install plugrad-cuda: pip install 'plugrad[cuda]')" if base == "cuda" else ""
        raise BackendError(
            f"unknown plugrad backend {name!r}; installed backends: {installed}{hint}"
        )
    return backends[base]


def _check_device(backend: Backend, device: int) -> None:
    devices = backend.devices()
    if not 0 <= device < max(len(devices), 1):
        raise BackendError(
            f"plugrad backend {backend.name!r} has no device {device} (it has "
            f"{len(devices)} device{'' if len(devices) == 1 else 's'}: "
            f"{'; '.join(devices) or '-'})"
        )


def _resolve(name: str | Backend | None) -> tuple[Backend, int | None]:
    """The backend named (available, or an error saying why not) and the device named."""
    if isinstance(name, Backend):
        backend, device = name, None
    else:
        name = _default() if name is None else name
        base, device = _parse(name)
        backend = _lookup(base, name)
    if not _is_available(backend):
        reason, _ = attempt(backend.unavailable_reason)
        raise BackendError(
            f"plugrad backend {backend.name!r} is installed but cannot run: {reason}"
        )
    if device is not None:
        _check_device(backend, device)
    return backend, device


def get(name: str | Backend | None = None) -> Backend:
    """The backend called ``name`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``); the default if None.

    Asking is all it does: ``get("cuda:1")`` checks that device 1 exists but leaves the
    active device alone (:func:`use` and :func:`using` change it).

    Raises:
        BackendError: the name is unknown (the message lists the installed backends), the
            backend cannot run here (the message says what is missing), or it has no such
            device.

    Example:
        >>> import plugrad_backends as B
        >>> B.get("cpu").name
        'cpu'
    """
    return _resolve(name)[0]


def current() -> Backend:
    """The default backend: where new arrays go when no device is named."""
    return get(_default())


def use(name: str) -> Backend:
    """Make ``name`` the default backend of the process, and its device the active one.

    Every thread sees the new default, except threads inside a :func:`using` block, whose
    backend holds until the block ends.

    Example:
        >>> import plugrad_backends as B
        >>> B.use("cpu").name
        'cpu'
    """
    backend, device = _resolve(name)
    if device is not None:
        backend.select_device(device)
    _set_default(backend.name)
    return backend


@contextmanager
def using(name: str) -> Iterator[Backend]:
    """Make ``name`` the default backend inside a ``with`` block, in this thread only.

    Other threads keep their default meanwhile. On leaving the block, the previous default
    and the backend's previous active device are restored (``using("cuda:1")`` inside a
    program on device 0 goes back to 0).

    Example:
        >>> import plugrad_backends as B
        >>> with B.using("cpu") as cpu:
        ...     B.array([1.0]).dtype
        dtype('float32')
    """
    backend, device = _resolve(name)
    previous_device = backend.current_device()
    token = _block_default.set(backend.name)
    try:
        if device is not None:
            backend.select_device(device)
        yield backend
    finally:
        _block_default.reset(token)
        if backend.current_device() != previous_device:
            backend.select_device(previous_device)


def array_namespace(*arrays: Any) -> ModuleType:
    """The array namespace (numpy, cupy, ...) of the given arrays' backend.

    One array of a type seen before costs one dict lookup: this is on every op's path.

    Raises:
        BackendError: the arrays live on different backends.

    Example:
        >>> import numpy as np, plugrad_backends as B
        >>> B.array_namespace(np.zeros(2)).__name__
        'numpy'
    """
    if len(arrays) == 1:
        xp = namespace_of_type[type(arrays[0])]
        if xp is not None:
            return xp
    return of(*arrays).xp


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
        b = backend_of_type[type(x)]
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
        b = backend_of_type[type(x)]
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
    target, index = _resolve(device)
    with target.on_device(index):
        return _convert(x, target, dtype)


def _convert(x: Any, target: Backend, dtype: Any) -> Any:
    source = backend_of_type[type(x)]
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
    source = backend_of_type[type(x)]
    if source is None:
        return np.asarray(x)
    return source.to_host(x)


def seed(n: int) -> None:
    """Seed the random generator of every registered, available backend, for this thread.

    Generators are per thread: the calling thread gets exactly the stream of seed ``n``
    (a single-threaded program draws what it always drew), and threads that do not seed
    their own generator draw from streams spawned from ``n`` with numpy's
    ``SeedSequence.spawn``, distinct from each other's. For reproducible results in
    several threads, call ``seed`` at the start of each thread's task.

    Example:
        >>> import plugrad_backends as B
        >>> B.seed(1); a = B.get("cpu").rng.random()
        >>> B.seed(1); a == B.get("cpu").rng.random()
        True
    """
    reg = registry()
    for name, backend in reg.backends.items():
        if _is_available(backend):
            _, error = attempt(lambda b=backend: b.seed(n))
            if error is not None:  # one backend's broken seed() must not stop the others'
                warn(
                    f"plugrad backend {name!r} from distribution "
                    f"{reg.backend_dist.get(name)!r} could not be seeded ({error}); the "
                    "other backends were"
                )


def rng_state() -> dict[str, Any]:
    """The calling thread's random state on every available backend, by backend name.

    ``pg.save`` stores it (plain dicts of ints and strings) and :func:`set_rng_state`
    restores it, so a resumed run draws the shuffles and dropout masks that an uninterrupted
    one would. A backend that cannot capture its state is left out with a warning.

    Example:
        >>> import plugrad_backends as B
        >>> B.seed(0); saved = B.rng_state()
        >>> a = B.get("cpu").rng.random()
        >>> B.set_rng_state(saved); a == B.get("cpu").rng.random()
        True
    """
    reg = registry()
    out = {}
    for name, backend in reg.backends.items():
        if _is_available(backend):
            try:
                out[name] = backend.rng_state()
            except BackendError as e:
                warnings.warn(
                    f"rng_state: {e}; its draws will not be restored",
                    RuntimeWarning,
                    stacklevel=_user_stacklevel(),
                )
    return out


def set_rng_state(state: Any) -> None:
    """Restore the calling thread's random state from :func:`rng_state`'s result.

    Generator objects are kept; their state is overwritten.

    Raises:
        TypeError: ``state`` is not a dict by backend name.
        BackendError: it names a backend that is not installed or not available.
        ValueError: a backend's state it cannot restore.
    """
    if not isinstance(state, dict):
        raise TypeError(
            f"set_rng_state: state must be the dict rng_state() returned, got "
            f"{type(state).__name__}"
        )
    backends = [get(name) for name in state]
    for backend, st in zip(backends, state.values(), strict=True):
        backend.set_rng_state(st)


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
    if which is None:
        backend = current()
        return backend.current_device() if backend.is_gpu else -1
    if which is False or (not isinstance(which, bool) and which < 0):
        _set_default("cpu")
        return -1
    gpus = [b for b in registry().backends.values() if b.is_gpu and _is_available(b)]
    if not gpus:
        return -1
    backend = gpus[0]
    if not isinstance(which, bool):
        backend.select_device(int(which))
    _set_default(backend.name)
    return backend.current_device()
