"""One module per framework, each with the same interface.

A framework module defines:

- ``NAME``: the name used on the command line and in the tables;
- ``available() -> str | None``: None when it can run, else why not (not installed...);
- ``version() -> str``: the versions of what it uses;
- ``build(problem) -> Built``: the training step for a workload (raises :class:`Skip`).

``Built.step()`` runs one full training step (forward, backward, SGD with ``LR``) in
place and returns the loss computed in it, as something ``float()`` accepts; the first
call therefore returns the loss at the initial parameters. ``float()`` on the result also
waits for asynchronous frameworks (JAX) to finish the step.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


class Skip(Exception):
    """This framework does not run this workload (the message says why)."""


@dataclass
class Built:
    step: Callable[[], Any]
    #: the number of trainable scalars, counted by the framework itself
    n_params: int
    #: how the workload is written in this framework, when worth saying
    note: str = ""


#: command-line name -> module, in table order (plugrad first: the ratios are against it)
MODULES = {
    "plugrad": "frameworks.bench_plugrad",
    "plugrad-portable": "frameworks.bench_plugrad",
    "numpy": "frameworks.bench_numpy",
    "torch": "frameworks.bench_torch",
    "jax": "frameworks.bench_jax",
    "jax-jit": "frameworks.bench_jax",
    "autograd": "frameworks.bench_hips",
}


class _JaxJit:
    """The jit-compiled variant of the JAX module."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self.NAME = "jax-jit"

    def available(self) -> str | None:
        return self._module.available()

    def version(self) -> str:
        return self._module.version()

    def build(self, problem: Any) -> Built:
        return self._module.build(problem, jit=True)


class _PlugradPortable:
    """plugrad with the compiled kernels' entries taken out of the table during its steps.

    The same process, the same step, the portable path: ``plugrad/plugrad-portable`` is
    what the kernel plugin (plugrad-cpu-kernels) gains, measured interleaved.
    """

    NAME = "plugrad-portable"

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def available(self) -> str | None:
        try:
            import plugrad_cpu_kernels  # noqa: F401
        except ImportError as exc:
            return f"plugrad-cpu-kernels is not installed ({exc})"
        return self._module.available()

    def version(self) -> str:
        return self._module.version() + "; run with the compiled kernels taken out"

    def build(self, problem: Any) -> Built:
        import plugrad_backends
        import plugrad_cpu_kernels

        built = self._module.build(problem)
        kernels = plugrad_backends.get("cpu").kernels
        mine = {k: kernels[k] for k in plugrad_cpu_kernels.kernel_table() if k in kernels}

        def step() -> Any:
            for k in mine:
                kernels.pop(k, None)
            try:
                return built.step()
            finally:
                kernels.update(mine)

        return Built(step, built.n_params, built.note)


def load(name: str) -> Any:
    """The framework module for a command-line name."""
    module = importlib.import_module(MODULES[name])
    if name == "plugrad-portable":
        return _PlugradPortable(module)
    return _JaxJit(module) if name == "jax-jit" else module
