"""Resuming with shuffled minibatches and dropout equals an uninterrupted run, bit for bit.

The checkpoint holds the model (Params with their Adam state) and ``pg.rng_state()``; the
resumed run restores both, in a fresh model object loaded from the file.
"""

from __future__ import annotations

import numpy as np

import plugrad as pg

EPOCHS, STOP = 4, 2


def _setup():
    xtrn, ytrn, _, _ = pg.data.digits()
    x, y = xtrn[:256], ytrn[:256]
    pg.seed(11)
    model = pg.Sequential(
        pg.Flatten(), pg.Dense(64, 32, activation="relu"), pg.Dropout(0.3), pg.Dense(32, 10)
    )
    data = pg.minibatch(x, y, batchsize=32, shuffle=True)
    return model, data


def _epochs(model, data, n):
    loss = lambda x, y: pg.nll(model(x), y)  # noqa: E731
    return [list(pg.minimize(loss, data, pg.Adam(lr=0.01))) for _ in range(n)]


def test_a_resumed_run_with_shuffle_and_dropout_equals_an_uninterrupted_one(tmp_path):
    model, data = _setup()
    straight = _epochs(model, data, EPOCHS)

    model, data = _setup()
    first = _epochs(model, data, STOP)
    path = tmp_path / "checkpoint.safetensors"
    pg.save(path, model=model, rng=pg.rng_state())
    pg.seed(999)  # anything drawn between the save and the resume must not matter
    pg.backends.get("cpu").rng.random(100)

    model, rng = pg.load(path, "model", "rng")
    pg.set_rng_state(rng)
    rest = _epochs(model, data, EPOCHS - STOP)
    assert first + rest == straight
    assert len({round(e[0], 6) for e in straight}) == EPOCHS  # the epochs did differ


def test_without_the_rng_state_the_resumed_run_differs(tmp_path):
    model, data = _setup()
    straight = _epochs(model, data, EPOCHS)
    model, data = _setup()
    first = _epochs(model, data, STOP)
    path = tmp_path / "checkpoint.safetensors"
    pg.save(path, model=model)
    pg.seed(999)
    rest = _epochs(pg.load(path, "model"), data, EPOCHS - STOP)
    assert first + rest != straight
    assert np.isfinite(rest[-1]).all()
