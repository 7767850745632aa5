"""The progress callback every long library call accepts; only the command line draws bars.

A callback is called as ``progress(done, total)``: how much work is done, in the call's own unit
(rows, bytes, thousandths), and the total when it is known (None otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, "int | None"], None]
