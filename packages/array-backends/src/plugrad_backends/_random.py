"""Random generators per thread, derived from one seed (numpy's ``SeedSequence.spawn``).

Every thread draws from a generator of its own, so threads never share a generator's state
and never repeat each other's numbers:

- :meth:`ThreadGenerators.seed` (``pg.seed(n)``) gives the calling thread exactly the
  generator a single-threaded program always had, ``make(n)``, and makes ``n`` the seed of
  the other threads;
- a thread that has not seeded its own generator draws from a child of the last seed,
  spawned with ``SeedSequence(n).spawn`` on its first draw (and again after the next seed):
  independent of the seeding thread's stream and of every other thread's.

For reproducible work in several threads, call ``pg.seed`` at the start of each task with
the task's own seed; the children of an unseeded thread depend on which thread draws first.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np


class ThreadGenerators:
    """One generator per thread (and per key, e.g. per device), all derived from one seed.

    ``make(seed)`` builds a generator from an int or a ``numpy.random.SeedSequence`` (the
    CPU backend passes ``numpy.random.default_rng``).

    Example:
        >>> import numpy as np
        >>> from plugrad_backends import ThreadGenerators
        >>> gens = ThreadGenerators(np.random.default_rng)
        >>> gens.seed(1)
        >>> gens.get().random() == np.random.default_rng(1).random()
        True
    """

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._root = np.random.SeedSequence()  # fresh entropy until the first seed
        self._epoch = 0  # bumped by every seed: unseeded threads spawn a new child then
        self._local = threading.local()

    def seed(self, n: int) -> None:
        """Seed the calling thread with ``n`` and make ``n`` the other threads' root seed."""
        n = int(n)
        with self._lock:
            self._root = np.random.SeedSequence(n)
            self._epoch += 1
        local = self._local
        local.source, local.own, local.generators = n, True, {}

    def get(self, key: Hashable = None) -> Any:
        """The calling thread's generator (for ``key``), made on first use."""
        local = self._local
        if not getattr(local, "own", False) and getattr(local, "epoch", -1) != self._epoch:
            with self._lock:
                local.source, local.epoch = self._root.spawn(1)[0], self._epoch
            local.generators = {}
        generator = local.generators.get(key)
        if generator is None:
            generator = local.generators[key] = self._make(local.source)
        return generator

    def state(self) -> dict[Any, Any]:
        """The calling thread's generators' states, by key (a copy; ``set_state`` restores).

        Each state is ``generator.bit_generator.state`` (numpy's: a dict of ints and
        strings, which ``pg.save`` stores). The default key's generator is made if needed.

        Raises:
            TypeError: a generator without a ``bit_generator.state`` to capture.
        """
        self.get()
        out = {}
        for key, generator in self._local.generators.items():
            st = getattr(getattr(generator, "bit_generator", None), "state", None)
            if not isinstance(st, dict):  # e.g. cupy's, whose state lives on the device
                raise TypeError(
                    f"the generator {type(generator).__name__} has no bit_generator.state "
                    "dict to capture"
                )
            out[key] = copy.deepcopy(st)
        return out

    def set_state(self, states: Mapping[Any, Any]) -> None:
        """Restore the calling thread's generators from :meth:`state`'s result.

        The thread's generator objects are kept (their state is overwritten), and the
        thread then keeps its own stream, as after ``seed``.

        Raises:
            ValueError: a state that the generator refuses (another bit generator, a
                malformed dict).
        """
        self.get()
        local = self._local
        local.own = True
        for key, st in states.items():
            generator = self.get(key)
            try:
                generator.bit_generator.state = copy.deepcopy(st)
            except AttributeError:
                raise TypeError(
                    f"the generator {type(generator).__name__} has no bit_generator.state "
                    "to restore"
                ) from None
            except (TypeError, ValueError, KeyError) as e:
                raise ValueError(
                    f"not a state of this generator ({type(e).__name__}: {e})"
                ) from None
