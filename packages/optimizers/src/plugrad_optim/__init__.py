"""plugrad's optimizers: Knet's update rules as composable transforms, and its training loop.

Example:
    >>> import numpy as np
    >>> import plugrad_autograd as ag
    >>> from plugrad_optim import Adam, minimize
    >>> w = ag.Param(np.array([5.0, -3.0]))
    >>> losses = list(minimize(lambda: ag.sum(w * w), [()] * 500, Adam(lr=0.1)))
    >>> losses[0] > 1e3 * losses[-1]
    True
"""

from ._accumulate import Accumulate
from ._adam_family import (
    ScaleByAdam,
    ScaleByAdamax,
    ScaleByAMSGrad,
    ScaleByNAdam,
    ScaleByRAdam,
)
from ._base import Chain, Hyper, Joint, Transform, chain
from ._constraints import norm_constraint, total_norm_constraint
from ._knet import ScaleByAdadelta, ScaleByAdagrad, ScaleByRmsprop
from ._named import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    AMSGrad,
    Momentum,
    NAdam,
    Nesterov,
    RAdam,
    Rmsprop,
)
from ._optimizer import Link, Optimizer
from ._schedules import (
    CosineDecay,
    ExpDecay,
    ExponentialDecay,
    InvDecay,
    LinearWarmup,
    Schedule,
    StepDecay,
    WarmupCosine,
)
from ._train import (
    adadelta,
    adagrad,
    adam,
    exhaust,
    minimize,
    momentum,
    nesterov,
    rmsprop,
    set_optimizer,
    sgd,
    train,
)
from ._transforms import (
    ApplyMomentum,
    ApplyNesterovMomentum,
    ClipNorm,
    ClipValue,
    Dampening,
    LearningRate,
    Negate,
    WeightDecay,
    apply_momentum,
    apply_nesterov_momentum,
)
from ._update import CollectionState, update

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "AMSGrad",
    "Accumulate",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "ApplyMomentum",
    "ApplyNesterovMomentum",
    "Chain",
    "ClipNorm",
    "ClipValue",
    "CollectionState",
    "CosineDecay",
    "Dampening",
    "ExpDecay",
    "ExponentialDecay",
    "Hyper",
    "InvDecay",
    "Joint",
    "LearningRate",
    "LinearWarmup",
    "Link",
    "Momentum",
    "NAdam",
    "Negate",
    "Nesterov",
    "Optimizer",
    "RAdam",
    "Rmsprop",
    "ScaleByAMSGrad",
    "ScaleByAdadelta",
    "ScaleByAdagrad",
    "ScaleByAdam",
    "ScaleByAdamax",
    "ScaleByNAdam",
    "ScaleByRAdam",
    "ScaleByRmsprop",
    "Schedule",
    "StepDecay",
    "Transform",
    "WarmupCosine",
    "WeightDecay",
    "adadelta",
    "adagrad",
    "adam",
    "apply_momentum",
    "apply_nesterov_momentum",
    "chain",
    "exhaust",
    "minimize",
    "momentum",
    "nesterov",
    "norm_constraint",
    "rmsprop",
    "set_optimizer",
    "sgd",
    "total_norm_constraint",
    "train",
    "update",
]
