"""update() in several threads at once: each thread's models end as in a serial run, bit for bit."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po

MAKERS = [
    lambda: po.Adam(lr=0.01),  # the fused CPU kernel where installed
    lambda: po.Nesterov(lr=0.01, gclip=1.0),  # the portable chain
    lambda: po.chain(po.WeightDecay(0.1), po.ClipNorm(1.0, global_norm=True), po.Rmsprop()),
    lambda: po.AdamW(lr=po.CosineDecay(0.01, 30)),
]
WORKERS = 4


def grads_for(seed, steps=30):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal((64, 32)), rng.standard_normal(32)] for _ in range(steps)]


def train(backend, seed, make, barrier=None):
    """A model of two Params with its own optimizers, updated with precomputed gradients."""
    rng = np.random.default_rng(1000 + seed)
    ps = [ag.Param(backend.asarray(rng.standard_normal(s))) for s in ((64, 32), (32,))]
    for p in ps:
        p.opt = make()
    for step, gs in enumerate(grads_for(seed)):
        if barrier is not None and step % 10 == 0:
            barrier.wait(timeout=60)  # keep the threads' updates interleaved
        po.update(ps, [backend.asarray(g) for g in gs])
    return [backend.to_host(p.value) for p in ps]


@pytest.mark.parametrize("make", MAKERS, ids=["Adam", "Nesterov", "global-clip", "AdamW"])
def test_threads_updating_their_own_models_match_the_serial_run(make, backend):
    serial = [train(backend, seed, make) for seed in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(train, backend, seed, make, barrier) for seed in range(WORKERS)]
        threaded = [f.result(timeout=120) for f in futures]
    for want, got in zip(serial, threaded, strict=True):
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)
