"""Hyperparameter search for any Python function.

Knet's :func:`goldensection` and :func:`hyperband`, plus :func:`successive_halving` and
:func:`random_search` on the same trial machinery, with parallel evaluation on any
``concurrent.futures`` executor (Dask included), failure handling and reproducible seeds.

Example:
    >>> from plugrad_hyperopt import goldensection, hyperband
    >>> fmin, xmin = goldensection(lambda x: (x[0] - 1.7) ** 2, 1)
    >>> round(xmin[0], 2)
    1.76
    >>> loss, x = hyperband(lambda rng: rng.uniform(0, 1), lambda x, r: (x - 0.5) ** 2, seed=0)
    >>> loss < 0.01
    True
"""

from ._goldensection import GOLDEN_RATIO, goldensection
from ._halving import successive_halving
from ._hyperband import hyperband
from ._random import random_search
from ._schedule import Bracket, Rung, hyperband_schedule
from ._trials import Evaluation, SearchResult, TrialFailedWarning

__version__ = "0.1.0"

__all__ = [
    "GOLDEN_RATIO",
    "Bracket",
    "Evaluation",
    "Rung",
    "SearchResult",
    "TrialFailedWarning",
    "goldensection",
    "hyperband",
    "hyperband_schedule",
    "random_search",
    "successive_halving",
]
