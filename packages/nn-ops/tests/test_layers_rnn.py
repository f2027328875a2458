"""LSTM and GRU layers: the functional RNN with a fixed type, as layers."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn
from plugrad_nn._rnn import RNN

x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype("float32")


@pytest.mark.parametrize(("layer", "kind"), [(nn.LSTM, "lstm"), (nn.GRU, "gru")])
def test_recurrent_layers_are_the_functional_rnn(layer, kind):
    B.seed(3)
    mine = layer(3, 4, num_layers=2)
    B.seed(3)
    reference = RNN(3, 4, rnn_type=kind, num_layers=2)
    assert isinstance(mine, RNN) and mine.rnn_type == kind
    np.testing.assert_allclose(mine(x), reference(x), rtol=1e-6)
    assert len(ag.params(mine)) == len(ag.params(reference)) == 8  # 2 layers x 4


def test_recurrent_layers_in_a_sequential_with_gradients():
    model = nn.Sequential(nn.GRU(3, 4, bidirectional=True), nn.Dense(8, 2))
    assert model(x[0]).shape == (2, 2)  # one time step of a batch
    assert ag.gcheck(lambda: ag.sum(model(x[0]) ** 2), verbose=0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    assert lstm(x).shape == (5, 2, 4)
    assert repr(lstm) == "LSTM(3 -> 4)"


def test_recurrent_layer_input_check_and_fixed_type():
    model = nn.Sequential(nn.Dense(3, 3), nn.LSTM(4, 2))
    with pytest.raises(
        nn.LayerInputError,
        match=r"Sequential\[1\] LSTM\(4 -> 2\): expected "
        r"input of shape \(T, B, 4\), \(B, 4\) or \(4,\) .* got shape \(2, 3\)",
    ):
        model(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="rnn_type is fixed"):
        nn.GRU(3, 4, rnn_type="lstm")


def test_recurrent_layers_save_and_load(tmp_path):
    data = pytest.importorskip("plugrad_data")
    model = nn.Sequential(nn.Embedding(10, 3), nn.LSTM(3, 4, num_layers=2), nn.GRU(4, 2))
    tokens = np.array([[1, 2, 3], [4, 5, 6]])
    data.save(tmp_path / "rnn.safetensors", model=model)
    loaded = data.load(tmp_path / "rnn.safetensors", "model")
    assert type(loaded[1]) is nn.LSTM and type(loaded[2]) is nn.GRU
    np.testing.assert_allclose(loaded(tokens), model(tokens), rtol=1e-6)


def test_trainmode_and_testmode_control_recurrent_dropout():
    B.seed(3)
    lstm = nn.LSTM(4, 5, num_layers=2, dropout=0.5)
    x = np.ones((3, 2, 4), dtype=np.float32)
    nn.testmode(lstm)
    a, b = lstm(x), lstm(x)
    np.testing.assert_array_equal(ag.value(a), ag.value(b))
    nn.trainmode(lstm)
    c = lstm(x)
    assert not np.array_equal(ag.value(c), ag.value(a))
