"""Knet's minibatch, plus seqbatch and onehot."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import plugrad_backends as B

Conversion = Any  # a dtype, a backend name or Backend, or a callable


def _as_data(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x


def _count(x: Any, fn: str, name: str) -> int:
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(
            f"{fn}: {name} must be an array with instances along axis 0, got "
            f"{type(x).__name__} with shape {shape}"
        )
    return int(shape[0])


def _is_device(t: Any) -> bool:
    if isinstance(t, B.Backend):
        return True
    return isinstance(t, str) and t.split(":", 1)[0] in B.registered()


def _dtype_of(to: Any) -> np.dtype | None:
    if isinstance(to, np.dtype) or (isinstance(to, type) and issubclass(to, np.generic)):
        return np.dtype(to)
    if isinstance(to, str) and not _is_device(to):
        try:
            return np.dtype(to)
        except TypeError:
            raise ValueError(
                f"minibatch: xtype/ytype {to!r} is neither a dtype nor a registered backend "
                f"({', '.join(B.registered())})"
            ) from None
    return None


def _check_conversion(to: Any) -> None:
    if to is None or _is_device(to) or _dtype_of(to) is not None or callable(to):
        return
    raise TypeError(
        "minibatch: xtype/ytype must be a dtype, a backend name or a callable, got "
        f"{type(to).__name__}"
    )


def _convert(x: Any, to: Conversion) -> Any:
    """Convert an array to a dtype, move it to a backend, or apply a function to it.

    ``to`` is a dtype (``"float32"``, ``np.float64``, ``np.dtype(...)``), a backend name
    (``"cpu"``, ``"cuda"``, ``"cuda:1"``) or ``Backend``, or any other callable (called with the
    array). Strings are first matched against the registered backends' names. None returns
    ``x`` unchanged.

    Example:
        >>> import numpy as np
        >>> _convert(np.arange(3), "float32").dtype
        dtype('float32')
        >>> _convert(np.arange(3), lambda a: a * 2).tolist()
        [0, 2, 4]
    """
    if to is None:
        return x
    if _is_device(to):
        return B.array(x, device=to)
    dtype = _dtype_of(to)
    if dtype is not None:
        return B.array(x, device=B.of(x), dtype=dtype)
    return to(x)


def _check_shard(shard: Any) -> tuple[int, int] | None:
    if shard is None:
        return None
    fix = "pass shard=(rank, world_size), e.g. (pg.distributed.rank(), pg.distributed.world_size())"
    if (
        not isinstance(shard, (tuple, list))
        or len(shard) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in shard)
    ):
        raise TypeError(
            f"minibatch: shard must be a pair of ints (rank, world_size), got {shard!r}; {fix}"
        )
    rank, size = int(shard[0]), int(shard[1])
    if size < 1 or not 0 <= rank < size:
        raise ValueError(
            f"minibatch: shard=(rank, world_size) needs world_size >= 1 and 0 <= rank < "
            f"world_size, got {shard!r}; {fix}"
        )
    return rank, size


def _reshape(batch: Any, size: Sequence[int] | None) -> Any:
    if size is None:
        return batch
    # Knet's xsize is the shape of the whole data; its instance entry is replaced by the
    # batch's own length so that a partial last batch reshapes too.
    return batch.reshape((batch.shape[0], *tuple(size)[1:]))


class MiniBatches:
    """The iterable that :func:`minibatch` returns; ``len`` is the number of batches.

    Each ``iter()`` starts a new pass from the first batch; with ``shuffle`` every pass draws
    a fresh permutation from the CPU backend's generator (so ``plugrad_backends.seed(n)``
    makes it reproducible).

    Attributes:
        x, y: the data (``y`` None when not given).
        batchsize, shuffle, partial, xtype, ytype, xsize, ysize: as given to ``minibatch``.
        shard: ``(rank, world_size)`` or None, as given to ``minibatch``.
        n: the number of instances.

    Example:
        >>> import numpy as np
        >>> d = minibatch(np.zeros((10, 2)), batchsize=4, partial=True)
        >>> len(d), [b.shape for b in d]
        (3, [(4, 2), (4, 2), (2, 2)])
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        batchsize: int,
        shuffle: bool,
        partial: bool,
        xtype: Conversion,
        ytype: Conversion,
        xsize: Sequence[int] | None,
        ysize: Sequence[int] | None,
        shard: tuple[int, int] | None = None,
    ) -> None:
        if isinstance(batchsize, bool) or not isinstance(batchsize, (int, np.integer)):
            raise TypeError(f"minibatch: batchsize must be an int, got {batchsize!r}")
        if batchsize < 1:
            raise ValueError(f"minibatch: batchsize must be at least 1, got {batchsize}")
        self.x = _as_data(x)
        self.y = None if y is None else _as_data(y)
        self.n = _count(self.x, "minibatch", "x")
        if self.y is not None:
            ny = _count(self.y, "minibatch", "y")
            if ny != self.n:
                raise ValueError(
                    f"minibatch: x has {self.n} instances (shape {tuple(self.x.shape)}) but y "
                    f"has {ny} (shape {tuple(self.y.shape)}); they must match along axis 0"
                )
        self.batchsize = int(batchsize)
        self.shuffle = bool(shuffle)
        self.partial = bool(partial)
        _check_conversion(xtype)
        _check_conversion(ytype)
        self.xtype, self.ytype = xtype, ytype
        self.xsize, self.ysize = xsize, ysize
        self.shard = _check_shard(shard)

    def __len__(self) -> int:
        per_step = self.batchsize * (1 if self.shard is None else self.shard[1])
        if self.partial:
            return math.ceil(self.n / per_step)
        return self.n // per_step

    def _positions(self, k: int) -> slice:
        """Positions in the pass's order of batch ``k`` (this shard's part of it)."""
        if self.shard is None:
            return slice(k * self.batchsize, min((k + 1) * self.batchsize, self.n))
        # global batch k spans batchsize * world_size positions; rank r takes every
        # world_size-th of them, starting at r
        rank, size = self.shard
        per_step = self.batchsize * size
        return slice(k * per_step + rank, min((k + 1) * per_step, self.n), size)

    def __iter__(self) -> Iterator[Any]:
        order = B.get("cpu").rng.permutation(self.n) if self.shuffle else None
        # index each array with indices on its own backend (a GPU array wants GPU indices)
        xorder = None if order is None else B.of(self.x).xp.asarray(order)
        yorder = None if order is None or self.y is None else B.of(self.y).xp.asarray(order)
        for k in range(len(self)):
            where = self._positions(k)
            xids = where if xorder is None else xorder[where]
            xb = _convert(_reshape(self.x[xids], self.xsize), self.xtype)
            if self.y is None:
                yield xb
            else:
                yids = where if yorder is None else yorder[where]
                yield xb, _convert(_reshape(self.y[yids], self.ysize), self.ytype)

    def __repr__(self) -> str:
        return (
            f"<minibatch: {len(self)} batches of {self.batchsize} from {self.n} instances"
            f"{', shuffled' if self.shuffle else ''}{', partial' if self.partial else ''}"
            f"{'' if self.shard is None else f', shard {self.shard[0]} of {self.shard[1]}'}>"
        )


def minibatch(
    x: Any,
    y: Any = None,
    batchsize: int = 100,
    shuffle: bool = False,
    partial: bool = False,
    xtype: Conversion = None,
    ytype: Conversion = None,
    xsize: Sequence[int] | None = None,
    ysize: Sequence[int] | None = None,
    shard: tuple[int, int] | None = None,
) -> MiniBatches:
    """Knet's ``minibatch``: an iterable of batches of ``x`` (and ``y``) along axis 0.

    Yields ``xb``, or ``(xb, yb)`` when ``y`` is given. There are ``len(d)`` batches:
    ``n // batchsize``, or ``ceil(n / batchsize)`` with ``partial=True`` (the last batch then
    holds the rest). Every ``for`` loop over the result is a new pass from the start; with
    ``shuffle=True`` each pass draws a fresh permutation from the CPU backend's random
    generator, so ``plugrad_backends.seed(n)`` makes the order reproducible, and a different
    remainder is dropped each pass. Use ``itertools.islice`` for a partial pass and
    ``itertools.chain.from_iterable(itertools.repeat(d, k))`` for ``k`` passes.

    ``shard=(rank, world_size)`` gives the process of that rank its part of every pass, for
    data-parallel training: each pass's order (the same in every process when they share
    the seed) is cut into global batches of ``batchsize * world_size`` positions, and rank
    ``r`` takes positions ``r, r + world_size, ...`` of each, ``batchsize`` of them. So the
    shards are disjoint, every rank has ``len(d)`` batches, and the ranks' batches ``k``
    together are batch ``k`` of one process with ``batchsize * world_size``. With
    ``partial=True`` the shards cover every instance, and a rank's last batch may be smaller
    or even empty (when fewer instances than ranks remain).

    Like Knet, ``minibatch(x, 32)`` (an int in ``y``'s place) means ``batchsize=32``.

    Args:
        x: the inputs, instances along axis 0 (an array of any backend, or a list).
        y: the targets, with as many instances as ``x``; None for ``x`` alone.
        batchsize: instances per batch.
        shuffle: visit the instances in a new random order each pass.
        partial: keep the last, smaller batch.
        xtype: convert each ``x`` batch: a dtype, a backend name (``"cuda"``) or a callable.
        ytype: likewise for ``y`` batches.
        xsize: reshape each ``x`` batch to this shape (Knet's ``xsize``: the shape of the
            whole data, its first, instance entry replaced by the batch's length, so
            ``(-1, 784)`` or ``x.shape`` both work).
        ysize: likewise for ``y`` batches.
        shard: ``(rank, world_size)``: yield only this process's part of each pass.

    Raises:
        ValueError: ``x`` and ``y`` differ in their number of instances, ``batchsize < 1``,
            or ``shard`` is not a rank and a world size.

    Example:
        >>> import numpy as np
        >>> d = minibatch(np.arange(10), np.arange(10) % 2, batchsize=3)
        >>> len(d), [xb.tolist() for xb, yb in d]
        (3, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
        >>> len(minibatch(np.arange(10), batchsize=3, partial=True))
        4
        >>> [b.tolist() for b in minibatch(np.arange(10), batchsize=2, shard=(1, 2))]
        [[1, 3], [5, 7]]
    """
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        if batchsize != 100:
            raise TypeError(
                f"minibatch: got an int {y} for y and batchsize={batchsize}; pass the "
                "batch size once, as minibatch(x, batchsize) or minibatch(x, batchsize=...)"
            )
        y, batchsize = None, int(y)
    return MiniBatches(x, y, batchsize, shuffle, partial, xtype, ytype, xsize, ysize, shard)


def seqbatch(x: Any, batchsize: int) -> Any:
    """Knet's ``seqbatch``: split one long sequence into ``batchsize`` parallel streams.

    The first ``T * batchsize`` items (``T = len(x) // batchsize``; the rest is dropped) are cut
    into ``batchsize`` consecutive pieces of length ``T``, laid out as ``(steps, batch)``:
    ``out[t, b] == x[b * T + t]``. Row ``out[t]`` is the batch for time step ``t``, so for
    next-item prediction ``out[t]`` is the input and ``out[t + 1]`` the target. Extra axes of
    ``x`` follow: a ``(L, F)`` sequence gives ``(T, batchsize, F)``. The result lives on
    ``x``'s backend; combine with :func:`onehot` for one-hot inputs.

    Example:
        >>> import numpy as np
        >>> seqbatch(np.arange(10), 3).tolist()
        [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    """
    x = _as_data(x)
    n = _count(x, "seqbatch", "x")
    if isinstance(batchsize, bool) or not isinstance(batchsize, (int, np.integer)):
        raise TypeError(f"seqbatch: batchsize must be an int, got {batchsize!r}")
    if not 1 <= batchsize <= n:
        raise ValueError(
            f"seqbatch: batchsize must be between 1 and the sequence length {n}, got {batchsize}"
        )
    steps = n // batchsize
    xp = B.of(x).xp
    streams = x[: steps * batchsize].reshape((int(batchsize), steps, *x.shape[1:]))
    return xp.ascontiguousarray(xp.swapaxes(streams, 0, 1))


def onehot(labels: Any, nclasses: int, dtype: Any = None) -> Any:
    """One-hot rows for integer class labels: shape ``labels.shape + (nclasses,)``.

    Labels are 0-based; ``-1`` (plugrad's ignore index, Knet's 0) gives a row of zeros. The
    result lives on the labels' backend with ``dtype`` (default: the default float dtype).

    Raises:
        ValueError: a label is outside ``-1 .. nclasses-1`` or not an integer.

    Example:
        >>> import numpy as np
        >>> onehot(np.array([0, 2, -1]), 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    labels = _as_data(labels)
    backend = B.of(labels)
    xp = backend.xp
    labels = xp.asarray(labels)
    if labels.dtype.kind not in "iub":
        raise ValueError(f"onehot: labels must be integers, got dtype {labels.dtype}")
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < -1 or hi >= nclasses:
            raise ValueError(
                f"onehot: labels must lie in -1..{nclasses - 1} for nclasses={nclasses}, "
                f"got values from {lo} to {hi}"
            )
    dtype = B.default_dtype() if dtype is None else np.dtype(dtype)
    return (labels[..., None] == xp.arange(nclasses)).astype(dtype)
