"""Random generators under threads: per-thread streams from one seed, reproducible alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import plugrad_backends as B

N_THREADS = 8


def _in_threads(task, n: int = N_THREADS) -> list:
    """Run ``task(i)`` in ``n`` threads that start drawing at the same moment."""
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_a_seeded_single_thread_draws_what_numpy_draws_for_the_seed() -> None:
    B.seed(123)
    cpu = B.get("cpu")
    got = [cpu.rng.standard_normal(4), cpu.rng.random(3), cpu.rng.permutation(5)]
    want = np.random.default_rng(123)
    np.testing.assert_array_equal(got[0], want.standard_normal(4))
    np.testing.assert_array_equal(got[1], want.random(3))
    np.testing.assert_array_equal(got[2], want.permutation(5))


def test_threads_that_seed_themselves_reproduce_their_serial_draws() -> None:
    def task(i: int) -> np.ndarray:
        B.seed(1000 + i)
        # as initializers and dropout do: ask for the backend's generator at every draw
        return np.concatenate([B.get("cpu").rng.standard_normal(200) for _ in range(50)])

    serial = [task(i) for i in range(N_THREADS)]
    for _ in range(3):
        for got, want in zip(_in_threads(task), serial):
            np.testing.assert_array_equal(got, want)


def test_concurrent_draws_neither_fail_nor_repeat() -> None:
    B.seed(7)
    main = B.get("cpu").rng.integers(0, 2**62, size=1000)

    def task(_: int) -> np.ndarray:
        rng = B.get("cpu").rng
        return np.concatenate([rng.integers(0, 2**62, size=100) for _ in range(100)])

    draws = _in_threads(task)
    everything = np.concatenate([main, *draws])
    assert len(np.unique(everything)) == everything.size  # 2**62 values: no chance repeats


def test_unseeded_threads_follow_the_last_seed() -> None:
    # Each thread's stream is spawned from the seed: distinct from the seeding thread's
    # stream and from each other's, and different after another seed.
    def first_draws() -> set[float]:
        return set(_in_threads(lambda _: float(B.get("cpu").rng.random())))

    B.seed(5)
    mine = float(B.get("cpu").rng.random())
    after_5 = first_draws()
    children = [np.random.default_rng(c).random() for c in np.random.SeedSequence(5).spawn(64)]
    assert after_5 <= set(children) and mine not in after_5
    B.seed(6)
    assert first_draws().isdisjoint(after_5)


def test_thread_generators_key_a_stream_per_device() -> None:
    gens = B.ThreadGenerators(np.random.default_rng)
    gens.seed(3)
    assert gens.get(0) is gens.get(0) and gens.get(0) is not gens.get(1)
    assert gens.get(0).random() == gens.get(1).random()  # the same seed on every device
