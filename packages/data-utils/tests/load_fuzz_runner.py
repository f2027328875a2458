"""Load every file of a folder, one after the other, and report how each load ended.

Run as ``python load_fuzz_runner.py FOLDER``: prints one JSON line per file with the
outcome (``value``, ``FileFormatError`` or another exception's name and message), the
seconds the load took and its tracemalloc peak, then one line with the process's peak
resident memory growth. The line ``start NAME`` comes before each load, so that a load
that never ends is named by the last line printed.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import datautils_helpers  # noqa: F401 (registers the classes the corpus names)

from plugrad_data import FileFormatError, load


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(folder: str) -> None:
    names = sorted(os.listdir(folder))
    load(os.path.join(folder, names[0]))  # warm up: imports, first allocations
    rss_before = _rss_kib()
    tracemalloc.start()
    for name in names:
        print("start", name, flush=True)
        tracemalloc.reset_peak()
        t0 = time.perf_counter()
        try:
            value = load(os.path.join(folder, name))
            outcome = "value"
            del value
        except FileFormatError:
            outcome = "FileFormatError"
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # what the test is looking for
            outcome = f"{type(e).__module__}.{type(e).__qualname__}: {str(e)[:300]}"
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        gc.collect()
        record = {"name": name, "outcome": outcome, "seconds": seconds, "peak": peak}
        print(json.dumps(record), flush=True)
    tracemalloc.stop()
    print(json.dumps({"rss_growth_kib": _rss_kib() - rss_before}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
