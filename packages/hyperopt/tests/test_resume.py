from concurrent.futures import ProcessPoolExecutor

import hyperopt_objectives as obj
import pytest

from plugrad_hyperopt import TrialFailedWarning, hyperband, random_search, successive_halving


class Trainer:
    """Counts the epochs each configuration really trains."""

    def __init__(self):
        self.calls = []

    def getloss(self, config, epochs, checkpoint):
        start = 0 if checkpoint is None else checkpoint["epochs"]
        self.calls.append((config, start, epochs))
        return config + 1 / epochs, {"epochs": epochs}


def test_trials_continue_from_their_checkpoint():
    t = Trainer()
    ids = iter(range(1000))
    result = successive_halving(lambda: next(ids), t.getloss, 9, 1, 3, resume=True, full=True)
    # Rung 0 trains 9 configs from scratch to 1 epoch, rung 1 continues the best 3 to 3
    # epochs, rung 2 the best one to 9.
    assert t.calls == [(c, 0, 1) for c in range(9)] + [(0, 1, 3), (1, 1, 3), (2, 1, 3), (0, 3, 9)]
    assert (result.loss, result.config, result.resource) == (1 / 9, 0, 9)
    assert [e.resource for e in result.history] == [1] * 9 + [3] * 3 + [9]


def test_resume_saves_work_in_hyperband():
    fresh, resumed = Trainer(), Trainer()
    ids1, ids2 = iter(range(1000)), iter(range(1000))
    restart = hyperband(lambda: next(ids1), lambda c, r: fresh.getloss(c, r, None)[0], 27, 3)
    resume = hyperband(lambda: next(ids2), resumed.getloss, 27, 3, resume=True)
    assert resume == restart
    # Restarting trains every rung from scratch: sum of n_i * r_i over all rungs.
    brackets = [27 + 9 * 3 + 3 * 9 + 27, 12 * 3 + 4 * 9 + 27, 6 * 9 + 2 * 27, 4 * 27]
    assert sum(e - s for _, s, e in fresh.calls) == sum(brackets) == 423
    # Resuming trains every trial once up to the resource of the last rung it reaches.
    brackets = [18 * 1 + 6 * 3 + 2 * 9 + 27, 8 * 3 + 3 * 9 + 27, 4 * 9 + 2 * 27, 4 * 27]
    assert sum(e - s for _, s, e in resumed.calls) == sum(brackets) == 357


def test_failed_evaluation_keeps_the_previous_checkpoint():
    seen = []

    def getloss(config, epochs, checkpoint):
        seen.append((config, epochs, checkpoint))
        if epochs == 3:
            raise RuntimeError("out of memory")
        return float(config), epochs

    # Every evaluation at epoch 3 fails; trial 0 still goes on (+inf ties go to the earliest)
    # and resumes from the checkpoint of its last success, at epoch 1.
    ids = iter(range(9))
    with pytest.warns(TrialFailedWarning, match="out of memory"):
        result = successive_halving(lambda: next(ids), getloss, 9, 1, 3, resume=True, full=True)
    assert [s for s in seen if s[1] == 3] == [(0, 3, 1), (1, 3, 1), (2, 3, 1)]
    assert seen[-1] == (0, 9, 1)
    assert [e.error for e in result.history[9:12]] == ["RuntimeError: out of memory"] * 3
    assert (result.loss, result.config, result.resource) == (0.0, 0, 1)


def test_bad_return_value_in_resume_mode():
    with pytest.warns(TrialFailedWarning, match=r"must return a \(loss, checkpoint\) pair"):
        result = random_search(lambda: 0, lambda c, r, ck: 1.0, 2, resume=True, full=True)
    assert result.failures[0].error.startswith("TypeError: with resume=True getloss")


def test_resume_through_processes():
    with ProcessPoolExecutor(2) as ex:
        result = hyperband(
            obj.getconfig, obj.resume_getloss, 9, 3, seed=2, resume=True, executor=ex, full=True
        )
    serial = hyperband(obj.getconfig, obj.resume_getloss, 9, 3, seed=2, resume=True, full=True)
    assert result == serial
    assert not result.failures
    # Rung i is the (i+1)-th call of its trial's checkpoint chain.
    for e in result.history:
        assert e.loss == pytest.approx(obj.getloss(e.config, e.resource) + 0.001 * (e.rung + 1))
