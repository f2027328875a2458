"""plugrad's neural-network ops: Knet's conv4/pool/batchnorm/dropout/RNN, losses, inits.

Layouts follow plugrad's translation of Knet (row-major, batch first): images NCHW and
NCDHW, filters (O, I, kH, kW), class scores (N, classes) with 0-based labels, dense
weights (in_features, out_features), sequences (T, B, X).

Example:
    >>> import numpy as np, plugrad_nn as nn
    >>> x = np.ones((2, 1, 8, 8), dtype=np.float32)
    >>> w = nn.param(4, 1, 3, 3)
    >>> nn.pool(nn.relu(nn.conv4(w, x, padding=1))).shape
    (2, 4, 4, 4)
"""

from plugrad_autograd import logsumexp, tanh

from ._activations import (
    elu,
    gelu,
    leaky_relu,
    logp,
    logsoftmax,
    relu,
    selu,
    sigm,
    sigmoid,
    silu,
    softmax,
    softplus,
)
from ._attention import scaled_dot_product_attention
from ._clean import clean
from ._conv import conv4, deconv4
from ._dropout import dropout
from ._elementwise import invx
from ._init import (
    bilinear,
    fans,
    gaussian,
    kaiming_normal,
    kaiming_uniform,
    param,
    param0,
    xavier,
    xavier_normal,
    xavier_uniform,
)
from ._layers import (
    GRU,
    LSTM,
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Graph,
    Identity,
    KVCache,
    Layer,
    LayerInputError,
    LayerNorm,
    Linear,
    MaxPool,
    ModelSummary,
    MultiheadAttention,
    PositionalEmbedding,
    Reshape,
    RMSNorm,
    Sequential,
    Softmax,
    TransformerBlock,
    automode,
    summary,
    testmode,
    to,
    trainmode,
)
from ._layers_linear import linear
from ._losses import accuracy, bce, logistic, mae, mse, nll, zeroone
from ._losses_extra import binary_cross_entropy, quadloss, softloss
from ._norm import BNMoments, batchnorm, bnmoments, bnparams
from ._normalization_ops import layer_norm, rms_norm
from ._pool import pool, unpool
from ._rnn import RNN, rnnparam, rnnparams
from ._rope import rope
from ._sampling import sample

__version__ = "0.1.0"

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "BNMoments",
    "BatchNorm",
    "Conv",
    "ConvTranspose",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Graph",
    "Identity",
    "KVCache",
    "Layer",
    "LayerInputError",
    "LayerNorm",
    "Linear",
    "MaxPool",
    "ModelSummary",
    "MultiheadAttention",
    "PositionalEmbedding",
    "RMSNorm",
    "Reshape",
    "Sequential",
    "Softmax",
    "TransformerBlock",
    "accuracy",
    "automode",
    "batchnorm",
    "bce",
    "bilinear",
    "binary_cross_entropy",
    "bnmoments",
    "bnparams",
    "clean",
    "conv4",
    "deconv4",
    "dropout",
    "elu",
    "fans",
    "gaussian",
    "gelu",
    "invx",
    "kaiming_normal",
    "kaiming_uniform",
    "layer_norm",
    "leaky_relu",
    "linear",
    "logistic",
    "logp",
    "logsoftmax",
    "logsumexp",
    "mae",
    "mse",
    "nll",
    "param",
    "param0",
    "pool",
    "quadloss",
    "relu",
    "rms_norm",
    "rnnparam",
    "rnnparams",
    "rope",
    "sample",
    "scaled_dot_product_attention",
    "selu",
    "sigm",
    "sigmoid",
    "silu",
    "softloss",
    "softmax",
    "softplus",
    "summary",
    "tanh",
    "testmode",
    "to",
    "trainmode",
    "unpool",
    "xavier",
    "xavier_normal",
    "xavier_uniform",
    "zeroone",
]
