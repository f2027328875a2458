import doctest
import importlib

import pytest

import plugrad_hyperopt

MODULES = [
    "plugrad_hyperopt",
    "plugrad_hyperopt._goldensection",
    "plugrad_hyperopt._halving",
    "plugrad_hyperopt._hyperband",
    "plugrad_hyperopt._random",
    "plugrad_hyperopt._schedule",
    "plugrad_hyperopt._trials",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    globs = {**vars(plugrad_hyperopt), **vars(module)}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_api_is_documented():
    assert plugrad_hyperopt.__version__ == "0.1.0"
    for name in plugrad_hyperopt.__all__:
        obj = getattr(plugrad_hyperopt, name)
        if callable(obj):
            assert obj.__doc__ and "Example:" in obj.__doc__, name
