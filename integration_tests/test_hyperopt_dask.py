"""plugrad-hyperopt searches on a local Dask cluster of two worker processes."""

import math
import sys
import warnings

import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from plugrad_hyperopt import TrialFailedWarning, hyperband  # noqa: E402

# pytest imports this module by path: workers can import it only if they happen to start in
# the repository root. Sending its functions by value works wherever the workers run.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def getconfig(rng):
    return {"lr": 10 ** rng.uniform(-4, 0), "width": rng.choice([16, 32, 64, 128])}


def getloss(config, epochs):
    if config["width"] == 16 and config["lr"] > 0.01:
        raise FloatingPointError("diverged")
    return (math.log10(config["lr"]) + 2) ** 2 + 64 / config["width"] / epochs


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def serial():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        return hyperband(getconfig, getloss, 27, 3, seed=2024, full=True)


def test_serial_reference_has_failures(serial):
    assert len(serial.history) == 69
    assert serial.configs == 49
    assert serial.failures
    assert all(e.error == "FloatingPointError: diverged" for e in serial.failures)
    assert serial.loss == min(e.loss for e in serial.history) < 0.1


def test_client_as_executor(client, serial):
    with distributed.get_task_stream(client) as tasks, pytest.warns(TrialFailedWarning):
        result = hyperband(getconfig, getloss, 27, 3, seed=2024, executor=client, full=True)
    assert result == serial
    # Every evaluation ran as a task on a worker (pure=False: none were merged).
    assert len(tasks.data) == 69
    assert {t["worker"] for t in tasks.data} <= set(client.scheduler_info()["workers"])


def test_client_executor(client, serial):
    with client.get_executor() as ex, pytest.warns(TrialFailedWarning):
        result = hyperband(getconfig, getloss, 27, 3, seed=2024, executor=ex, full=True)
    assert result == serial
