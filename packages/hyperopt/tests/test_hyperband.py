import math
import random
from collections import Counter
from fractions import Fraction

import pytest

from plugrad_hyperopt import Evaluation, SearchResult, hyperband


class Counting:
    """A zero-argument getconfig (as in Knet) and a getloss that log every call."""

    def __init__(self, seed=0):
        self.rng = random.Random(seed)
        self.configs = []
        self.calls = []

    def getconfig(self):
        config = {"lr": 10 ** self.rng.uniform(-4, 0), "id": len(self.configs)}
        self.configs.append(config)
        return config

    def getloss(self, config, resource):
        self.calls.append((config["id"], resource))
        return abs(math.log10(config["lr"]) + 2) + 1 / resource + 0.01 * math.sin(config["id"])


def knet_hyperband(getconfig, getloss, R, eta):
    """A line-by-line transcription of Knet's hyperband and halving, in exact fractions."""
    smax = 0
    while eta ** (smax + 1) <= R:
        smax += 1
    B = (smax + 1) * R
    best = (math.inf, None)
    for s in range(smax, -1, -1):
        n = math.ceil(Fraction(B, R) * Fraction(eta**s, s + 1))
        r = Fraction(R, eta**s)
        T = [getconfig() for _ in range(n)]
        for i in range(s + 1):
            ni = n // eta**i
            ri = r * eta**i
            L = [getloss(t, ri) for t in T]
            order = sorted(range(len(T)), key=lambda j: L[j])
            if L[order[0]] < best[0]:
                best = (L[order[0]], T[order[0]])
            T = [T[j] for j in order[: ni // eta]]
    return best


@pytest.mark.parametrize(
    ("R", "getloss_calls", "getconfig_calls"), [(27, 69, 49), (81, 206, 143), (243, 611, 415)]
)
def test_call_counts(R, getloss_calls, getconfig_calls):
    c = Counting()
    hyperband(c.getconfig, c.getloss, R, 3)
    assert len(c.calls) == getloss_calls
    assert len(c.configs) == getconfig_calls


def test_resources_per_call_r27():
    c = Counting()
    hyperband(c.getconfig, c.getloss)
    assert Counter(r for _, r in c.calls) == {1: 27, 3: 9 + 12, 9: 3 + 4 + 6, 27: 1 + 1 + 2 + 4}
    assert all(type(r) is int for _, r in c.calls)


@pytest.mark.parametrize(("R", "eta"), [(27, 3), (81, 3), (243, 3), (100, 3), (16, 2), (50, 4)])
def test_same_calls_as_knet(R, eta):
    ours, ref = Counting(seed=R), Counting(seed=R)
    loss, config = hyperband(ours.getconfig, ours.getloss, R, eta)
    ref_loss, ref_config = knet_hyperband(ref.getconfig, ref.getloss, R, eta)
    assert [(i, float(r)) for i, r in ours.calls] == [(i, float(r)) for i, r in ref.calls]
    assert (loss, config) == (ref_loss, ref_config)


def test_best_is_the_minimum_over_all_evaluations():
    c = Counting(seed=5)
    result = hyperband(c.getconfig, c.getloss, 81, 3, full=True)
    assert isinstance(result, SearchResult)
    losses = [c.getloss(c.configs[i], r) for i, r in c.calls[:206]]
    assert result.loss == min(losses)
    assert [e.loss for e in result.history] == losses
    best = min(result.history, key=lambda e: e.loss)
    assert (result.config, result.resource, result.trial) == (
        best.config,
        best.resource,
        best.trial,
    )
    assert result.config is c.configs[result.trial]
    assert result.configs == 143 and len(result.history) == 206
    assert hyperband(Counting(seed=5).getconfig, Counting(seed=5).getloss, 81, 3) == (
        result.loss,
        result.config,
    )


def test_best_intermediate_evaluation_is_returned():
    # Every configuration overfits: the loss grows with the resource, so the best evaluation
    # is one at the smallest resource, not a final one.
    def getloss(config, r):
        return config + 0.1 * r

    values = iter(range(1000))
    result = hyperband(lambda: next(values), getloss, 9, 3, full=True)
    assert (result.loss, result.config, result.resource) == (0.1, 0, 1)
    finals = [e for e in result.history if e.resource == 9]
    assert min(e.loss for e in finals) == pytest.approx(0.9)
    assert result.loss == min(e.loss for e in result.history)


def test_history_records_brackets_rungs_and_survivors():
    c = Counting(seed=2)
    result = hyperband(c.getconfig, c.getloss, 27, 3, full=True)
    assert [(e.bracket, e.rung) for e in result.history][:27] == [(3, 0)] * 27
    assert Counter((e.bracket, e.rung, e.resource) for e in result.history) == {
        (3, 0, 1): 27, (3, 1, 3): 9, (3, 2, 9): 3, (3, 3, 27): 1,
        (2, 0, 3): 12, (2, 1, 9): 4, (2, 2, 27): 1,
        (1, 0, 9): 6, (1, 1, 27): 2,
        (0, 0, 27): 4,
    }  # fmt: skip
    # Each rung's survivors are the best third of the previous rung.
    for s in (3, 2, 1):
        for i in range(s):
            prev = [e for e in result.history if (e.bracket, e.rung) == (s, i)]
            nxt = [e for e in result.history if (e.bracket, e.rung) == (s, i + 1)]
            ranked = sorted(prev, key=lambda e: (e.loss, e.trial))
            assert [e.trial for e in nxt] == [e.trial for e in ranked[: len(prev) // 3]]
    assert all(isinstance(e, Evaluation) and not e.failed for e in result.history)


def test_ties_go_to_the_first_drawn_config():
    ids = iter(range(10**6))
    result = hyperband(lambda: next(ids), lambda c, r: 1.0, 27, 3, full=True)
    rung1 = [e.trial for e in result.history if (e.bracket, e.rung) == (3, 1)]
    assert rung1 == list(range(9))
    assert [e.trial for e in result.history if (e.bracket, e.rung) == (3, 3)] == [0]
    assert (result.loss, result.config, result.resource) == (1.0, 0, 1)


def test_negative_infinity_and_numpy_like_losses():
    class Scalar:
        def __init__(self, v):
            self.v = v

        def __float__(self):
            return self.v

    ids = iter(range(100))
    loss, config = hyperband(
        lambda: next(ids), lambda c, r: Scalar(-math.inf if c == 7 else float(c)), 9, 3
    )
    assert (loss, config) == (-math.inf, 7)
