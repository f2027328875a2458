import math
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

import hyperopt_objectives as obj
import pytest

from plugrad_hyperopt import TrialFailedWarning, hyperband, random_search, successive_halving


@pytest.fixture(scope="module")
def serial():
    return hyperband(obj.getconfig, obj.getloss, 27, 3, seed=11, full=True)


def test_thread_pool_equals_serial(serial):
    with ThreadPoolExecutor(4) as ex:
        result = hyperband(
            obj.getconfig, obj.shuffled_getloss, 27, 3, seed=11, executor=ex, full=True
        )
    assert result == serial
    assert result.loss == pytest.approx(0.1, abs=0.2)


def test_out_of_order_completion_changes_nothing():
    # Each evaluation reports into a shared list when it finishes; the finishing order
    # differs from the rung order but the result does not.
    finished = []
    lock = threading.Lock()

    def getloss(config, resource):
        value = obj.shuffled_getloss(config, resource)
        with lock:
            finished.append((config["x"], resource))
        return value

    expected = hyperband(obj.getconfig, obj.getloss, 27, 3, seed=3, full=True)
    with ThreadPoolExecutor(8) as ex:
        result = hyperband(obj.getconfig, getloss, 27, 3, seed=3, executor=ex, full=True)
    assert result == expected
    assert sorted(finished) == sorted((e.config["x"], e.resource) for e in expected.history)
    assert finished != [(e.config["x"], e.resource) for e in expected.history]


def test_process_pool_equals_serial(serial):
    with ProcessPoolExecutor(2) as ex:
        result = hyperband(obj.getconfig, obj.getloss, 27, 3, seed=11, executor=ex, full=True)
        assert result == serial
        halving = successive_halving(obj.getconfig, obj.getloss, 27, executor=ex, seed=4)
        assert halving == successive_halving(obj.getconfig, obj.getloss, 27, seed=4)


def test_process_pool_failures_equal_serial():
    with pytest.warns(TrialFailedWarning):
        expected = random_search(obj.getconfig, obj.flaky_getloss, 40, seed=9, full=True)
    with ProcessPoolExecutor(2) as ex, pytest.warns(TrialFailedWarning):
        result = random_search(obj.getconfig, obj.flaky_getloss, 40, seed=9, executor=ex, full=True)
    assert result == expected
    assert any(e.error == "loss is NaN" for e in result.failures)
    assert any(e.error.startswith("ValueError: x=") for e in result.failures)
    assert result.loss == min(e.loss for e in result.history) < math.inf


class SubmitOnly:
    """Not a concurrent.futures.Executor: only a submit() returning futures, run lazily."""

    def __init__(self):
        self.submitted = 0

    def submit(self, fn, *args):
        self.submitted += 1
        future = Future()
        future.set_result(fn(*args))
        return future


def test_any_object_with_submit(serial):
    ex = SubmitOnly()
    assert hyperband(obj.getconfig, obj.getloss, 27, 3, seed=11, executor=ex, full=True) == serial
    assert ex.submitted == 69


def test_infrastructure_errors_propagate():
    class Broken:
        def submit(self, fn, *args):
            raise RuntimeError("cluster is down")

    with pytest.raises(RuntimeError, match="cluster is down"):
        hyperband(obj.getconfig, obj.getloss, executor=Broken())


def test_unpicklable_objective_with_processes_raises():
    with ProcessPoolExecutor(1) as ex, pytest.raises(Exception, match="pickle"):
        random_search(obj.getconfig, lambda c, r: 0.0, 2, seed=0, executor=ex)
