"""Running one benchmarked command in a fresh process and reading what it cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def run_child(code: str, *args: object) -> dict:
    """``python -c code args...`` in a fresh process: the JSON it prints (with its own ``seconds``),
    plus its wall time, CPU time (user + system: the work, whatever the machine's load) and peak
    resident memory (``ru_maxrss``, read with ``os.wait4``)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the command failed"
    result = json.loads(out)
    result["wall"] = time.perf_counter() - start
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result
