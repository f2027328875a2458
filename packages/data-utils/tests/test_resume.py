import subprocess
import sys
import textwrap
from pathlib import Path

import datautils_helpers as h
import numpy as np

from plugrad_data import load, save

HERE = Path(__file__).parent


def test_resume_in_a_new_process_matches_training_straight_through(tmp_path):
    straight = h.Linear(3, 1, seed=2)
    h.train(straight, iter(h.loader()), 10)

    first = h.Linear(3, 1, seed=2)
    data = h.loader()
    batches = iter(data)
    h.train(first, batches, 5)
    ckpt = tmp_path / "ckpt.safetensors"
    save(ckpt, model=first, loader=data.state(), step=5)

    result = tmp_path / "resumed.safetensors"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(HERE)!r})
        import datautils_helpers as h
        from plugrad_data import load, save
        model, state, step = load({str(ckpt)!r}, "model", "loader", "step")
        data = h.loader(shuffle_seed=123)  # another order: the state must restore it
        data.load_state(state)
        h.train(model, iter(data), 5)
        save({str(result)!r}, model=model, step=step + 5)
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    resumed, step = load(result, "model", "step")

    assert step == 10
    assert len(resumed.history) == len(straight.history) == 10
    assert resumed.history == straight.history  # bit-identical losses
    assert np.array_equal(resumed.w.value, straight.w.value)
    assert np.array_equal(resumed.b.value, straight.b.value)
    assert np.array_equal(resumed.w.opt.velocity, straight.w.opt.velocity)
    assert resumed.w.opt.steps == 10 and resumed.params[0] is resumed.w
    # training actually lowered the loss on the whole data set
    x, y = h.dataset()
    before = float(np.mean((h.Linear(3, 1, seed=2)(x) - y) ** 2))
    after = float(np.mean((resumed(x) - y) ** 2))
    assert after < 0.01 * before


def test_resume_without_the_optimizer_state_would_differ(tmp_path):
    straight = h.Linear(3, 1, seed=2)
    h.train(straight, iter(h.loader()), 10)
    model = h.Linear(3, 1, seed=2)
    data = h.loader()
    batches = iter(data)
    h.train(model, batches, 5)
    for p in model.params:
        p.opt = None  # forget the momentum
    h.train(model, batches, 5)
    assert not np.array_equal(model.w.value, straight.w.value)
