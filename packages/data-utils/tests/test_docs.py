import doctest
import importlib

import pytest

MODULES = [
    "plugrad_data",
    "plugrad_data._minibatch",
    "plugrad_data._loader",
    "plugrad_data._progress",
    "plugrad_data._converge",
    "plugrad_data._datasets",
    "plugrad_data._idx",
    "plugrad_data._serialize",
    "plugrad_data._encode",
    "plugrad_data._format",
    "plugrad_data._atomic",
    "plugrad_data._classes",
    "plugrad_data._errors",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_names_are_exported_and_documented():
    import plugrad_data

    for name in plugrad_data.__all__:
        obj = getattr(plugrad_data, name)
        if callable(obj) and not isinstance(obj, int):
            assert obj.__doc__ and "Example" in obj.__doc__, name
