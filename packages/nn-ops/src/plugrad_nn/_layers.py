"""The layer half of plugrad_nn in one place: layers, containers and model utilities."""

from ._containers import Graph, Sequential
from ._device import to
from ._layers_base import Layer, LayerInputError
from ._layers_conv import Conv, ConvTranspose
from ._layers_dense import Dense, Embedding
from ._layers_linear import Linear
from ._layers_norm import BatchNorm, Dropout
from ._layers_pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool
from ._layers_rnn import GRU, LSTM
from ._layers_shape import Flatten, Identity, Reshape, Softmax
from ._layers_transformer import (
    KVCache,
    LayerNorm,
    MultiheadAttention,
    PositionalEmbedding,
    RMSNorm,
    TransformerBlock,
)
from ._modes import automode, testmode, trainmode
from ._summary import ModelSummary, summary

__all__ = [
    "GRU",
    "LSTM",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
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
    "automode",
    "summary",
    "testmode",
    "to",
    "trainmode",
]
