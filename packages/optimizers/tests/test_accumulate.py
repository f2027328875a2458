"""Accumulate: k micro-steps equal one step on the mean gradient; saving; errors."""

import doctest

import numpy as np
import pytest

import plugrad_optim
from plugrad_optim import SGD, Accumulate, AdamW, ClipNorm, chain, update


def test_docstring_example():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(Accumulate, "Accumulate", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


@pytest.mark.parametrize("as_member", [False, True])
def test_k_micro_steps_equal_one_adamw_step_on_the_mean(as_member):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 2)) for _ in range(8)]
    w_acc, w_ref = np.ones((3, 2)), np.ones((3, 2))
    acc = Accumulate(AdamW(lr=0.01, weight_decay=0.1), steps=4)
    opt_acc = chain(acc) if as_member else acc
    ref = AdamW(lr=0.01, weight_decay=0.1)
    for i, g in enumerate(grads):
        before = w_acc.copy()
        update(w_acc, g, opt_acc)
        if (i + 1) % 4:
            np.testing.assert_array_equal(w_acc, before)  # only accumulated
        else:
            update(w_ref, np.mean(grads[i - 3 : i + 1], axis=0), ref)
            np.testing.assert_allclose(w_acc, w_ref, rtol=1e-14, atol=1e-15)


def test_accumulate_inside_a_chain_with_global_clipping_runs():
    w = [np.ones(2), np.ones(3)]
    opt = Accumulate(chain(ClipNorm(1.0, global_norm=True), SGD(lr=1.0)), steps=2)
    update(w, [np.full(2, 10.0), np.full(3, 10.0)], opt)
    update(w, [np.full(2, 10.0), np.full(3, 10.0)], opt)
    total = np.sqrt(sum(np.sum((x - 1) ** 2) for x in w))
    assert total == pytest.approx(1.0)


def test_accumulate_errors_and_export():
    assert "Accumulate" in plugrad_optim.__all__
    with pytest.raises(TypeError, match="Accumulate: opt must be an optimizer"):
        Accumulate(0.1, steps=2)
    with pytest.raises(ValueError, match="steps"):
        Accumulate(SGD(), steps=0)


def test_a_global_clip_inside_accumulate_measures_the_accumulated_gradients():
    # micro-batches 3 and 5 average to 4 in each of 5 entries: norm 4 * sqrt(5); the clip to
    # half of it halves the step, so each weight moves by exactly 2 (the last micro-batch
    # alone, norm 5 * sqrt(5), would have moved it by 1.6)
    w = [np.zeros(2), np.zeros(3)]
    opt = Accumulate(chain(ClipNorm(2 * np.sqrt(5.0), global_norm=True), SGD(lr=1.0)), steps=2)
    update(w, [np.full(2, 3.0), np.full(3, 3.0)], opt)
    assert all(np.all(x == 0) for x in w)
    update(w, [np.full(2, 5.0), np.full(3, 5.0)], opt)
    np.testing.assert_allclose(np.concatenate(w), np.full(5, -2.0), rtol=1e-12)
