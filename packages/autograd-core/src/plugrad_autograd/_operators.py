"""Array behaviour for boxes (Params and recorded values): operators, properties, numpy.

Attached to :class:`Box` so that ``x * y``, ``x[i]``, ``x.T``, ``x.shape``... work on Params
outside ``diff`` (where they act like their value) and record inside it.
"""

from __future__ import annotations

from typing import Any

from plugrad_backends import to_host

from . import _ops_arith as A
from . import _ops_reduce as R
from . import _ops_shape as S
from ._primitive import REGISTRY
from ._tape import TAPES, Box, _raw


def _rev(op: Any) -> Any:
    return lambda self, other: op(other, self)


def _getitem(self: Any, index: Any) -> Any:
    return S.getitem(self, index)


def _reshape(self: Any, *shape: Any, order: str = "C", copy: Any = None) -> Any:
    if order != "C":
        raise ValueError(f"reshape: only order='C' (row-major) is supported, got {order!r}")
    return S.reshape(self, shape[0] if len(shape) == 1 else shape)


def _transpose(self: Any, *axes: Any) -> Any:
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return S.transpose(self, tuple(axes) if axes else None)


def _iter(self: Any) -> Any:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d array")
    return (S.getitem(self, i) for i in range(self.shape[0]))


# What to use instead of a numpy function that would turn a recorded value into a plain array.
_FIXES = {
    "ravel": "pg.reshape(x, -1) or pg.vec(x)",
    "reshape": "pg.reshape",
    "concatenate": "pg.concat",
    "hstack": "pg.hcat or pg.concat",
    "vstack": "pg.vcat or pg.concat",
    "stack": "pg.stack",
}
_DEFAULT_FIX = "pg.stack / pg.concat to build arrays, pg.reshape to reshape"


class _EscapeError(TypeError):
    """A recorded value was converted to a plain array inside diff."""


def _escape_error(what: str, fix: str = _DEFAULT_FIX) -> _EscapeError:
    return _EscapeError(
        f"{what} turns a recorded value into a plain array inside diff, which would drop its "
        f"gradient silently; use plugrad ops instead ({fix}), or pg.value(x) to use the "
        f"value as a constant on purpose"
    )


def _array(self: Any, dtype: Any = None, copy: Any = None) -> Any:
    if TAPES.get():
        raise _escape_error("np.array / np.asarray / pg.array", "pg.stack")
    host = to_host(_raw(self))
    return host.astype(dtype) if dtype is not None else host


def _array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    # numpy's own implementation: where it calls a box's method (np.sum -> x.sum) it
    # records; where it converts the box to an array inside diff, name the function.
    try:
        return func._implementation(*args, **kwargs)
    except _EscapeError:
        fix = _FIXES.get(func.__name__, _DEFAULT_FIX)
        raise _escape_error(f"numpy.{func.__name__}", fix) from None


def _array_ufunc(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    # np.exp(param) etc.: use plugrad's op of the same name when one exists, so numpy code
    # records inside diff; outside diff, compute on the raw values.
    op = REGISTRY.get(_UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__))
    if method == "__call__" and op is not None and not kwargs:
        return op(*inputs)
    if TAPES.get() and any(isinstance(i, Box) for i in inputs):
        raise TypeError(
            f"numpy.{ufunc.__name__} is not differentiable inside diff; use the plugrad op "
            f"of the same name (pg.{ufunc.__name__}) or write a primitive"
        )
    return getattr(ufunc, method)(*[_raw(i) for i in inputs], **kwargs)


def _reduce(op: Any, x: Any, axis: Any, keepdims: bool, dtype: Any, out: Any) -> Any:
    # numpy's np.sum(param) calls param.sum(axis=..., dtype=None, out=None): accept those.
    if out is not None or dtype is not None:
        if TAPES.get():
            raise TypeError(f"{op.__name__}: dtype= and out= are not differentiable inside diff")
        result = op(_raw(x), axis=axis, keepdims=keepdims)
        if dtype is not None:
            result = result.astype(dtype)
        if out is not None:
            out[...] = result
            return out
        return result
    return op(x, axis=axis, keepdims=keepdims)


_UFUNC_ALIASES = {
    "true_divide": "divide",
    "absolute": "abs",
    "bitwise_not": "logical_not",
}

_METHODS: dict[str, Any] = {
    "__add__": A.add,
    "__radd__": _rev(A.add),
    "__sub__": A.subtract,
    "__rsub__": _rev(A.subtract),
    "__mul__": A.multiply,
    "__rmul__": _rev(A.multiply),
    "__truediv__": A.divide,
    "__rtruediv__": _rev(A.divide),
    "__pow__": A.power,
    "__rpow__": _rev(A.power),
    "__matmul__": A.matmul,
    "__rmatmul__": _rev(A.matmul),
    "__neg__": A.negative,
    "__pos__": lambda self: self,
    "__abs__": lambda self: REGISTRY["abs"](self),
    "__eq__": A.equal,
    "__ne__": A.not_equal,
    "__lt__": A.less,
    "__le__": A.less_equal,
    "__gt__": A.greater,
    "__ge__": A.greater_equal,
    "__hash__": object.__hash__,
    "__getitem__": _getitem,
    "__iter__": _iter,
    "__len__": lambda self: len(_raw(self)),
    "__float__": lambda self: float(_raw(self)),
    "__int__": lambda self: int(_raw(self)),
    "__bool__": lambda self: bool(_raw(self)),
    "__array__": _array,
    "__array_ufunc__": _array_ufunc,
    "__array_function__": _array_function,
    "__array_priority__": 1000,
    "shape": property(lambda self: _raw(self).shape),
    "dtype": property(lambda self: _raw(self).dtype),
    "ndim": property(lambda self: _raw(self).ndim),
    "size": property(lambda self: _raw(self).size),
    "T": property(lambda self: S.transpose(self)),
    "reshape": _reshape,
    "transpose": _transpose,
    "sum": lambda self, axis=None, dtype=None, out=None, keepdims=False, **_: _reduce(
        R.sum, self, axis, keepdims, dtype, out
    ),
    "mean": lambda self, axis=None, dtype=None, out=None, keepdims=False, **_: _reduce(
        R.mean, self, axis, keepdims, dtype, out
    ),
    "max": lambda self, axis=None, out=None, keepdims=False, **_: _reduce(
        R.max, self, axis, keepdims, None, out
    ),
    "min": lambda self, axis=None, out=None, keepdims=False, **_: _reduce(
        R.min, self, axis, keepdims, None, out
    ),
    "item": lambda self: _raw(self).item(),
    "tolist": lambda self: _raw(self).tolist(),
}


def install() -> None:
    """Give :class:`Box` (hence Param and Value) its array behaviour."""
    for name, member in _METHODS.items():
        setattr(Box, name, member)
