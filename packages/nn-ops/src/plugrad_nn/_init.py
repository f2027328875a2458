"""Initializers and ``param``/``param0``.

Weight layouts, and the fans the scaled initializers use:

- dense weights are (in_features, out_features), used as ``x @ w`` (Knet's (out, in) read
  row-major): fan_in = shape[0], fan_out = shape[1];
- convolution filters are (O, I, k...): fan_in = I * prod(k), fan_out = O * prod(k);
- vectors (length n): fan_in = n, fan_out = 1, as Knet.

Every draw comes from the target backend's generator, so ``plugrad_backends.seed(n)``
makes initialization reproducible.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._common import int_arg, op_error, prod, resolve_atype


def _dims(op: str, dims: tuple) -> tuple[int, ...]:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not all(isinstance(d, Integral) for d in dims) or any(d < 0 for d in dims):
        raise op_error(op, f"dimensions must be non-negative ints, got {dims!r}", TypeError)
    return tuple(int(d) for d in dims)


def _target(dtype: Any, device: Any) -> tuple[B.Backend, Any]:
    backend = B.get(device) if device is not None else B.current()
    return backend, np.dtype(dtype) if dtype is not None else B.default_dtype()


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` in plugrad's layouts (see module doc).

    Example:
        >>> import plugrad_nn as nn
        >>> nn.fans((784, 100)), nn.fans((20, 1, 5, 5))
        ((784, 100), (25, 500))
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], 1
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


# A backend's generator or namespace may hand back arrays of another type (a numpy
# generator serving a backend of numpy subclasses): backend.asarray makes them its own.


def _uniform(backend: Any, shape: tuple[int, ...], dtype: Any, bound: float) -> Any:
    u = backend.asarray(backend.rng.random(shape, dtype=dtype))
    u *= 2 * bound
    u -= bound
    return u


def _normal(backend: Any, shape: tuple[int, ...], dtype: Any, mean: float, std: float) -> Any:
    z = backend.asarray(backend.rng.standard_normal(shape, dtype=dtype))
    z *= std
    if mean:
        z += mean
    return z


def xavier_uniform(*dims: int, gain: float = 1.0, dtype: Any = None, device: Any = None) -> Any:
    """Glorot/Xavier uniform weights in ``±gain * sqrt(6 / (fan_in + fan_out))``.

    ``dims`` are ints or one tuple; ``dtype`` defaults to float32, ``device`` to the
    default backend. Also called ``xavier``.

    Example:
        >>> import plugrad_nn as nn
        >>> w = nn.xavier_uniform(100, 50)
        >>> w.shape, w.dtype, bool(abs(w).max() <= (6 / 150) ** 0.5)
        ((100, 50), dtype('float32'), True)
    """
    shape = _dims("xavier_uniform", dims)
    backend, dt = _target(dtype, device)
    fan_in, fan_out = fans(shape)
    return _uniform(backend, shape, dt, gain * math.sqrt(6.0 / max(fan_in + fan_out, 1)))


xavier = xavier_uniform


def xavier_normal(*dims: int, gain: float = 1.0, dtype: Any = None, device: Any = None) -> Any:
    """Glorot/Xavier normal weights with std ``gain * sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> import plugrad_nn as nn
        >>> nn.xavier_normal(3, 4).shape
        (3, 4)
    """
    shape = _dims("xavier_normal", dims)
    backend, dt = _target(dtype, device)
    fan_in, fan_out = fans(shape)
    return _normal(backend, shape, dt, 0.0, gain * math.sqrt(2.0 / max(fan_in + fan_out, 1)))


def gaussian(
    *dims: int, mean: float = 0.0, std: float = 0.01, dtype: Any = None, device: Any = None
) -> Any:
    """Knet's ``gaussian``: normal samples with the given ``mean`` and ``std`` (0.01).

    Example:
        >>> import plugrad_nn as nn
        >>> nn.gaussian(2, 3).shape
        (2, 3)
    """
    shape = _dims("gaussian", dims)
    backend, dt = _target(dtype, device)
    return _normal(backend, shape, dt, mean, std)


def _fan(op: str, shape: tuple[int, ...], mode: str) -> int:
    fan_in, fan_out = fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise op_error(op, f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return max(fan_in if mode == "fan_in" else fan_out, 1)


def kaiming_uniform(
    *dims: int,
    gain: float = math.sqrt(2.0),
    mode: str = "fan_in",
    dtype: Any = None,
    device: Any = None,
) -> Any:
    """He/Kaiming uniform weights in ``±gain * sqrt(3 / fan)`` (gain sqrt(2) suits relu).

    Example:
        >>> import plugrad_nn as nn
        >>> w = nn.kaiming_uniform(20, 1, 5, 5)
        >>> bool(abs(w).max() <= (6 / 25) ** 0.5)
        True
    """
    shape = _dims("kaiming_uniform", dims)
    backend, dt = _target(dtype, device)
    return _uniform(
        backend, shape, dt, gain * math.sqrt(3.0 / _fan("kaiming_uniform", shape, mode))
    )


def kaiming_normal(
    *dims: int,
    gain: float = math.sqrt(2.0),
    mode: str = "fan_in",
    dtype: Any = None,
    device: Any = None,
) -> Any:
    """He/Kaiming normal weights with std ``gain / sqrt(fan)``.

    Example:
        >>> import plugrad_nn as nn
        >>> nn.kaiming_normal(50, 20, 5, 5).shape
        (50, 20, 5, 5)
    """
    shape = _dims("kaiming_normal", dims)
    backend, dt = _target(dtype, device)
    return _normal(backend, shape, dt, 0.0, gain / math.sqrt(_fan("kaiming_normal", shape, mode)))


def _is_dtype(value: Any) -> bool:
    """True for a dtype given as a type, a numpy dtype or a dtype name (Knet's ``etype``)."""
    if isinstance(value, (bool, Integral)) or value is None:
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def bilinear(*args: Any, dtype: Any = None, device: Any = None) -> Any:
    """Knet's ``bilinear``: deconv4 filters (C_in, C_out, kH, kW) for bilinear upsampling.

    Called ``bilinear(factor_h, factor_w, in_channels, out_channels)`` or, Knet's form,
    ``bilinear(dtype, factor_h, factor_w, in_channels, out_channels)``. Each kernel side
    is ``2*factor - factor % 2``; filter ``[i, i]`` is the bilinear interpolation kernel
    and every other pair of channels is zero (Long et al.'s FCN surgery). Use with
    ``deconv4(w, x, stride=factor, padding=(factor + 1) // 2 ... )``. Spatial arguments
    are in array order (H, W), the reverse of Knet's (fw, fh), in both forms.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.bilinear(2, 2, 1, 1)[0, 0].tolist()[0]
        [0.0625, 0.1875, 0.1875, 0.0625]
        >>> nn.bilinear(np.float64, 2, 2, 1, 1).dtype
        dtype('float64')
    """
    usage = (
        "call bilinear(factor_h, factor_w, in_channels, out_channels) or "
        "bilinear(dtype, factor_h, factor_w, in_channels, out_channels)"
    )
    if args and _is_dtype(args[0]):
        if dtype is not None:
            raise op_error("bilinear", f"the dtype was given twice; {usage}", TypeError)
        dtype, args = args[0], args[1:]
    if len(args) != 4:
        raise op_error(
            "bilinear", f"expected 4 sizes, got {len(args)} ({args!r}); {usage}", TypeError
        )
    names = ("factor_h", "factor_w", "in_channels", "out_channels")
    for name, value in zip(names, args):
        int_arg("bilinear", name, value)
    factor_h, factor_w, in_channels, out_channels = (int(a) for a in args)
    backend, dt = _target(dtype, device)
    if dt.kind != "f":
        raise op_error(
            "bilinear", f"dtype must be a floating-point type, got {dt}; {usage}", TypeError
        )
    xp = backend.xp

    def taps(f: int) -> Any:
        size = 2 * f - f % 2
        center = f - 1 if size % 2 == 1 else f - 0.5
        return 1 - xp.abs(xp.arange(size, dtype=dt) - center) / f

    kernel = taps(factor_h)[:, None] * taps(factor_w)[None, :]
    w = backend.asarray(xp.zeros((in_channels, out_channels, *kernel.shape), dtype=dt))
    for i in range(min(in_channels, out_channels)):
        w[i, i] = kernel
    return w


def _zeros(*dims: int, dtype: Any = None, device: Any = None) -> Any:
    shape = _dims("param0", dims)
    backend, dt = _target(dtype, device)
    return backend.asarray(backend.xp.zeros(shape, dtype=dt))


def _accepts_target(init: Callable[..., Any]) -> bool:
    try:
        names = inspect.signature(init).parameters
    except (TypeError, ValueError):
        return False
    return "dtype" in names and "device" in names


def initial(init: Callable[..., Any], shape: tuple[int, ...], backend: Any, dtype: Any) -> Any:
    """``init`` drawn for ``shape`` on ``backend`` in ``dtype`` (any init function)."""
    if _accepts_target(init):
        return B.array(init(*shape, dtype=dtype, device=backend), device=backend, dtype=dtype)
    return B.array(init(*shape), device=backend, dtype=dtype)


def param(*dims: Any, init: Callable[..., Any] = xavier_uniform, atype: Any = None) -> ag.Param:
    """Knet's ``param``: a Param initialized by ``init(*dims)``, or wrapping an array.

    ``param(3, 4)`` draws ``init`` (``xavier_uniform`` by default) on the target backend;
    ``param(array)`` wraps an existing array (converted only when ``atype`` is given).
    ``atype`` is a dtype and/or a backend name (``"cpu"``, ``"cuda"``), or a pair; by default
    float32 on the default backend. Any ``init`` works: plugrad's initializers draw on the
    target backend directly, others are called as ``init(*dims)`` and converted.

    Example:
        >>> import plugrad_nn as nn
        >>> w = nn.param(5, 3)
        >>> w.shape, w.dtype
        ((5, 3), dtype('float32'))
        >>> nn.param(2, atype="float64").dtype
        dtype('float64')
    """
    if len(dims) == 1 and not isinstance(dims[0], (Integral, tuple, list)):
        value = ag.value(dims[0])
        if atype is not None:
            backend, dtype = resolve_atype(atype, "param")
            value = B.array(value, device=backend, dtype=dtype)
        return ag.Param(value)
    shape = _dims("param", dims)
    backend, dtype = resolve_atype(atype, "param")
    return ag.Param(initial(init, shape, backend, dtype))


def param0(*dims: Any, atype: Any = None) -> ag.Param:
    """Knet's ``param0``: a Param of zeros, ``param(*dims, init=zeros)``.

    Example:
        >>> import plugrad_nn as nn
        >>> nn.param0(3).value
        array([0., 0., 0.], dtype=float32)
    """
    return param(*dims, init=_zeros, atype=atype)
