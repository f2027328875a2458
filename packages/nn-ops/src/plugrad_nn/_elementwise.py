"""Knet's elementwise extras that are not activations: ``invx``."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import backend_for


def invx(x: Any) -> Any:
    """Knet's ``invx``: the elementwise reciprocal ``1 / x`` (differentiable, ``-dy / x**2``).

    Zero gives ``inf`` as numpy's division does; integers give floats, as Julia's ``1/x``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.invx(np.array([2.0, -4.0]))
        array([ 0.5 , -0.25])
    """
    backend_for("invx", x)
    return ag.divide(1.0, x)
