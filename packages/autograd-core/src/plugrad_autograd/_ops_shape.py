"""Shape and indexing ops: reshape, transpose, concatenation, slicing, and their rules."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ._backend import xp_of
from ._primitive import defvjp, defvjp_argnum, primitive
from ._tape import _raw


@primitive
def reshape(x: Any, shape: Any) -> Any:
    """``x`` with a new shape (``-1`` infers one dimension), as numpy's ``reshape``.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.reshape(np.arange(6), (2, 3)).shape
        (2, 3)
    """
    return x.reshape(shape)


defvjp(reshape, lambda dy, y, x, shape: reshape(dy, x.shape))


def _inverse(axes: Sequence[int]) -> tuple[int, ...]:
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return tuple(inv)


@primitive
def transpose(x: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute the axes of ``x`` (reverse them by default), as numpy's ``transpose``."""
    return x.transpose(axes) if axes is not None else x.transpose()


defvjp(
    transpose,
    lambda dy, y, x, axes=None: transpose(
        dy, _inverse([a % x.ndim for a in axes]) if axes is not None else None
    ),
)


def permute_dims(x: Any, axes: Sequence[int]) -> Any:
    """Array-API name of :func:`transpose` with explicit axes."""
    return transpose(x, tuple(axes))


@primitive
def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes of ``x``."""
    return x.swapaxes(axis1, axis2)


defvjp(swapaxes, lambda dy, y, x, axis1, axis2: swapaxes(dy, axis1, axis2))


@primitive
def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    """Insert size-1 axes at ``axis``."""
    return xp_of(x).expand_dims(x, axis)


defvjp(expand_dims, lambda dy, y, x, axis: reshape(dy, x.shape))


@primitive
def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """Remove size-1 axes (all of them, or those at ``axis``)."""
    return x.squeeze(axis)


defvjp(squeeze, lambda dy, y, x, axis=None: reshape(dy, x.shape))


@primitive
def flip(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes by default)."""
    return xp_of(x).flip(x, axis)


defvjp(flip, lambda dy, y, x, axis=None: flip(dy, axis))


def _has_arrays(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, "shape") or isinstance(p, list) for p in parts)


def _open_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


@primitive
def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with every numpy index form (ints, slices, ..., None, arrays, masks)."""
    return x[_open_index(index)]


@primitive
def scatter_add(dy: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``dy`` added at ``index`` (repeats accumulate)."""
    xp = xp_of(dy)
    out = xp.zeros(shape, dtype=dy.dtype)
    index = _open_index(index)
    rows = _row_index(index)
    if rows is not None and hasattr(xp.add, "reduceat"):
        _add_rows(xp, out, rows, dy)
    elif _has_arrays(index):
        add_at(xp, out, index, dy)
    else:
        out[index] = dy
    return out


def _row_index(index: Any) -> Any:
    """The integer array when ``index`` picks whole rows (``x[idx]``), else None."""
    if isinstance(index, tuple):
        if len(index) != 1:
            return None
        index = index[0]
    dtype = getattr(index, "dtype", None)
    return index if dtype is not None and dtype.kind in "iu" else None


def _add_rows(xp: Any, out: Any, rows: Any, values: Any) -> None:
    # out[rows] += values with repeated rows summed: sorting and one reduceat is several
    # times faster than numpy's add.at (the embedding gradient's hot spot).
    flat = rows.reshape(-1)
    if flat.size == 0:
        return
    values = values.reshape((flat.size, *out.shape[1:]))
    flat = xp.where(flat < 0, flat + out.shape[0], flat)
    order = xp.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = xp.flatnonzero(xp.concatenate(([True], ordered[1:] != ordered[:-1])))
    out[ordered[starts]] += xp.add.reduceat(values[order], starts, axis=0)


def add_at(xp: Any, out: Any, index: Any, values: Any) -> None:
    """Unbuffered ``out[index] += values`` on any backend (numpy's ``add.at``)."""
    if hasattr(xp.add, "at"):
        xp.add.at(out, index, values)
    else:  # cupy spells it cupyx.scatter_add
        import cupyx  # type: ignore[import-not-found]

        cupyx.scatter_add(out, index, values)


defvjp(getitem, lambda dy, y, x, index: scatter_add(dy, index, x.shape))
defvjp(scatter_add, lambda g, y, dy, index, shape: getitem(g, index))


def _normalize_axis(axis: int, ndim: int) -> int:
    return axis % ndim


@primitive
def _concatenate(*xs: Any, axis: int = 0) -> Any:
    return xp_of(*xs).concatenate(xs, axis=axis)


def _concat_vjp(i: int, dy: Any, y: Any, *xs: Any, axis: int = 0) -> Any:
    axis = _normalize_axis(axis, dy.ndim)
    start = 0
    for x in xs[:i]:
        start += x.shape[axis]
    index = (slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)
    return getitem(dy, index)


defvjp_argnum(_concatenate, _concat_vjp)


def concat(xs: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along an existing ``axis`` (numpy's ``concatenate``).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.concat([np.ones(2), np.zeros(1)])
        array([1., 1., 0.])
    """
    return _concatenate(*xs, axis=axis)


concatenate = concat


def vcat(*xs: Any) -> Any:
    """Stack rows: join along axis 0 (1-D inputs become rows), as numpy's ``vstack``."""
    return concat([x if x.ndim > 1 else reshape(x, (1, -1)) for x in xs], axis=0)


def hcat(*xs: Any) -> Any:
    """Join side by side: along axis 1 (axis 0 for 1-D inputs), as numpy's ``hstack``."""
    return concat(xs, axis=1 if xs[0].ndim > 1 else 0)


@primitive
def _stack(*xs: Any, axis: int = 0) -> Any:
    return xp_of(*xs).stack(xs, axis=axis)


def _stack_vjp(i: int, dy: Any, y: Any, *xs: Any, axis: int = 0) -> Any:
    axis = _normalize_axis(axis, dy.ndim)
    return getitem(dy, (slice(None),) * axis + (i,))


defvjp_argnum(_stack, _stack_vjp)


def stack(xs: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along a new ``axis``.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.stack([np.ones(2), np.zeros(2)]).shape
        (2, 2)
    """
    return _stack(*xs, axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """Split ``x`` along ``axis`` into equal sections or at the given indices (numpy's).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> [a.tolist() for a in ag.split(np.arange(4.0), 2)]
        [[0.0, 1.0], [2.0, 3.0]]
    """
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of length {n} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    return [getitem(x, (*lead, slice(a, b))) for a, b in itertools.pairwise(bounds)]


@primitive
def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Elements of ``x`` at integer ``indices`` along ``axis`` (flattened when None)."""
    return xp_of(x).take(x, _raw(indices), axis=axis)


def _take_vjp(dy: Any, y: Any, x: Any, indices: Any, axis: int | None = None) -> Any:
    indices = _raw(indices)
    if axis is None:
        return reshape(scatter_add(dy, (indices,), (x.size,)), x.shape)
    axis = axis % x.ndim
    return scatter_add(dy, (slice(None),) * axis + (indices,), x.shape)


defvjp(take, _take_vjp, None)


def vec(x: Any) -> Any:
    """Knet's ``vec``: ``x`` flattened in row-major order."""
    return reshape(x, (-1,))


def mat(x: Any, dims: int | None = None) -> Any:
    """Knet's ``mat``: ``x`` as a matrix, its trailing ``dims`` axes joined into columns.

    Knet joins the first ``dims`` (column-major) dimensions; read row-major these are the
    last ``dims`` axes: the result is ``(prod(shape[:-dims]), prod(shape[-dims:]))``.
    The default ``dims = ndim - 1`` keeps the batch axis: ``(N, -1)``. ``dims=1`` turns an
    RNN's (T, B, H) output into (T*B, H); ``dims=0`` gives a column (size, 1) and
    ``dims=ndim`` a row (1, size), as Knet's row and column vectors read row-major.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> x = np.zeros((5, 2, 3))
        >>> ag.mat(x).shape, ag.mat(x, dims=1).shape, ag.mat(x, dims=0).shape
        ((5, 6), (10, 3), (30, 1))
    """
    shape = tuple(x.shape)
    if dims is None:
        dims = len(shape) - 1
    if isinstance(dims, bool) or not isinstance(dims, int) or not 0 <= dims <= len(shape):
        raise ValueError(
            f"mat: dims must be an int in [0, {len(shape)}] (the number of trailing axes "
            f"joined into columns) for x of shape {shape}, got {dims!r}"
        )
    cols = 1
    for n in shape[len(shape) - dims :]:
        cols *= n
    rows = 1
    for n in shape[: len(shape) - dims]:
        rows *= n
    return reshape(x, (rows, cols))


def cat1d(*xs: Any) -> Any:
    """Knet's ``cat1d``: the flattened arguments concatenated into one vector."""
    return concat([vec(x) for x in xs])
