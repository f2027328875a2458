"""``python -m plugrad_distributed -n N train.py ...``: mpiexec, plus which rank died.

When a process is killed outright (``kill -9``, the kernel's out-of-memory killer), MPICH's
``mpiexec`` ends the others and reports the dead process's id and signal, not its rank.
This launcher runs the environment's ``mpiexec`` with the same arguments, lets every rank
record its process id at :func:`init` in a folder of its own, forwards the output as it
comes, and when the run fails turns the process id into the rank:
``plugrad_distributed: rank 1 (pid 4242 on node1) was killed by signal 9``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

#: The folder where ranks record ``rank.<r>`` = ``"<pid> <host>"`` (set by the launcher).
RUN_DIR_ENV = "PLUGRAD_DISTRIBUTED_RUN_DIR"

_BAD = re.compile(r"PID (\d+) RUNNING AT (\S+)\s*\n\s*=\s*EXIT CODE: (\d+)")


def record_rank(rank: int) -> None:
    """Write this process's id and host where the launcher asked (no-op otherwise)."""
    folder = os.environ.get(RUN_DIR_ENV)
    if folder and os.path.isdir(folder):
        Path(folder, f"rank.{rank}").write_text(f"{os.getpid()} {socket.gethostname()}")


def mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the mpich wheel's), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        raise SystemExit(
            "plugrad_distributed: no mpiexec found; pip install mpich (plugrad-distributed "
            "depends on it) or put your MPI's mpiexec on PATH"
        )
    return found


def _forward(stream: IO[str], sink: IO[str], seen: list[str]) -> None:
    for line in stream:
        seen.append(line)
        sink.write(line)
        sink.flush()


def explain(output: str, folder: Path) -> list[str]:
    """Lines naming the rank of every process that ``mpiexec`` reported dead in ``output``."""
    ranks = {}
    for path in folder.glob("rank.*"):
        pid, host = path.read_text().split()
        ranks[(pid, host)] = int(path.name.split(".")[1])
    lines = []
    for pid, host, code in _BAD.findall(output):
        by_pid = [r for (p, _), r in ranks.items() if p == pid]
        rank = ranks.get((pid, host), by_pid[0] if len(by_pid) == 1 else None)
        if rank is None:
            continue
        why = f"exited with status {code}"
        if int(code) in signal.valid_signals():
            why = f"was killed by signal {code} ({signal.Signals(int(code)).name})"
        lines.append(
            f"plugrad_distributed: rank {rank} (pid {pid} on {host}) {why}; mpiexec stopped "
            f"the other processes"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run ``mpiexec`` with ``argv`` (``-n N`` and the command, with ``python`` optional)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m plugrad_distributed [mpiexec options] script.py [args...]")
        return 0 if args else 2
    args = [sys.executable if a == "python" else a for a in args]
    if not any(a == sys.executable for a in args):
        script = next((i for i, a in enumerate(args) if a.endswith(".py")), None)
        if script is not None:
            args.insert(script, sys.executable)
    with tempfile.TemporaryDirectory(prefix="plugrad-run-") as folder:
        env = dict(os.environ, **{RUN_DIR_ENV: folder})
        child = subprocess.Popen(
            [mpiexec(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        seen: list[str] = []
        pumps = [
            threading.Thread(target=_forward, args=(child.stdout, sys.stdout, seen)),
            threading.Thread(target=_forward, args=(child.stderr, sys.stderr, seen)),
        ]
        for t in pumps:
            t.start()
        code = child.wait()
        for t in pumps:
            t.join()
        if code != 0:
            for line in explain("".join(seen), Path(folder)):
                sys.stderr.write(line + "\n")
    return code
