"""summary: rows, output shapes, totals equal to the real parameter counts, no side effects."""

import numpy as np
import pytest

import plugrad_autograd as ag
from plugrad_nn import _layers as nn


def _count(model):
    return sum(int(p.value.size) for p in ag.params(model))


def _lenet():
    return nn.Sequential(
        nn.Conv(1, 16, 3, padding=1, activation="relu"),
        nn.MaxPool(2),
        nn.Conv(16, 32, 3, padding=1, activation="relu"),
        nn.MaxPool(2),
        nn.Flatten(),
        nn.Sequential(nn.Dense(128, 64, activation="relu"), nn.Dense(64, 10)),
    )


def test_summary_table_of_a_nested_sequential(capsys):
    model = _lenet()
    s = nn.summary(model, (2, 1, 8, 8), show=True)
    printed = capsys.readouterr().out
    assert printed.strip() == str(s)
    assert s.total_params == _count(model) == 160 + 4640 + 8256 + 650
    assert s.param_bytes == 4 * s.total_params
    assert s.output_shape == (2, 10)
    rows = [(r.depth, r.key, r.layer, r.output_shape, r.params) for r in s.rows]
    assert rows == [
        (0, "", "Sequential(6 layers)", (2, 10), 13706),
        (1, "0", "Conv(1 -> 16, 3x3, padding=1, relu)", (2, 16, 8, 8), 160),
        (1, "1", "MaxPool(2)", (2, 16, 4, 4), 0),
        (1, "2", "Conv(16 -> 32, 3x3, padding=1, relu)", (2, 32, 4, 4), 4640),
        (1, "3", "MaxPool(2)", (2, 32, 2, 2), 0),
        (1, "4", "Flatten()", (2, 128), 0),
        (1, "5", "Sequential(2 layers)", (2, 10), 8906),
        (2, "0", "Dense(128 -> 64, relu)", (2, 64), 8256),
        (2, "1", "Dense(64 -> 10)", (2, 10), 650),
    ]
    lines = str(s).splitlines()
    assert lines[0].split() == ["Layer", "Output", "shape", "Params"]
    assert "    1: Dense(64 -> 10)" in lines[10]
    assert lines[-2:] == ["Total params: 13,706", "Params memory: 53.5 KiB"]


def test_summary_without_input_shape_and_of_any_object():
    class Model:
        def __init__(self):
            self.encoder = nn.Sequential(nn.Dense(10, 8), nn.Dense(8, 4))
            self.heads = {"a": nn.Dense(4, 2), "b": nn.LSTM(4, 3)}
            self.temperature = ag.Param(np.float32([1.0]))
            self.tied = self.encoder[0]  # a shared layer is counted once in the total

    model = Model()
    s = nn.summary(model, show=False)
    assert s.total_params == _count(model) == 88 + 36 + 10 + 4 * (4 * 3 + 3 * 3 + 3 + 3) + 1
    assert [(r.depth, r.key) for r in s.rows] == [
        (0, ""),
        (1, "encoder"),
        (2, "0"),
        (2, "1"),
        (1, "heads['a']"),
        (1, "heads['b']"),
        (1, "tied"),
    ]
    assert s.rows[0].layer == "Model" and s.rows[5].layer == "LSTM(4 -> 3)"
    assert "Output shape" not in str(s)


def test_summary_of_graphs_with_several_inputs():
    def merge(layers, x, y):
        return layers["x"](x) + layers["y"](y)

    model = nn.Graph(merge, {"x": nn.Dense(3, 4), "y": nn.Dense(5, 4)})
    s = nn.summary(model, [(2, 3), (2, 5)], show=False)
    assert s.output_shape == (2, 4) and s.total_params == 16 + 24
    assert [(r.key, r.output_shape) for r in s.rows] == [("", (2, 4)), ("x", (2, 4)), ("y", (2, 4))]
    emb = nn.Sequential(nn.Embedding(10, 3), nn.Flatten())
    assert nn.summary(emb, (4, 6), dtype="int64", show=False).output_shape == (4, 18)


def test_summary_leaves_the_model_as_it_was():
    bn, lstm = nn.BatchNorm(3), nn.LSTM(3, 2, h=0, c=0)
    model = nn.trainmode(
        nn.Sequential(bn, nn.Dropout(0.5), nn.Flatten(), nn.Dense(3, 3), nn.Reshape((1, 3)), lstm)
    )
    model(np.ones((4, 3), "float32"))
    mean, h = bn.moments.mean.copy(), lstm.h
    s = nn.summary(model, (4, 3), show=False)
    assert s.output_shape == (4, 1, 2)
    np.testing.assert_array_equal(bn.moments.mean, mean)
    assert lstm.h is h and bn.mode is True and model[1].mode is True


def test_summary_errors():
    with pytest.raises(TypeError, match="needs a callable model"):
        nn.summary({"w": ag.Param([1.0])}, (2, 1), show=False)
    with pytest.raises(ValueError, match=r"^Sequential\[1\] Dense\(5 -> 2\)"):
        nn.summary(nn.Sequential(nn.Dense(3, 4), nn.Dense(5, 2)), (1, 3), show=False)


def test_print_of_summary_shows_the_table_once(capsys):
    model = _lenet()
    print(nn.summary(model, (2, 1, 8, 8)))
    printed = capsys.readouterr().out
    assert printed.count("Total params") == 1
    assert printed.strip() == str(nn.summary(model, (2, 1, 8, 8)))
    assert capsys.readouterr().out == ""  # summary itself prints only with show=True


def test_the_summary_at_a_prompt_is_the_table():
    s = nn.summary(_lenet(), (2, 1, 8, 8))
    assert repr(s) == str(s) and "Total params: 13,706" in repr(s)
