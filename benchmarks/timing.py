"""The benchmarks' shared timer and load reading (a module beside the scripts: ``from timing import best_of``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3, *, warm_up: bool = False) -> tuple[float, object]:
    """Fastest wall time in seconds of ``repeat`` calls of ``fn`` and the last call's result; with ``warm_up``,
    after one untimed call (imports, compilation, caches)."""
    if warm_up:
        fn()
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def load() -> str:
    """The 1-, 5- and 15-minute load averages: how idle the cores were that the numbers were measured on."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())
