"""``trainmode``/``testmode``: fix how BatchNorm, Dropout and recurrent dropout behave."""

from __future__ import annotations

from typing import Any, TypeVar

from ._layers_base import Layer, objects

M = TypeVar("M")


def _set_mode(model: Any, mode: bool | None) -> None:
    for obj in objects(model):
        if isinstance(obj, Layer) and "mode" in vars(obj):
            obj.mode = mode


def trainmode(model: M) -> M:
    """Make every BatchNorm, Dropout and recurrent layer in ``model`` act as in training.

    BatchNorm then normalizes with the batch statistics and updates its running moments,
    Dropout drops, even outside ``diff``. Works on any object holding layers; returns it.

    Example:
        >>> import plugrad_nn as nn
        >>> model = nn.trainmode(nn.Sequential(nn.Dense(4, 4), nn.Dropout(0.5)))
        >>> model[1].mode
        True
    """
    _set_mode(model, True)
    return model


def testmode(model: M) -> M:
    """Make every BatchNorm, Dropout and recurrent layer in ``model`` act as in testing.

    BatchNorm then uses its running moments and Dropout passes its input through, even
    inside ``diff``. Returns ``model``.

    Example:
        >>> import plugrad_nn as nn
        >>> nn.testmode(nn.Dropout(0.5)).mode
        False
    """
    _set_mode(model, False)
    return model


def automode(model: M) -> M:
    """Return the layers of ``model`` to the default: training inside ``diff`` only.

    Example:
        >>> import plugrad_nn as nn
        >>> nn.automode(nn.testmode(nn.Dropout(0.5))).mode is None
        True
    """
    _set_mode(model, None)
    return model
