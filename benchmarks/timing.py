"""The benchmarks' shared timer (a module beside the scripts: ``from timing import best_of``)."""

from __future__ import annotations

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
