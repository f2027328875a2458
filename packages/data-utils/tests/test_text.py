"""shakespeare(): path, PLUGRAD_DATA, cache, download (local server) with checksum; vocab."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import numpy as np
import pytest

import plugrad_data as D

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data")


@pytest.fixture
def corpus_folder():
    folder = os.environ.get("PLUGRAD_DATA") or SHARED
    path = os.path.join(folder, D._text.SHAKESPEARE_FILE)
    if not os.path.isfile(path):
        if os.environ.get("PLUGRAD_DATA"):  # set (as nox does) but wrong: a failure
            pytest.fail(f"PLUGRAD_DATA is set but {path} does not exist")
        pytest.skip("tinyshakespeare.txt is not available: set PLUGRAD_DATA to its folder")
    return folder


@pytest.fixture
def empty_env(monkeypatch, tmp_path):
    """No PLUGRAD_DATA, and a fresh cache folder."""
    monkeypatch.delenv("PLUGRAD_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving files from tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_reads_plugrad_data_and_has_the_known_size(corpus_folder, monkeypatch):
    monkeypatch.setenv("PLUGRAD_DATA", corpus_folder)
    text = D.shakespeare()
    assert len(text) == 1115394 and len(set(text)) == 65
    assert text.startswith("First Citizen:")
    path_text = D.shakespeare(os.path.join(corpus_folder, "tinyshakespeare.txt"))
    assert path_text == text


def test_download_checks_the_md5_and_writes_the_cache_atomically(corpus_folder, empty_env, server):
    www, base = server
    shutil.copy(os.path.join(corpus_folder, "tinyshakespeare.txt"), www / "input.txt")
    text = D.shakespeare(url=base + "/input.txt")
    cached = os.path.join(D.cache_folder(), "tinyshakespeare.txt")
    assert os.path.isfile(cached) and len(text) == 1115394
    assert [n for n in os.listdir(D.cache_folder()) if n.endswith(".part")] == []
    (www / "input.txt").unlink()  # the cache serves the second call
    assert D.shakespeare(url=base + "/input.txt") == text


def test_a_corrupted_download_is_refused_and_nothing_is_written(corpus_folder, empty_env, server):
    www, base = server
    with open(os.path.join(corpus_folder, "tinyshakespeare.txt"), "rb") as f:
        data = bytearray(f.read())
    data[1000] ^= 1
    (www / "input.txt").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"has md5 [0-9a-f]{32}, expected 6fb458f1"):
        D.shakespeare(url=base + "/input.txt")
    folder = D.cache_folder()
    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_offline_error_names_the_file_and_where_to_put_it(empty_env, server):
    _, base = server
    with pytest.raises(FileNotFoundError, match=r"tinyshakespeare.txt was not found.*Put the"):
        D.shakespeare(url=base + "/missing.txt")
    with pytest.raises(FileNotFoundError, match=r"'/nonexistent.txt' is not a file"):
        D.shakespeare("/nonexistent.txt")


def test_char_vocab_round_trip_split_and_errors(corpus_folder, monkeypatch):
    monkeypatch.setenv("PLUGRAD_DATA", corpus_folder)
    text = D.shakespeare()
    vocab = D.CharVocab(text)
    assert len(vocab) == 65 and vocab.chars[:3] == "\n !"
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and vocab.decode(ids[:500]) == text[:500]
    train, val = D.train_val_split(ids)
    assert len(train) == 1003854 and len(val) == 111540
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)
    with pytest.raises(ValueError, match="character '~' is not in the vocabulary"):
        vocab.encode("~")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 65\)"):
        vocab.decode([70])
    with pytest.raises(ValueError, match=r"train_fraction must be in \(0, 1\)"):
        D.train_val_split(ids, 1.0)
