"""Calls written the PyTorch way get an error that says the plugrad way."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_nn as nn

SCORES = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
LABELS = np.array([1, 2])


@pytest.mark.parametrize(
    "op, call",
    [
        ("softmax", lambda: nn.softmax(SCORES, dim=-1)),
        ("logsoftmax", lambda: nn.logsoftmax(SCORES, dim=1)),
        ("logsoftmax", lambda: nn.logp(SCORES, dim=1)),
        ("nll", lambda: nn.nll(SCORES, LABELS, dim=1)),
        ("accuracy", lambda: nn.accuracy(SCORES, LABELS, dim=1)),
        ("zeroone", lambda: nn.zeroone(SCORES, LABELS, dim=1)),
        ("Softmax", lambda: nn.Softmax(dim=1)),
    ],
)
def test_dim_says_use_axis(op, call):
    with pytest.raises(TypeError, match=rf"^{op}: use axis= .*not PyTorch's dim="):
        call()


def test_other_unknown_keywords_are_still_plain_type_errors():
    with pytest.raises(TypeError, match="softmax: unexpected keyword argument 'axes'"):
        nn.softmax(SCORES, axes=1)


def test_softmax_inside_diff_refuses_dim_too():
    w = ag.Param(SCORES)
    with pytest.raises(TypeError, match="softmax: use axis="):
        ag.diff(lambda: ag.sum(nn.softmax(w, dim=-1)))


def test_an_lstm_called_with_a_state_tuple_says_how_to_set_the_state():
    lstm = nn.LSTM(3, 4)
    x = np.zeros((2, 2, 3), "float32")
    h0 = np.zeros((1, 2, 4), "float32")
    with pytest.raises(TypeError, match=r"LSTM: the second argument is batch_sizes.*lstm\.h = h0"):
        lstm(x, (h0, h0))
    with pytest.raises(TypeError, match=r"RNN: the second argument is batch_sizes.*state="):
        nn.RNN(3, 4)(x, h0)


def test_state_keyword_starts_from_the_given_states_and_keeps_the_final_ones():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 3)).astype("float32")
    h0 = rng.normal(size=(1, 2, 4)).astype("float32")
    c0 = rng.normal(size=(1, 2, 4)).astype("float32")
    lstm = nn.LSTM(3, 4)
    y = lstm(x, state=(h0, c0))
    reference = nn.LSTM(3, 4)
    for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
        setattr(reference, name, getattr(lstm, name))
    reference.h, reference.c = h0, c0
    np.testing.assert_array_equal(y, reference(x))
    np.testing.assert_array_equal(lstm.h, reference.h)
    np.testing.assert_array_equal(lstm.c, reference.c)
    gru = nn.GRU(3, 4)
    gru(x, state=h0)
    assert gru.h.shape == (1, 2, 4)
    with pytest.raises(TypeError, match=r"LSTM: state must be a pair \(h, c\)"):
        lstm(x, state=h0)
