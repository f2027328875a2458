"""GradValley's DataLoader: batches loaded just in time from a get_item function."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

import plugrad_backends as B


def _stack(values: list[Any], where: str) -> Any:
    first = values[0]
    try:
        if hasattr(first, "shape") and hasattr(first, "dtype"):
            return B.of(*values).xp.stack(values)
        return np.asarray(values)
    except (ValueError, TypeError) as e:
        shapes = sorted({str(tuple(np.shape(v))) for v in values})
        raise ValueError(
            f"DataLoader: cannot stack the items of a batch{where}: shapes {', '.join(shapes)} "
            f"({e}); get_item must return arrays of the same shape for every index"
        ) from None


def _collate(items: list[Any], ids: np.ndarray) -> Any:
    first = items[0]
    if isinstance(first, tuple):
        for i, item in zip(ids, items):
            if not isinstance(item, tuple) or len(item) != len(first):
                raise ValueError(
                    f"DataLoader: get_item({int(ids[0])}) returned a tuple of {len(first)} but "
                    f"get_item({int(i)}) returned {type(item).__name__} "
                    f"{len(item) if isinstance(item, tuple) else ''}".rstrip()
                )
        return tuple(
            _stack([item[f] for item in items], f" (field {f})") for f in range(len(first))
        )
    if isinstance(first, dict):
        keys = list(first)
        for i, item in zip(ids, items):
            if not isinstance(item, dict) or list(item) != keys:
                raise ValueError(
                    f"DataLoader: get_item({int(ids[0])}) returned a dict with keys {keys} "
                    f"but get_item({int(i)}) returned {item!r:.80}"
                )
        return {k: _stack([item[k] for item in items], f" (key {k!r})") for k in keys}
    return _stack(items, "")


class DataLoader:
    """GradValley's ``DataLoader``: batches of items loaded just in time by ``get_item``.

    ``get_item(i)`` loads item ``i`` (``0 <= i < size``) and returns a tuple of arrays (or
    numbers), a dict of them, or a single array. A batch stacks the items of
    ``batch_size`` consecutive positions of the current order along a new axis 0, keeping the
    structure: a tuple of stacked arrays, a dict, or one array.

    - ``len(loader)`` is the number of batches (``ceil(size / batch_size)``, or
      ``size // batch_size`` with ``drop_last``); ``loader.size`` the number of items.
    - ``loader[k]`` is batch ``k`` (negative ``k`` counts from the end), ``loader[a:b]`` a list
      of batches (``loader[:]`` loads everything).
    - As in GradValley, ``shuffle=True`` shuffles once, at construction; call
      :meth:`reshuffle` (typically at the start of each epoch) for a new order. Permutations
      come from the CPU backend's generator, so ``plugrad_backends.seed(n)`` reproduces them.
    - ``prefetch=N`` loads up to ``N`` batches ahead on ``N`` background threads while the
      loop body runs, in order; ``get_item`` must then be thread-safe. An exception in
      ``get_item`` is raised at the batch it belongs to.
    - Resuming: :attr:`position` counts the batches handed out by the current pass;
      :meth:`state` captures it with the order, :meth:`load_state` (or :meth:`seek`) makes
      the next ``for`` loop start there. A pass that runs to its end resets ``position`` to 0.
      Without ``seek``/``load_state`` every ``for`` loop starts at batch 0.

    Example:
        >>> import numpy as np
        >>> xs, ys = np.arange(10.0), np.arange(10) % 3
        >>> loader = DataLoader(lambda i: (xs[i], ys[i]), 10, batch_size=4)
        >>> len(loader), [x.tolist() for x, y in loader]
        (3, [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]])
        >>> loader[1][1].tolist()
        [1, 2, 0, 1]
    """

    def __init__(
        self,
        get_item: Callable[[int], Any],
        size: int,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        prefetch: int = 0,
    ) -> None:
        if not callable(get_item):
            raise TypeError(
                f"DataLoader: get_item must be a function of an index, got "
                f"{type(get_item).__name__}"
            )
        checks = (("size", size, 0), ("batch_size", batch_size, 1), ("prefetch", prefetch, 0))
        for name, value, least in checks:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"DataLoader: {name} must be an int, got {value!r}")
            if value < least:
                raise ValueError(f"DataLoader: {name} must be at least {least}, got {value}")
        self.get_item = get_item
        self.size = int(size)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.prefetch = int(prefetch)
        self.order: np.ndarray = np.arange(self.size)
        if self.shuffle:
            self.reshuffle()
        self.position = 0
        self._start = 0

    def reshuffle(self) -> None:
        """Draw a new random order of the items (even when ``shuffle`` is False).

        Example:
            >>> import plugrad_backends
            >>> loader = DataLoader(lambda i: i, 5)
            >>> plugrad_backends.seed(0); loader.reshuffle(); sorted(loader.order.tolist())
            [0, 1, 2, 3, 4]
        """
        self.order = B.get("cpu").rng.permutation(self.size)

    def __len__(self) -> int:
        if self.drop_last:
            return self.size // self.batch_size
        return math.ceil(self.size / self.batch_size)

    def _load(self, k: int) -> Any:
        ids = self.order[k * self.batch_size : min((k + 1) * self.batch_size, self.size)]
        return _collate([self.get_item(int(i)) for i in ids], ids)

    def __getitem__(self, index: int | slice) -> Any:
        n = len(self)
        if isinstance(index, slice):
            return [self._load(k) for k in range(*index.indices(n))]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"DataLoader: index with an int or a slice, got {type(index).__name__}")
        k = int(index) + n if index < 0 else int(index)
        if not 0 <= k < n:
            raise IndexError(f"DataLoader: batch {index} out of range for {n} batches")
        return self._load(k)

    def __iter__(self) -> Iterator[Any]:
        start, self._start = self._start, 0
        self.position = start
        if self.prefetch:
            yield from self._prefetched(start)
        else:
            for k in range(start, len(self)):
                batch = self._load(k)
                self.position = k + 1
                yield batch
        self.position = 0

    def _prefetched(self, start: int) -> Iterator[Any]:
        n = len(self)
        pool = ThreadPoolExecutor(self.prefetch, thread_name_prefix="plugrad-data")
        pending: deque[Future[Any]] = deque()
        nxt = start
        try:
            for k in range(start, n):
                while nxt < n and len(pending) < self.prefetch:
                    pending.append(pool.submit(self._load, nxt))
                    nxt += 1
                batch = pending.popleft().result()
                if nxt < n:
                    pending.append(pool.submit(self._load, nxt))
                    nxt += 1
                self.position = k + 1
                yield batch
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def seek(self, position: int) -> None:
        """Make the next ``for`` loop start at batch ``position`` (0 ≤ position ≤ len).

        Example:
            >>> loader = DataLoader(lambda i: i, 6, batch_size=2)
            >>> loader.seek(2); [b.tolist() for b in loader]
            [[4, 5]]
        """
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
            raise TypeError(f"DataLoader.seek: position must be an int, got {position!r}")
        if not 0 <= position <= len(self):
            raise ValueError(f"DataLoader.seek: position {position} out of range 0..{len(self)}")
        self._start = int(position)
        self.position = int(position)

    def state(self) -> dict[str, Any]:
        """The loader's resumable state: a dict of plain values and one int64 array.

        Save it with :func:`plugrad_data.save` beside the model; :meth:`load_state` restores
        it so that the next pass continues with the batch after the last one handed out.

        Example:
            >>> loader = DataLoader(lambda i: i, 6, batch_size=2)
            >>> it = iter(loader); _ = next(it)
            >>> loader.state()["position"]
            1
        """
        return {
            "position": self.position,
            "order": self.order.astype(np.int64),
            "size": self.size,
            "batch_size": self.batch_size,
            "drop_last": self.drop_last,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state`: the order and the position the next pass starts from.

        Raises:
            ValueError: the state belongs to a loader of another size, batch size or
                ``drop_last``.

        Example:
            >>> a = DataLoader(lambda i: i, 6, batch_size=2, shuffle=True)
            >>> it = iter(a); first = next(it)
            >>> b = DataLoader(lambda i: i, 6, batch_size=2)
            >>> b.load_state(a.state())
            >>> [x.tolist() for x in b] == [x.tolist() for x in it]
            True
        """
        for key in ("size", "batch_size", "drop_last"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(
                    f"DataLoader.load_state: the state has {key}={state[key]!r} but this "
                    f"loader has {key}={getattr(self, key)!r}"
                )
        order = np.asarray(B.to_host(state["order"])).astype(np.int64)
        if order.shape != (self.size,) or not np.array_equal(np.sort(order), np.arange(self.size)):
            raise ValueError(
                f"DataLoader.load_state: 'order' must be a permutation of 0..{self.size - 1}"
            )
        self.order = order
        self.seek(int(state["position"]))

    def __repr__(self) -> str:
        return (
            f"<DataLoader: {len(self)} batches of {self.batch_size} from {self.size} items"
            f"{', prefetch ' + str(self.prefetch) if self.prefetch else ''}>"
        )
