"""Every layer constructor: a wrong type is a TypeError naming the argument, a bad value a
ValueError; both name the layer."""

import numpy as np
import pytest

import plugrad_nn as nn

WRONG_TYPES = [
    ("Dense", lambda: nn.Dense("3", 2), "in_features"),
    ("Dense", lambda: nn.Dense(3, 2.0), "out_features"),
    ("Dense", lambda: nn.Dense(True, 2), "in_features"),
    ("Conv", lambda: nn.Conv("1", 4, 3), "in_channels"),
    ("Conv", lambda: nn.Conv(1, 4, "3"), "kernel_size"),
    ("Conv", lambda: nn.Conv(1, 4, 3, stride="1"), "stride"),
    ("Conv", lambda: nn.Conv(1, 4, 3, padding=1.5), "padding"),
    ("Conv", lambda: nn.Conv(2, 4, 3, groups="2"), "groups"),
    ("ConvTranspose", lambda: nn.ConvTranspose(1, "4", 3), "out_channels"),
    ("ConvTranspose", lambda: nn.ConvTranspose(1, 4, 3, output_padding="0"), "output_padding"),
    ("MaxPool", lambda: nn.MaxPool("2"), "kernel_size"),
    ("MaxPool", lambda: nn.MaxPool(2, stride=1.0), "stride"),
    ("AvgPool", lambda: nn.AvgPool(2, padding="1"), "padding"),
    ("AdaptiveAvgPool", lambda: nn.AdaptiveAvgPool("2"), "output_size"),
    ("AdaptiveMaxPool", lambda: nn.AdaptiveMaxPool((2, "2")), "output_size"),
    ("BatchNorm", lambda: nn.BatchNorm("4"), "num_features"),
    ("BatchNorm", lambda: nn.BatchNorm(4, momentum="0.1"), "momentum"),
    ("BatchNorm", lambda: nn.BatchNorm(4, eps=None), "eps"),
    ("Dropout", lambda: nn.Dropout("0.5"), "p"),
    ("Embedding", lambda: nn.Embedding(10.0, 3), "num_embeddings"),
    ("Embedding", lambda: nn.Embedding(10, "3"), "embedding_dim"),
    ("Reshape", lambda: nn.Reshape("3"), "shape"),
    ("Reshape", lambda: nn.Reshape((3, 1.5)), "shape"),
    ("Softmax", lambda: nn.Softmax("1"), "axis"),
    ("RNN", lambda: nn.RNN("3", 4), "input_size"),
    ("RNN", lambda: nn.RNN(3, 4, num_layers=2.0), "num_layers"),
    ("RNN", lambda: nn.RNN(3, 4, dropout="0.1"), "dropout"),
    ("LSTM", lambda: nn.LSTM(3, "4"), "hidden_size"),
    ("GRU", lambda: nn.GRU(3.0, 4), "input_size"),
    ("Dense", lambda: nn.Dense(3, 2, bias="yes"), "bias"),
    ("Conv", lambda: nn.Conv(1, 4, 3, bias=0), "bias"),
    ("ConvTranspose", lambda: nn.ConvTranspose(1, 4, 3, bias=None), "bias"),
    ("LSTM", lambda: nn.LSTM(3, 4, bidirectional="no"), "bidirectional"),
    ("RNN", lambda: nn.RNN(3, 4, batch_first=1), "batch_first"),
]


@pytest.mark.parametrize("layer, make, argument", WRONG_TYPES)
def test_a_wrong_type_is_a_type_error_naming_the_argument(layer, make, argument):
    with pytest.raises(TypeError, match=rf"^{layer}.*\b{argument}\b"):
        make()


BAD_VALUES = [
    ("Dense", lambda: nn.Dense(0, 2), "in_features"),
    ("Conv", lambda: nn.Conv(1, 4, 0), "kernel_size"),
    ("Conv", lambda: nn.Conv(3, 4, 3, groups=2), "groups"),
    ("MaxPool", lambda: nn.MaxPool(2, stride=0), "stride"),
    ("BatchNorm", lambda: nn.BatchNorm(4, eps=-1.0), "eps"),
    ("Dropout", lambda: nn.Dropout(1.5), "p"),
    ("Embedding", lambda: nn.Embedding(0, 3), "num_embeddings"),
    ("RNN", lambda: nn.RNN(3, 0), "hidden_size"),
    ("RNN", lambda: nn.RNN(3, 4, dropout=1.0), "dropout"),
]


@pytest.mark.parametrize("layer, make, argument", BAD_VALUES)
def test_a_bad_value_is_a_value_error_naming_the_argument(layer, make, argument):
    with pytest.raises(ValueError, match=rf"^{layer}.*\b{argument}\b"):
        make()


def test_numpy_integers_are_accepted_as_sizes():
    layer = nn.Dense(np.int64(3), np.int32(2))
    assert layer.weight.value.shape == (3, 2)
    assert nn.Conv(np.int64(1), 4, np.int64(3)).kernel_size == (3, 3)


def test_a_wrong_type_is_still_caught_by_handlers_written_for_the_old_value_error():
    with pytest.raises(ValueError, match="Dense: in_features must be a positive int, got str"):
        nn.Dense("3", 2)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: nn.conv4(np.ones((1, 1, 3, 3)), np.ones((1, 1, 5, 5)), stride="1"), "stride"),
        (lambda: nn.pool(np.ones((1, 1, 4, 4)), window=2.0), "window"),
        (lambda: nn.pool(np.ones((1, 1, 4, 4)), padding=(0, "1")), "padding"),
    ],
)
def test_functional_ops_raise_type_errors_for_wrong_types_too(call, argument):
    with pytest.raises(TypeError, match=rf"\b{argument} must be an int"):
        call()


X4 = np.ones((2, 3, 4, 4), "float32")

FUNCTIONAL_WRONG_TYPES = [
    ("dropout", lambda: nn.dropout(X4, "0.5", drop=True), "p"),
    ("leaky_relu", lambda: nn.leaky_relu(X4, "a"), "alpha"),
    ("elu", lambda: nn.elu(X4, "a"), "alpha"),
    ("bnmoments", lambda: nn.bnmoments(momentum="x"), "momentum"),
    ("bnparams", lambda: nn.bnparams("3"), "channels"),
    ("batchnorm", lambda: nn.batchnorm(X4, training=True, eps="x"), "eps"),
    ("rnnparam", lambda: nn.rnnparam(nn.RNN(3, 4), "0", 1), "layer"),
    ("rnnparam", lambda: nn.rnnparam(nn.RNN(3, 4), 0, 1.0), "id"),
    ("pool", lambda: nn.pool(X4, mode="max"), "mode"),
    ("conv4", lambda: nn.conv4(np.ones((2, 3, 3, 3), "float32"), X4, mode="1"), "mode"),
    ("nll", lambda: nn.nll(np.ones((2, 3)), [0, 1], axis="1"), "axis"),
    ("accuracy", lambda: nn.accuracy(np.ones((2, 3)), [0, 1], axis=1.0), "axis"),
]


@pytest.mark.parametrize("op, call, argument", FUNCTIONAL_WRONG_TYPES)
def test_functional_ops_name_the_argument_of_a_wrong_type(op, call, argument):
    with pytest.raises(TypeError, match=rf"^{op}: {argument} must be "):
        call()
