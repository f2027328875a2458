"""Picklable objectives for the hyperopt tests (importable by process-pool workers)."""

import math
import time


def getconfig(rng):
    return {"x": rng.uniform(-3.0, 3.0), "y": rng.uniform(-3.0, 3.0)}


def getloss(config, resource):
    return (config["x"] - 1.0) ** 2 + (config["y"] + 0.5) ** 2 + 1.0 / resource


def shuffled_getloss(config, resource):
    # Sleeps a config-dependent time so that parallel evaluations finish out of order.
    time.sleep(0.002 * ((config["x"] * 7919) % 5))
    return getloss(config, resource)


def flaky_getloss(config, resource):
    if config["x"] > 2.0:
        raise ValueError(f"x={config['x']:.3f} is out of range")
    if config["x"] < -2.0:
        return math.nan
    return getloss(config, resource)


def resume_getloss(config, resource, checkpoint):
    # The checkpoint is (resource trained so far, work done at each call); the loss carries
    # the number of calls in the chain so that tests can see checkpoints were passed on.
    done, steps = checkpoint if checkpoint is not None else (0, ())
    if done >= resource:
        raise RuntimeError(f"checkpoint at {done} is not behind resource {resource}")
    steps = (*steps, resource - done)
    return getloss(config, resource) + 0.001 * len(steps), (resource, steps)
