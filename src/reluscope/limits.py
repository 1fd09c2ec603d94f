"""What this machine can do, estimated before a job allocates or starts: memory and work.

A job whose arrays cannot fit, or whose work cannot finish in reasonable time, is refused up front with one
line naming the limit (``ReluscopeError``), instead of swapping, being killed, or running for days. Callers
know their sizes and pass the estimate:

* ``check_memory(nbytes, what)`` — ``nbytes`` against the memory available now (``MemAvailable`` of
  ``/proc/meminfo``, else the physical memory from ``os.sysconf``), less a safety margin;
* ``check_work(units, limit, what, unit)`` — a count of units of work (floating-point operations, animation
  panels, …) against a limit the caller names.
"""

from __future__ import annotations

import math
import os

from reluscope.errors import ReluscopeError

MEMORY_SHARE = 0.8  # a job may plan for this share of the memory available when it starts
MAX_FLOPS = 1e14  # training work refused above this: 2 h at the 1.3e10 flop/s a 3×256 MLP reached on this CPU
MAX_GRID = 2048  # points per side of a pattern grid: a 2048² grid's (n², 32) float64 activations take 1 GiB
MAX_WARP_GRID = 1000  # grid points per side carried back and scattered: 10⁶ points per panel at most


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (``MemAvailable``), or the physical memory."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1  # unknown: no memory refusal


def check_memory(nbytes: float, what: str) -> None:
    """Raise ``ReluscopeError`` if ``nbytes`` (an estimate) exceed ``MEMORY_SHARE`` of the available memory."""
    limit = MEMORY_SHARE * available_memory()
    if not nbytes <= limit:  # NaN too
        raise ReluscopeError(f"{what} would need an estimated {_bytes(nbytes)}, more than the {_bytes(limit)} "
                             f"({MEMORY_SHARE:.0%} of the available memory) this machine can give")


def check_work(units: float, limit: float, what: str, unit: str = "floating-point operations") -> None:
    """Raise ``ReluscopeError`` if ``units`` of work (an estimate) exceed ``limit``."""
    if not units <= limit:
        raise ReluscopeError(f"{what} would take an estimated {_count(units)} {unit}, more than the limit of "
                             f"{_count(limit)}")


def _bytes(n: float) -> str:
    n = _float(n)
    if not math.isfinite(n):
        return "over 1e308 bytes"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} bytes"


def _count(n: float) -> str:
    n = _float(n)
    return f"{n:.3g}" if n >= 1e7 or not math.isfinite(n) else f"{n:.0f}"


def _float(n) -> float:
    """``n`` as a float; an integer beyond float's range is infinite, NaN stays NaN."""
    try:
        return float(n)
    except OverflowError:
        return math.inf
