"""sample: frequencies follow softmax(logits / T), top-k stays in the top k, errors."""

import numpy as np
import pytest

import plugrad_nn as nn


def test_sample_frequencies_follow_the_tempered_softmax():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    n = 40000
    for temperature in (1.0, 0.5, 2.0):
        draws = nn.sample(np.tile(logits, (n, 1)), temperature=temperature, seed=3)
        freq = np.bincount(draws, minlength=4) / n
        p = np.exp(logits / temperature)
        p /= p.sum()
        # 5 standard deviations of a binomial frequency
        assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-9)


def test_top_k_keeps_the_k_best_renormalized():
    logits = np.array([[3.0, 0.0, 2.5, 1.0, 2.9]])
    draws = nn.sample(np.repeat(logits, 30000, axis=0), top_k=2, seed=4)
    assert set(np.unique(draws)) == {0, 4}
    p0 = np.exp(3.0) / (np.exp(3.0) + np.exp(2.9))
    assert abs(np.mean(draws == 0) - p0) < 5 * np.sqrt(p0 * (1 - p0) / 30000)


def test_greedy_shapes_and_errors():
    logits = np.random.default_rng(0).normal(size=(2, 3, 7))
    np.testing.assert_array_equal(nn.sample(logits, temperature=0), logits.argmax(-1))
    assert nn.sample(logits, seed=1).shape == (2, 3)
    np.testing.assert_array_equal(nn.sample(logits, top_k=99, seed=2), nn.sample(logits, seed=2))
    with pytest.raises(ValueError, match=r"sample: top_k must be >= 1"):
        nn.sample(logits, top_k=0)
    with pytest.raises(ValueError, match="sample: temperature must be >= 0"):
        nn.sample(logits, temperature=-1)
