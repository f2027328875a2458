"""Atomic saves: recognisable temp files, stale ones removed, modes without the umask."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import plugrad_data._atomic as atomic
from plugrad_data import load, save

TEMP = re.compile(r"\.ckpt\.safetensors\.plugrad-tmp-(\d+)-[0-9a-f]+")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ckpt.safetensors"


def test_temp_files_are_named_after_the_target_and_the_process(path, monkeypatch):
    seen = []

    def spy(f, data):
        seen.extend(os.listdir(path.parent))
        f.write(data)

    monkeypatch.setattr(atomic, "write_payload", spy)
    save(path, w=np.arange(3.0))
    (name,) = seen
    m = TEMP.fullmatch(name)
    assert m and int(m.group(1)) == os.getpid()
    assert os.listdir(path.parent) == [path.name]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(
    not os.path.exists("/proc/self/stat"), reason="process start times are read from /proc"
)
def test_the_next_save_removes_stale_temp_files(path):
    folder = path.parent
    hour_ago = time.time() - 3600
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        files = {
            # stale: its process is gone
            "dead": f".ckpt.safetensors.plugrad-tmp-{_dead_pid()}-0a1b",
            # stale: older than this process, so left by an earlier one with the same pid
            "old own": f".ckpt.safetensors.plugrad-tmp-{os.getpid()}-2c3d",
            # stale: older than the live process that now has that pid
            "reused pid": f".ckpt.safetensors.plugrad-tmp-{live.pid}-4e5f",
            # kept: a save in progress in a live process, or for another target
            "in progress": f".ckpt.safetensors.plugrad-tmp-{live.pid}-6a7b",
            "mine now": f".ckpt.safetensors.plugrad-tmp-{os.getpid()}-8c9d",
            "other target": f".other.safetensors.plugrad-tmp-{_dead_pid()}-0e1f",
            "not ours": ".ckpt.safetensors.tmp",
        }
        for key, name in files.items():
            (folder / name).write_bytes(b"partial")
            if key in ("old own", "reused pid"):
                os.utime(folder / name, (hour_ago, hour_ago))
        save(path, v=1)
    finally:
        live.kill()
        live.wait()
    left = set(os.listdir(folder))
    assert left == {path.name} | {
        files[k] for k in ("in progress", "mine now", "other target", "not ours")
    }
    assert load(path, "v") == 1


def test_a_save_killed_mid_write_leaves_a_temp_file_the_next_save_removes(path):
    # the child writes half of a 64 MB file, says so and waits to be killed with SIGKILL
    script = textwrap.dedent(f"""
        import time, numpy as np
        import plugrad_data._atomic as atomic
        from plugrad_data import save

        def half_then_wait(f, data):
            f.write(data[: len(data) // 2])
            f.flush()
            print("writing", flush=True)
            time.sleep(120)

        atomic.write_payload = half_then_wait
        save({str(path)!r}, w=np.ones(8_000_000))
    """)
    save(path, w=np.arange(3.0))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    (leftover,) = [n for n in os.listdir(path.parent) if n != path.name]
    assert TEMP.fullmatch(leftover).group(1) == str(child.pid)
    assert os.path.getsize(path.parent / leftover) >= 32_000_000
    assert load(path, "w").tolist() == [0.0, 1.0, 2.0]  # the old file is intact
    save(path, w=np.arange(4.0))
    assert os.listdir(path.parent) == [path.name]
    assert load(path, "w").tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o640
    os.umask(old)


def test_save_never_touches_the_process_umask(path, monkeypatch, umask_027):
    def refuse(mask):
        raise AssertionError("save changed the process-wide umask")

    with monkeypatch.context() as m:
        m.setattr(os, "umask", refuse)
        save(path, v=1)
    assert os.stat(path).st_mode & 0o777 == umask_027


def test_concurrent_saves_in_threads_give_the_right_files_and_modes(tmp_path, umask_027):
    existing = [tmp_path / f"kept{i}.safetensors" for i in range(4)]
    for i, p in enumerate(existing):
        save(p, i=-1)
        os.chmod(p, 0o604 if i % 2 else 0o600)
    errors = []

    def work(t):
        try:
            for k in range(5):
                save(tmp_path / f"new{t}_{k}.safetensors", t=t, k=k, w=np.full(1000, t * 10 + k))
                save(existing[t % 4], i=t)
                # a file another thread creates meanwhile gets the umask's mode too
                plain = tmp_path / f"plain{t}_{k}"
                plain.write_bytes(b"x")
                assert os.stat(plain).st_mode & 0o777 == umask_027
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for t in range(8):
        for k in range(5):
            p = tmp_path / f"new{t}_{k}.safetensors"
            assert os.stat(p).st_mode & 0o777 == umask_027
            got = load(p)
            assert (got["t"], got["k"]) == (t, k) and (got["w"] == t * 10 + k).all()
    for i, p in enumerate(existing):
        assert os.stat(p).st_mode & 0o777 == (0o604 if i % 2 else 0o600)
        assert load(p, "i") in range(i, 8, 4)
    assert not [n for n in os.listdir(tmp_path) if "plugrad-tmp" in n]
