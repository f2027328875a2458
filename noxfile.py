"""Every task of the plugrad monorepo: package tests, integration, lint, build, demo, docs, bench.

The package list comes from a glob of ``packages/*/pyproject.toml`` and
``plugins/*/pyproject.toml``; sibling dependencies are installed from the checkout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox
import tomllib

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = False
# Data files (tinyshakespeare.txt) are read from ../shared/data beside the checkout, never
# copied into the repository; sessions inherit this.
os.environ.setdefault("PLUGRAD_DATA", str(ROOT.parent / "shared" / "data"))
#: packages whose tests compare with PyTorch (the reference, not a dependency)
TORCH_TESTED = ("plugrad-autograd", "plugrad-nn")


def _projects() -> dict[str, Path]:
    """Distribution name -> folder, for every package and plugin in the checkout."""
    found = {}
    for pyproject in sorted(
        [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("plugins/*/pyproject.toml")]
    ):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        found[name] = pyproject.parent
    return found


def _requirement_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


def _local_closure(name: str, projects: dict[str, Path]) -> list[Path]:
    """The folders of ``name`` and of every sibling it depends on, transitively."""
    order: list[Path] = []
    todo = [name]
    while todo:
        current = todo.pop()
        folder = projects[current]
        if folder in order:
            continue
        order.append(folder)
        meta = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        reqs = list(meta.get("dependencies", []))
        if current == name:  # the siblings its tests need come from the checkout too
            reqs += meta.get("optional-dependencies", {}).get("test", [])
        for req in reqs:
            dep = _requirement_name(req)
            if dep in projects:
                todo.append(dep)
    return order


def _has_test_extra(folder: Path) -> bool:
    meta = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    return "test" in meta.get("optional-dependencies", {})


def _install_local(session: nox.Session, name: str, extras: str = "") -> None:
    projects = _projects()
    folders = _local_closure(name, projects)
    main, deps = folders[0], folders[1:]
    target = str(main)
    wanted = [e for e in (extras.split(",") if extras else []) if e]
    if _has_test_extra(main):
        wanted.append("test")
    if wanted:
        target += f"[{','.join(wanted)}]"
    session.install(target, *[str(d) for d in deps])


PROJECTS = _projects()


@nox.session
@nox.parametrize("project", list(PROJECTS))
def package(session: nox.Session, project: str) -> None:
    """Run one package's tests in a fresh venv holding only it and its declared deps."""
    _install_local(session, project)
    session.install("pytest", "hypothesis")
    if project in TORCH_TESTED:  # torch's CPU wheel is found by pip's configuration, not uv
        session.install("pip")
        session.run("python", "-m", "pip", "install", "--quiet", "torch==2.13.0")
    tests = PROJECTS[project] / "tests"
    session.run(
        "python", "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider", *session.posargs
    )


@nox.session
def integration(session: nox.Session) -> None:
    """End-to-end tests across packages: tutorials, save/load, third-party plugins."""
    _install_local(session, "plugrad")
    session.install("pytest", "hypothesis", "distributed>=2024.1")
    session.run(
        "python",
        "-m",
        "pytest",
        "integration_tests",
        "-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
    )


@nox.session
@nox.parametrize("cpu_kernels", ["1", "0"])
def kernels(session: nox.Session, cpu_kernels: str) -> None:
    """The autograd and nn suites with the compiled CPU kernels on (1) and switched off (0)."""
    _install_local(session, "plugrad-cpu-kernels")
    for project in TORCH_TESTED:  # the suites' own test extras
        _install_local(session, project)
    session.install("pytest", "hypothesis")
    session.install("pip")  # torch's CPU wheel is found by pip's configuration, not uv
    session.run("python", "-m", "pip", "install", "--quiet", "torch==2.13.0")
    env = {"PLUGRAD_CPU_KERNELS": cpu_kernels}
    suites = [str(PROJECTS[p] / "tests") for p in TORCH_TESTED]
    session.run("python", "-m", "pytest", *suites, "-q", "-p", "no:cacheprovider", env=env)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Every package's tests, each in its own fresh venv, then the integration tests."""
    for project in PROJECTS:
        session.notify(f"package(project='{project}')")
    for switch in ("1", "0"):
        session.notify(f"kernels(cpu_kernels='{switch}')")
    session.notify("integration")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def build(session: nox.Session) -> None:
    """Build a wheel and an sdist of every distribution into dist/, then install from them."""
    session.install("build")
    dist = ROOT / "dist"
    for folder in PROJECTS.values():
        session.run(
            "python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(folder)
        )
    check = session.create_tmp()
    session.run("uv", "venv", "-q", "--clear", f"{check}/venv", external=True)
    py = f"{check}/venv/bin/python"
    # The meta-package and every component from the wheels just built (the CUDA plugin needs
    # cupy and a GPU: it is installed with `plugrad[cuda]`, not here).
    wheels = [str(w) for w in sorted(dist.glob("plugrad*.whl")) if "plugrad_cuda" not in w.name]
    session.run("uv", "pip", "install", "-q", "--python", py, *wheels, external=True)
    session.run(
        py,
        "-c",
        "import plugrad as pg; print(pg.__version__, pg.backends.available())",
        external=True,
    )
    session.run(py, "-m", "plugrad", "info", external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: train LeNet on the bundled digits, save, reload in a new process."""
    _install_local(session, "plugrad")
    session.run("python", "-m", "plugrad", "demo", *session.posargs)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors, then run its examples (doctest)."""
    _install_local(session, "plugrad")
    session.install("sphinx>=7", "furo")
    build = ROOT / "docs" / "_build"
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", str(build / "html"))
    session.run("sphinx-build", "-W", "-b", "doctest", "docs", str(build / "doctest"))


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """plugrad against PyTorch, JAX (eager and jit) and HIPS autograd, in one interleaved run.

    Writes the table to stdout and ``benchmarks/RESULTS.md``. Pass options through, e.g.
    ``nox -s bench -- --quick`` or ``-- --workloads mlp,lenet``.
    """
    _install_local(session, "plugrad")
    # torch 2.13.0's CPU wheel is found by pip's configuration, not by uv: install it with pip.
    session.install("pip", "jax", "jaxlib", "autograd", "threadpoolctl")
    session.run("python", "-m", "pip", "install", "--quiet", "torch==2.13.0")
    session.run("python", "benchmarks/run.py", *session.posargs)
