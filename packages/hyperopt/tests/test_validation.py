import pytest

from plugrad_hyperopt import hyperband, random_search, successive_halving


def ok_config():
    return 0


def ok_loss(config, resource):
    return 0.0


SEARCHES = {
    "hyperband": lambda **kw: hyperband(
        kw.pop("getconfig", ok_config), kw.pop("getloss", ok_loss), **kw
    ),
    "successive_halving": lambda **kw: successive_halving(
        kw.pop("getconfig", ok_config), kw.pop("getloss", ok_loss), kw.pop("n", 9), **kw
    ),
    "random_search": lambda **kw: random_search(
        kw.pop("getconfig", ok_config), kw.pop("getloss", ok_loss), kw.pop("n", 3), **kw
    ),
}


@pytest.mark.parametrize("name", SEARCHES)
@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"getconfig": 3}, TypeError, "getconfig must be callable, got int 3"),
        ({"getloss": "loss"}, TypeError, "getloss must be callable, got str 'loss'"),
        ({"executor": object()}, TypeError, "executor must be a concurrent.futures.Executor"),
        ({"seed": 1.5}, TypeError, "seed must be an int, a str or None"),
        ({"resume": 1}, TypeError, "resume must be True or False"),
    ],
)
def test_common_arguments(name, kwargs, exc, message):
    with pytest.raises(exc, match=f"^{name}: {message}"):
        SEARCHES[name](**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "message"),
    [
        ("hyperband", {"maxresource": 0}, ValueError, "maxresource must be an integer >= 1, got 0"),
        ("hyperband", {"maxresource": 27.0}, TypeError, "maxresource must be an integer >= 1"),
        ("hyperband", {"reduction": 1}, ValueError, "reduction must be an integer >= 2, got 1"),
        ("successive_halving", {"n": 0}, ValueError, "n must be an integer >= 1, got 0"),
        ("successive_halving", {"resource": 0}, ValueError, "resource must be a finite number > 0"),
        ("successive_halving", {"reduction": 0}, ValueError, "reduction must be an integer >= 2"),
        ("random_search", {"n": -2}, ValueError, "n must be an integer >= 1, got -2"),
        ("random_search", {"n": "3"}, TypeError, "n must be an integer >= 1, got str '3'"),
        ("random_search", {"resource": float("inf")}, ValueError, "resource must be a finite"),
        ("random_search", {"resource": "1"}, TypeError, "resource must be a real number"),
    ],
)
def test_specific_arguments(name, kwargs, exc, message):
    with pytest.raises(exc, match=f"^{name}: {message}"):
        SEARCHES[name](**kwargs)


def test_validation_happens_before_any_call():
    calls = []
    with pytest.raises(ValueError):
        hyperband(lambda: calls.append(1), ok_loss, maxresource=0)
    assert calls == []
