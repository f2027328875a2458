"""Stopping and resuming training across processes gives the numbers of never stopping.

A model (layers from plugrad-nn) trained with Adam (plugrad-optim, state on each Param) is
saved with plugrad-data after 5 steps, loaded in a new process and trained 5 more steps;
the weights and losses must equal 10 uninterrupted steps bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import plugrad as pg

    mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    xtrn, ytrn, _, _ = pg.data.digits()
    batches = list(pg.minibatch(xtrn, ytrn, batchsize=64))[:10]

    def build():
        pg.seed(7)
        return pg.Sequential(
            pg.Conv(1, 4, 3, padding=1, activation="relu"),
            pg.MaxPool(2),
            pg.Flatten(),
            pg.Dense(64, 32, activation="tanh"),
            pg.Dense(32, 10),
        )

    def train(model, items):
        loss = lambda x, y: pg.nll(model(x), y)
        return list(pg.minimize(loss, items, pg.Adam(lr=0.01)))

    if mode == "straight":
        model = build()
        losses = train(model, batches)
    elif mode == "first":
        model = build()
        losses = train(model, batches[:5])
        pg.save(path, model=model, losses=losses)
    else:
        model, losses = pg.load(path, "model", "losses")
        losses = losses + train(model, batches[5:])
    weights = [pg.to_host(p.value).tolist() for p in pg.params(model)]
    json.dump({"losses": losses, "weights": weights}, open(out, "w"))
    """
)


def _run(tmp_path: Path, mode: str, saved: Path) -> dict:
    out = tmp_path / f"{mode}.json"
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    subprocess.run([sys.executable, str(script), mode, str(saved), str(out)], check=True)
    return json.loads(out.read_text())


def test_resumed_training_equals_uninterrupted(tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.safetensors"
    straight = _run(tmp_path, "straight", saved)
    _run(tmp_path, "first", saved)
    resumed = _run(tmp_path, "resume", saved)
    assert len(straight["losses"]) == len(resumed["losses"]) == 10
    assert straight["losses"] == resumed["losses"]
    for a, b in zip(straight["weights"], resumed["weights"], strict=True):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    assert straight["losses"][-1] < straight["losses"][0]
