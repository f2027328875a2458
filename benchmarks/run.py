"""plugrad against its peers: the same training steps, timed side by side in one process.

Usage (from the repository root)::

    python benchmarks/run.py                      # everything; writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick              # smoke test: few short samples, no file
    python benchmarks/run.py --workloads overhead,mlp --frameworks plugrad,torch

Frameworks: plugrad, plugrad-portable (plugrad with its compiled CPU kernels taken out,
interleaved in the same process), numpy (the hand-written floor of ``overhead``), torch,
jax (eager), jax-jit, autograd (HIPS). Workloads: overhead, mlp, mlp-t (``x @ W.T``),
lenet, lstm, lstm-loop (a user's loop over steps), limit (numpy's GEMM rate and the
GEMM-only floor of each workload). ``--contended`` runs a CPU hog on one core throughout.
A framework that is not installed is skipped with a note. See benchmarks/README.md for what
is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frameworks
import limit
import machine
import problems
import timing

HERE = Path(__file__).resolve().parent
REFERENCE = "plugrad"
#: the GEMM-only step of a workload, timed in the same rounds as the frameworks
FLOOR = "limit (GEMM only)"
LOSS_TOLERANCE = 1e-4


@dataclass
class Entry:
    """One framework on one workload."""

    framework: str
    n_params: int | None = None
    initial_loss: float | None = None
    series: timing.Series | None = None
    steps_per_sample: int = 0
    note: str = ""
    skipped: str = ""


@dataclass
class Outcome:
    problem: problems.Problem
    entries: dict[str, Entry] = field(default_factory=dict)


# -- running -------------------------------------------------------------------------------


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_workload(
    problem: problems.Problem,
    modules: dict[str, Any],
    missing: dict[str, str],
    rounds: int,
    target: float,
    with_floor: bool,
) -> Outcome:
    outcome = Outcome(problem)
    steps: dict[str, tuple[timing.Step, int]] = {}
    names = list(modules) + list(missing)
    if with_floor and problem.gemms:
        names.append(FLOOR)
    for name in names:
        entry = outcome.entries[name] = Entry(name)
        if name in missing:
            entry.skipped = missing[name]
            continue
        try:
            if name == FLOOR:
                built = frameworks.Built(limit.gemm_step(problem), 0)
            else:
                built = modules[name].build(problem)
            t0 = time.perf_counter()
            entry.initial_loss = float(built.step())  # compiles, for jit
            first = time.perf_counter() - t0
            entry.steps_per_sample = timing.steps_per_sample(built.step, target)
        except frameworks.Skip as exc:
            entry.skipped = str(exc)
            continue
        except Exception as exc:  # a peer's or plugrad's failure is reported, not fatal
            traceback.print_exc()
            entry.skipped = f"failed: {type(exc).__name__}: {exc}".splitlines()[0]
            continue
        entry.n_params, entry.note = built.n_params, built.note
        if name == FLOOR:
            entry.initial_loss = entry.n_params = None
        steps[name] = (built.step, entry.steps_per_sample)
        _say(
            f"  {problem.name:8} {name:8} ready: first step {first * 1e3:.0f} ms, "
            f"{entry.steps_per_sample} steps per sample"
        )
    for name, series in timing.interleave(steps, rounds).items():
        outcome.entries[name].series = series
    return outcome


# -- reporting -----------------------------------------------------------------------------


def _scale(problem: problems.Problem) -> float:
    """Seconds per step -> the reported unit (ms per step, or us per op)."""
    return (1e6 if problem.unit == "us" else 1e3) / problem.per


def _unit(problem: problems.Problem) -> str:
    return "µs/op" if problem.unit == "us" else "ms/step"


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _ratio(r: list[float]) -> str:
    return f"{statistics.median(r):.2f} ({min(r):.2f}–{max(r):.2f})"


def _check(outcome: Outcome, entry: Entry) -> str:
    ref = outcome.entries.get(REFERENCE)
    if ref is None or ref.initial_loss is None:
        ref = next((e for e in outcome.entries.values() if e.initial_loss is not None), None)
    if entry.initial_loss is None or ref is None:
        return ""
    problems_found = []
    if abs(entry.initial_loss - ref.initial_loss) > LOSS_TOLERANCE * max(
        1.0, abs(ref.initial_loss)
    ):
        problems_found.append("LOSS DIFFERS")
    if entry.n_params != outcome.problem.n_params:
        problems_found.append("PARAMS DIFFER")
    return ", ".join(problems_found) or "ok"


HEADER = [
    "framework",
    "params",
    "initial loss",
    "median",
    "min–max",
    "plugrad/peer (rounds)",
    "steps/sample",
    "check",
    "note",
]


def workload_rows(outcome: Outcome) -> list[list[str]]:
    k = _scale(outcome.problem)
    ref = outcome.entries.get(REFERENCE)
    ref_series = ref.series if ref is not None else None
    rows = []
    for entry in outcome.entries.values():
        if entry.series is None:
            rows.append([entry.framework, "", "", "", "", "", "", "", f"skipped: {entry.skipped}"])
            continue
        s = entry.series
        ratio = ""
        if ref_series is not None and entry.framework != REFERENCE:
            ratio = _ratio(timing.paired_ratios(ref_series, s))
        note = entry.note
        if entry.framework == FLOOR:
            flops = problems.gemm_flops(outcome.problem.gemms)
            note = f"{flops / 1e9:.3f} GFLOP, {flops / s.median / 1e9:.1f} GFLOP/s (numpy)"
        rows.append(
            [
                entry.framework,
                "" if entry.n_params is None else str(entry.n_params),
                "" if entry.initial_loss is None else f"{entry.initial_loss:.6f}",
                _num(s.median * k),
                f"{_num(s.low * k)}–{_num(s.high * k)}",
                ratio,
                str(entry.steps_per_sample),
                _check(outcome, entry),
                note,
            ]
        )
    return rows


def summary_rows(outcomes: list[Outcome], peers: list[str]) -> tuple[list[str], list[list[str]]]:
    with_floor = any(FLOOR in o.entries for o in outcomes)
    columns = [*peers, FLOOR] if with_floor else list(peers)
    header = ["workload", "plugrad", *(f"/ {p}" for p in columns)]
    rows = []
    for o in outcomes:
        ref = o.entries.get(REFERENCE)
        if ref is None or ref.series is None:
            rows.append([o.problem.name, "—"] + [""] * len(columns))
            continue
        row = [o.problem.name, f"{_num(ref.series.median * _scale(o.problem))} {_unit(o.problem)}"]
        for p in columns:
            e = o.entries.get(p)
            if e is None or e.series is None:
                row.append("—")
            else:
                row.append(f"{statistics.median(timing.paired_ratios(ref.series, e.series)):.2f}")
        rows.append(row)
    return header, rows


def limit_rows(peak: dict[int, float], outcomes: list[Outcome]) -> list[list[str]]:
    rows = []
    for s, rate in peak.items():
        flops = 2 * s**3
        rows.append(
            [f"{s}x{s} @ {s}x{s}", f"{flops / 1e9:.3f}", _num(flops / rate / 1e6), f"{rate:.1f}"]
        )
    for o in outcomes:
        e = o.entries.get(FLOOR)
        if e is not None and e.series is not None:
            flops = problems.gemm_flops(o.problem.gemms)
            t = e.series.median
            rows.append(
                [
                    f"{o.problem.name} step",
                    f"{flops / 1e9:.3f}",
                    _num(t * 1e3),
                    f"{flops / t / 1e9:.1f}",
                ]
            )
    return rows


LIMIT_HEADER = ["products", "GFLOP", "ms", "GFLOP/s"]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _workload_title(o: Outcome) -> str:
    return f"{o.problem.name}: {o.problem.title} ({_unit(o.problem)})"


def report_text(outcomes: list[Outcome], peak: dict[int, float] | None, peers: list[str]) -> str:
    parts = []
    for o in outcomes:
        parts += [f"== {_workload_title(o)} ==", text_table(HEADER, workload_rows(o)), ""]
    if peak is not None:
        parts += [
            "== limit: numpy float32 GEMM ==",
            text_table(LIMIT_HEADER, limit_rows(peak, outcomes)),
            "",
        ]
    if outcomes:
        header, rows = summary_rows(outcomes, peers)
        parts += [
            "== summary: plugrad time / peer time (median of rounds; >1: plugrad slower) ==",
            text_table(header, rows),
        ]
    return "\n".join(parts)


def report_markdown(
    outcomes: list[Outcome],
    peak: dict[int, float] | None,
    peers: list[str],
    info: dict[str, str],
    versions: dict[str, str],
    settings: str,
) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Measured {info['date']} with `python benchmarks/run.py {settings}`.",
        "Each time is one full training step (forward, backward, SGD with lr 0.1), the median "
        "of the rounds with its min–max; frameworks take turns within every round. "
        "`plugrad/peer` is plugrad's time divided by the peer's, round by round (median, then "
        "min–max over rounds): above 1, plugrad is slower. See `README.md` for the method.",
        "",
        "## Machine",
        "",
    ]
    out += [f"- {k}: {v}" for k, v in info.items() if k != "date"]
    out += ["", "Frameworks:", ""]
    out += [f"- {k}: {v}" for k, v in versions.items()]
    if outcomes:
        header, rows = summary_rows(outcomes, peers)
        out += ["", "## Summary: plugrad time / peer time", "", md_table(header, rows)]
    for o in outcomes:
        out += ["", f"## {_workload_title(o)}", "", md_table(HEADER, workload_rows(o))]
    if peak is not None:
        out += [
            "",
            "## limit: numpy float32 GEMM rate",
            "",
            "Square products, then each workload's GEMM-only step (its forward and backward "
            "matrix products, convolutions as im2col products, at their own shapes, timed in "
            "the workload's rounds): what a step would cost if it did nothing but its FLOPs "
            "on this machine.",
            "",
            md_table(LIMIT_HEADER, limit_rows(peak, outcomes)),
        ]
    return "\n".join(out) + "\n"


# -- main ----------------------------------------------------------------------------------


def single_thread() -> None:
    """Limit numpy's BLAS, OpenMP, torch and XLA to one thread (before their first use)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    xla = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    if xla not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {xla}".strip()
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1)
    except ImportError:
        _say("note: threadpoolctl is not installed: numpy's BLAS keeps its threads")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _spin(core: int) -> None:
    """A CPU hog: one process pinned to ``core``, spinning until it is terminated."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    x = 0
    while True:
        x = (x + 1) % 1_000_003


def start_hog() -> tuple[Any, str]:
    """Start the ``--contended`` CPU hog on the last usable core; return it and a description."""
    import multiprocessing

    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    hog = multiprocessing.get_context("spawn").Process(target=_spin, args=(cores[-1],), daemon=True)
    hog.start()
    return hog, f"a CPU hog (one process spinning, pinned to core {cores[-1]}) ran throughout"


def _names(text: str, allowed: tuple[str, ...] | list[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few short samples (a smoke test)")
    parser.add_argument(
        "--workloads",
        default=",".join(problems.WORKLOADS),
        help="comma-separated: " + ",".join(problems.WORKLOADS),
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(frameworks.MODULES),
        help="comma-separated: " + ",".join(frameworks.MODULES),
    )
    parser.add_argument("--rounds", type=int, help="samples per framework (default 7; quick 3)")
    parser.add_argument("--target", type=float, help="seconds per sample (default 0.3; quick 0.05)")
    parser.add_argument(
        "--single-thread",
        action="store_true",
        help="one thread everywhere (numpy's BLAS, torch, XLA) instead of defaults",
    )
    parser.add_argument(
        "--contended",
        action="store_true",
        help="run a CPU hog on one core during the timings (a busy neighbour)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the markdown report (default benchmarks/RESULTS.md; "
        "none with --quick unless given)",
    )
    args = parser.parse_args(argv)

    workloads = _names(args.workloads, problems.WORKLOADS, "workloads")
    chosen = _names(args.frameworks, list(frameworks.MODULES), "frameworks")
    rounds = args.rounds or (3 if args.quick else 7)
    target = args.target or (0.05 if args.quick else 0.3)
    output = (
        args.output if args.output is not None else (None if args.quick else HERE / "RESULTS.md")
    )
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.single_thread:
        single_thread()

    modules: dict[str, Any] = {}
    missing: dict[str, str] = {}
    versions: dict[str, str] = {}
    for name in chosen:
        try:
            module = frameworks.load(name)
            reason = module.available()
        except Exception as exc:
            reason = f"cannot load: {type(exc).__name__}: {exc}"
        if reason is None:
            modules[name] = module
            versions[name] = module.version()
        else:
            missing[name] = reason
            versions[name] = f"skipped: {reason}"
            _say(f"note: {name} skipped: {reason}")
    peers = [n for n in chosen if n != REFERENCE]
    if args.single_thread:
        single_thread()  # again, for the libraries the frameworks just loaded
    info = machine.describe()

    with_floor = "limit" in workloads
    selected = [problems.BUILDERS[w]() for w in workloads if w in problems.BUILDERS]
    if not selected:  # limit alone: the GEMM-only steps of every workload, no framework
        selected, modules, missing = [b() for b in problems.BUILDERS.values()], {}, {}
    peak = None
    if with_floor:
        _say("limit: timing numpy's float32 GEMMs on square sizes")
        peak = limit.peak_rates(args.quick)

    hog = None
    if args.contended:
        hog, info["contended"] = start_hog()
    info["load at start"] = machine.load()
    outcomes = []
    try:
        for problem in selected:
            _say(f"{problem.name}: {problem.title}")
            outcomes.append(run_workload(problem, modules, missing, rounds, target, with_floor))
    finally:
        if hog is not None:
            hog.terminate()
            hog.join()
    info["load at end"] = machine.load()
    info["timing"] = f"{rounds} rounds, samples of about {target} s, frameworks interleaved"

    print(report_text(outcomes, peak, peers))
    print()
    for k, v in {**info, **versions}.items():
        print(f"{k}: {v}")
    if output is not None:
        settings = " ".join(sys.argv[1:] if argv is None else argv)
        output.write_text(report_markdown(outcomes, peak, peers, info, versions, settings))
        _say(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
