"""WarmupCosine: nanoGPT's get_lr, step for step; errors; doctest."""

import doctest
import math

import pytest

from plugrad_optim import WarmupCosine


def nanogpt_get_lr(it, learning_rate=1e-3, warmup_iters=100, lr_decay_iters=2000, min_lr=1e-4):
    # train.py of nanoGPT, transcribed
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def test_equals_nanogpt_get_lr_at_every_step():
    s = WarmupCosine(1e-3, warmup_steps=100, decay_steps=2000, min_lr=1e-4)
    for it in range(2100):
        assert s(it) == pytest.approx(nanogpt_get_lr(it), rel=1e-15, abs=0)


def test_errors_and_docstring():
    with pytest.raises(ValueError, match=r"decay_steps \(10\) must exceed warmup_steps \(10\)"):
        WarmupCosine(1.0, 10, 10)
    with pytest.raises(ValueError, match="warmup_steps"):
        WarmupCosine(1.0, -1, 10)
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(WarmupCosine, "WarmupCosine", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0
