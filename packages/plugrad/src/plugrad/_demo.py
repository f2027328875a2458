"""plugrad's main job: train a LeNet-style convnet on the bundled digits, save, reload.

``python -m plugrad demo [--epochs N] [--device cuda]`` (and ``nox -s demo``) trains with a
progress bar, prints train and test accuracy, saves the model with ``pg.save``, reloads it
in a new process, re-evaluates it there, and prints where the file is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import plugrad as pg

DEFAULT_EPOCHS = 15
BATCH = 32


def lenet() -> Any:
    """A LeNet-style convnet for 1x8x8 images: two conv/pool stages, two dense layers."""
    return pg.Sequential(
        pg.Conv(1, 32, 3, padding=1, activation="relu"),
        pg.MaxPool(2),
        pg.Conv(32, 64, 3, padding=1, activation="relu"),
        pg.MaxPool(2),
        pg.Flatten(),
        pg.Dense(64 * 2 * 2, 128, activation="relu"),
        pg.Dropout(0.25),
        pg.Dense(128, 10),
    )


def evaluate(model: Any, x: Any, y: Any, device: str) -> float:
    """Test-mode accuracy of ``model`` on ``(x, y)``, in batches."""
    correct = 0
    for xb, yb in pg.minibatch(x, y, batchsize=500, partial=True, xtype=device):
        correct += round(float(pg.accuracy(model(xb), yb)) * len(yb))
    return correct / len(y)


def epoch_message(epoch: int, epochs: int, loss: float, test_acc: float | None) -> str:
    """The progress line of an epoch; the test accuracy only once it has been measured.

    Example:
        >>> epoch_message(1, 15, 2.3, None)
        'epoch 1/15 loss 2.3000'
        >>> epoch_message(2, 15, 0.5, 0.9)
        'epoch 2/15 loss 0.5000 (test acc 0.9000 after epoch 1)'
    """
    line = f"epoch {epoch}/{epochs} loss {loss:.4f}"
    if test_acc is None:
        return line
    return f"{line} (test acc {test_acc:.4f} after epoch {epoch - 1})"


def _default_device() -> str:
    return "cuda" if "cuda" in pg.backends.available() else "cpu"


def _check(path: str, device: str | None) -> int:
    """The reload half: load the saved model in this (new) process and re-evaluate."""
    device = device or _default_device()
    model, saved = pg.load(path, "model", "test_accuracy")
    pg.to(model, device=device)
    pg.testmode(model)
    _, _, xtst, ytst = pg.data.digits()
    acc = evaluate(model, xtst, ytst, device)
    print(f"reloaded in a new process: test accuracy {acc:.4f} (saved {saved:.4f})")
    return 0 if acc == saved else 1


def run_demo(
    epochs: int | None = None,
    device: str | None = None,
    out: str | None = None,
    check: str | None = None,
) -> int:
    """Run the demo; returns the process exit status (0 when the reload matches)."""
    if check is not None:
        return _check(check, device)
    device = device or _default_device()
    pg.backends.get(device)  # fail now, with the reason, if the device cannot run
    epochs = epochs or DEFAULT_EPOCHS
    pg.seed(0)
    xtrn, ytrn, xtst, ytst = pg.data.digits()
    print(f"plugrad demo: LeNet on the bundled 8x8 digits ({len(ytrn)} train, {len(ytst)} test)")
    print(f"device: {device}, epochs: {epochs}")
    model = pg.to(lenet(), device=device)
    data = pg.minibatch(xtrn, ytrn, batchsize=BATCH, shuffle=True, xtype=device)

    def loss(x: Any, y: Any) -> Any:
        return pg.nll(model(x), y)

    optimizer = pg.Adam(lr=0.002)
    test_acc: float | None = None
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        pg.trainmode(model)
        bar = pg.progress(
            pg.minimize(loss, data, optimizer),
            msg=lambda p, e=epoch, acc=test_acc: epoch_message(e, epochs, p.currval, acc),
        )
        bar.run()
        pg.testmode(model)
        test_acc = evaluate(model, xtst, ytst, device)
    train_acc = evaluate(model, xtrn, ytrn, device)
    elapsed = time.perf_counter() - start
    print(f"train accuracy {train_acc:.4f}  test accuracy {test_acc:.4f}  ({elapsed:.1f} s)")

    path = out or os.path.join(tempfile.gettempdir(), "plugrad-demo-lenet.safetensors")
    pg.save(path, model=model, test_accuracy=test_acc)
    return check_in_new_process(path, ["--check", path, "--device", device], "the accuracy")


def check_in_new_process(path: str, demo_args: list[str], what: str) -> int:
    """Run ``python -m plugrad demo *demo_args`` (the reload check) in a new process.

    Prints its output and where the model is; returns 0 when the reload reproduced ``what``.
    """
    reload = subprocess.run(
        [sys.executable, "-m", "plugrad", "demo", *demo_args], capture_output=True, text=True
    )
    sys.stdout.write(reload.stdout)
    sys.stderr.write(reload.stderr)
    if reload.returncode != 0:
        print(f"the reloaded model did not reproduce {what}", file=sys.stderr)
        return 1
    print(f"model saved to {os.path.abspath(path)}")
    return 0
