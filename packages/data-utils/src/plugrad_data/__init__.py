"""plugrad's data utilities: minibatches, loaders, progress, convergence, datasets, save/load.

Example:
    >>> import numpy as np, plugrad_data as D
    >>> [x.tolist() for x in D.minibatch(np.arange(6), batchsize=2)]
    [[0, 1], [2, 3], [4, 5]]
"""

from ._converge import Converge, converge
from ._datasets import digits, mnist
from ._errors import FileFormatError
from ._idx import read_idx
from ._loader import DataLoader
from ._minibatch import MiniBatches, minibatch, onehot, seqbatch
from ._progress import STOP, Progress, progress
from ._serialize import FORMAT_VERSION, load, save
from ._state import load_state, state
from ._text import CharVocab, cache_folder, shakespeare, train_val_split

__version__ = "0.1.0"

__all__ = [
    "FORMAT_VERSION",
    "STOP",
    "CharVocab",
    "Converge",
    "DataLoader",
    "FileFormatError",
    "MiniBatches",
    "Progress",
    "cache_folder",
    "converge",
    "digits",
    "load",
    "load_state",
    "minibatch",
    "mnist",
    "onehot",
    "progress",
    "read_idx",
    "save",
    "seqbatch",
    "shakespeare",
    "state",
    "train_val_split",
]
