import random

import hyperopt_objectives as obj
import pytest

from plugrad_hyperopt import hyperband, random_search, successive_halving


def test_same_seed_same_search():
    a = hyperband(obj.getconfig, obj.getloss, 27, 3, seed=123, full=True)
    b = hyperband(obj.getconfig, obj.getloss, 27, 3, seed=123, full=True)
    c = hyperband(obj.getconfig, obj.getloss, 27, 3, seed=124, full=True)
    assert a == b
    assert [e.config for e in a.history] != [e.config for e in c.history]
    assert a.loss != c.loss


def test_documented_per_trial_generator():
    result = random_search(obj.getconfig, obj.getloss, 5, seed=7, full=True)
    for e in result.history:
        rng = random.Random(f"plugrad-hyperopt/7/{e.trial}")
        assert e.config == {"x": rng.uniform(-3.0, 3.0), "y": rng.uniform(-3.0, 3.0)}


def test_trial_numbers_are_shared_across_searches():
    # Trial k gets the same generator in every search, so the first configs coincide.
    hb = hyperband(obj.getconfig, obj.getloss, 9, 3, seed=0, full=True)
    rs = random_search(obj.getconfig, obj.getloss, 9, seed=0, full=True)
    sh = successive_halving(obj.getconfig, obj.getloss, 9, seed=0, full=True)
    assert [e.config for e in rs.history] == [e.config for e in hb.history[:9]]
    assert [e.config for e in sh.history[:9]] == [e.config for e in hb.history[:9]]


def test_string_seed():
    a = random_search(obj.getconfig, obj.getloss, 4, seed="exp-1", full=True)
    assert a == random_search(obj.getconfig, obj.getloss, 4, seed="exp-1", full=True)
    assert a != random_search(obj.getconfig, obj.getloss, 4, seed="exp-2", full=True)


def test_no_seed_draws_fresh_generators():
    a = random_search(obj.getconfig, obj.getloss, 3, full=True)
    b = random_search(obj.getconfig, obj.getloss, 3, full=True)
    assert [e.config for e in a.history] != [e.config for e in b.history]


@pytest.mark.parametrize(
    "getconfig",
    [
        lambda rng: rng.random(),
        lambda rng=None: rng.random(),
        lambda *args: args[0].random(),
    ],
    ids=["required", "optional", "varargs"],
)
def test_getconfig_with_a_positional_parameter_gets_a_generator(getconfig):
    loss, config = random_search(getconfig, lambda c, r: c, 3, seed=1)
    rngs = [random.Random(f"plugrad-hyperopt/1/{k}") for k in range(3)]
    assert config == loss == min(rng.random() for rng in rngs)


def test_zero_argument_getconfig_as_in_knet():
    random.seed(42)
    first = hyperband(lambda: random.uniform(-3, 3), lambda x, r: (x - 1) ** 2, 9, 3, full=True)
    random.seed(42)
    again = hyperband(lambda: random.uniform(-3, 3), lambda x, r: (x - 1) ** 2, 9, 3, full=True)
    assert first == again
    assert first.configs == 17
    assert abs(first.config - 1) < 0.5


def test_builtin_getconfig_without_signature():
    # dict() has no inspectable signature here; it is called with no arguments.
    loss, config = random_search(dict, lambda c, r: len(c), 2, seed=0)
    assert (loss, config) == (0.0, {})
