"""Atomic file writes: a recognisable temp file, fsync, rename; stale temp files removed.

A save writes ``.<name>.plugrad-tmp-<pid>-<random>`` next to the target, fsyncs it and
renames it over the target, so a crash leaves the old file intact. A process killed
mid-write leaves its temp file behind; the next save to the same target removes those
whose process is gone (or is a newer process that reused the pid).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from typing import BinaryIO

_TAG = ".plugrad-tmp-"


def temp_prefix(base: str) -> str:
    """The prefix of the temp files written for a target named ``base``.

    Example:
        >>> temp_prefix("model.safetensors")
        '.model.safetensors.plugrad-tmp-'
    """
    return f".{base}{_TAG}"


def write_payload(f: BinaryIO, data: bytes) -> None:
    """Write ``data`` in 16 MiB pieces (one huge write can fail on some file systems)."""
    view = memoryview(data)
    step = 1 << 24
    for i in range(0, len(view), step):
        f.write(view[i : i + step])


def _start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where the system says."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _is_stale(path: str, pid: int) -> bool:
    if sys.platform == "win32":
        return False  # os.kill would end the process there; leave the file alone
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False  # alive, another user's
    started = _start_time(pid)
    try:
        # a file older than the live process with that pid was left by an earlier one
        return started is not None and os.stat(path).st_mtime < started - 1
    except OSError:
        return False


def remove_stale(folder: str, base: str) -> list[str]:
    """Remove the temp files a killed save to ``folder/base`` left; return their names."""
    pattern = re.compile(re.escape(temp_prefix(base)) + r"(\d+)-[0-9a-f]+")
    removed = []
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            m = pattern.fullmatch(name)
            path = os.path.join(folder, name)
            if m and _is_stale(path, int(m.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(path)
                    removed.append(name)
    return removed


def _new_temp(folder: str, base: str) -> tuple[int, str]:
    # mode 0o666 lets the kernel apply the umask, as for any new file: the process-wide
    # umask is never read or changed (that would race with other threads)
    while True:
        tmp = os.path.join(folder, f"{temp_prefix(base)}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, keeping an existing file's permissions.

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "notes.bin")
        >>> atomic_write(target, b"hello")
        >>> open(target, "rb").read(), os.listdir(os.path.dirname(target))
        (b'hello', ['notes.bin'])
    """
    target = os.path.abspath(os.fspath(path))
    folder, base = os.path.split(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder {folder!r} does not exist")
    remove_stale(folder, base)
    fd, tmp = _new_temp(folder, base)
    try:
        with os.fdopen(fd, "wb") as f:
            write_payload(f, data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # make the rename itself durable; not every platform can open a folder
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
