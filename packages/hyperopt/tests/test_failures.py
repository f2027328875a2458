import math
import warnings

import pytest

from plugrad_hyperopt import (
    TrialFailedWarning,
    hyperband,
    random_search,
    successive_halving,
)


def getloss(config, resource):
    if config % 5 == 1:
        raise RuntimeError(f"diverged at {resource}")
    if config % 5 == 2:
        return math.nan
    if config % 5 == 3:
        return "not a number"
    return config / 100 + 1 / resource


def test_failed_trials_count_as_inf_and_the_search_goes_on():
    ids = iter(range(1000))
    with pytest.warns(TrialFailedWarning) as record:
        result = hyperband(lambda: next(ids), getloss, 27, 3, full=True)
    assert len(result.history) == 69
    failed = result.failures
    assert failed and all(e.loss == math.inf for e in failed)
    assert {e.config % 5 for e in failed} == {1, 2, 3}
    errors = {e.config: e.error for e in failed}
    assert errors[1] == "RuntimeError: diverged at 1"
    assert errors[2] == "loss is NaN"
    assert errors[3].startswith("ValueError: could not convert string to float")
    assert all(
        e.error is None and e.loss < math.inf for e in result.history if e.config % 5 in (0, 4)
    )
    assert len(record) == len(failed)
    assert str(record[0].message) == (
        "hyperband: trial 1 failed at resource 1 (RuntimeError: diverged at 1); it counts as "
        "+inf and the search goes on"
    )
    assert record[0].filename == __file__
    # The best is the best successful evaluation: config 0 at the full resource.
    assert (result.loss, result.config, result.resource) == (0 + 1 / 27, 0, 27)


def test_failures_are_ranked_last():
    # 9 configs, 3 survive the first rung; 6 of them fail, so the survivors are the 3 others.
    ids = iter(range(9))
    with pytest.warns(TrialFailedWarning):
        result = successive_halving(lambda: next(ids), getloss, 9, 1, 3, full=True)
    rung1 = [e.config for e in result.history if e.rung == 1]
    assert rung1 == [0, 4, 5]
    assert [e.config for e in result.history if e.rung == 2] == [0]


def test_failures_can_survive_when_too_few_succeed():
    # Knet keeps floor(n_i/eta) trials even when that includes failures (+inf, last).
    ids = iter([1, 2, 6, 3, 11, 0, 7, 12, 16])
    with pytest.warns(TrialFailedWarning):
        result = successive_halving(lambda: next(ids), getloss, 9, 1, 3, full=True)
    # Only config 0 succeeds; the failures tie at +inf and go in the order drawn.
    assert [e.config for e in result.history if e.rung == 1] == [0, 1, 2]


def test_all_failures():
    with pytest.warns(TrialFailedWarning):
        loss, config = hyperband(lambda: 1, getloss, 9, 3)
    assert (loss, config) == (math.inf, None)
    with pytest.warns(TrialFailedWarning):
        result = random_search(lambda: 2, getloss, 4, full=True)
    assert (result.loss, result.config, result.resource, result.trial) == (
        math.inf,
        None,
        None,
        None,
    )
    assert len(result.failures) == 4


def test_getconfig_errors_propagate():
    def getconfig():
        raise KeyError("no more configs")

    with pytest.raises(KeyError, match="no more configs"):
        hyperband(getconfig, getloss)


def test_keyboard_interrupt_is_not_swallowed():
    def getloss(config, resource):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        random_search(lambda: 0, getloss, 3)


def test_warnings_can_be_silenced():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", TrialFailedWarning)
        loss, _ = random_search(lambda: 1, getloss, 2)
    assert loss == math.inf
