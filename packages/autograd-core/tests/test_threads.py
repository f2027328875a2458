"""Recording is per thread: a tape sees only its own thread's operations (issue 18 §2)."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import plugrad_autograd as ag


@pytest.fixture(autouse=True)
def _switch_threads_often():
    # Switch between threads every microsecond instead of every 5 ms, so that the threads'
    # steps interleave at the level of single ops.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_a_tape_does_not_record_another_threads_operations():
    w = ag.Param(np.array([1.0, 2.0]))
    v = ag.Param(np.array([3.0]))
    inside, other_done = threading.Event(), threading.Event()
    seen = {}

    def other():
        inside.wait(10)
        seen["training"] = ag.training()
        seen["type"] = type(v * 2.0).__name__  # outside any diff in this thread: an array
        seen["writable"] = v.value.flags.writeable
        other_done.set()

    t = threading.Thread(target=other)
    t.start()

    def f():
        z = ag.sum(w * w)
        inside.set()
        other_done.wait(10)
        return z

    tape = ag.diff(f)
    t.join()
    assert seen == {"training": False, "type": "ndarray", "writable": True}
    assert ag.params(tape) == [w]


def test_gradients_in_several_threads_at_once_equal_the_serial_ones():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((8, 5)) for _ in range(8)]
    w0 = rng.standard_normal((5, 3))

    def gradient(x):
        w = ag.Param(w0.copy())
        g = None
        for _ in range(20):
            t = ag.diff(
                lambda: ag.sum(ag.tanh(x @ w) ** 2) + ag.sum(ag.grad(lambda v: ag.sum(v**3))(w))
            )
            g = ag.grad(t, w)
        return g

    serial = [gradient(x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(gradient, xs))
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_threads_sharing_one_constant_leave_it_writable():
    c = np.arange(4.0)
    barrier = threading.Barrier(4)

    def work(_):
        w = ag.Param(np.ones(4))
        barrier.wait(10)
        for _ in range(50):
            ag.diff(lambda: ag.sum(w * c))
        return True

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(4)))
    assert c.flags.writeable
