"""The docstring examples run (in a world of one process), and every public name has a docstring."""

import doctest
import importlib

import pytest

import plugrad_distributed

# AllReduceMean is saved as, and so found under, plugrad_distributed
MODULES = [
    "plugrad_distributed",
    "plugrad_distributed._world",
    "plugrad_distributed._collectives",
    "plugrad_distributed._buckets",
    "plugrad_distributed._params",
    "plugrad_distributed._checkpoint",
    "plugrad_distributed._communicator",
    "plugrad_distributed._mpi",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_names_are_documented():
    for name in plugrad_distributed.__all__:
        obj = getattr(plugrad_distributed, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name
