"""What this machine can do, estimated before a job allocates or starts: memory and work.

A job whose arrays cannot fit, or whose work cannot finish in reasonable time, is refused up front with one
line naming the limit (``ReluscopeError``), instead of swapping, being killed, or running for days. Callers
know their sizes and pass the estimate:

* ``check_memory(nbytes, what)`` — ``nbytes`` against the memory available now (``MemAvailable`` of
  ``/proc/meminfo``, else the physical memory from ``os.sysconf``), less a safety margin;
* ``check_work(units, limit, what, unit)`` — a count of units of work (floating-point operations, animation
  panels, …) against a limit the caller names;
* ``check_number(value, what)`` — a number given by the user against what every later step can carry: an
  integer fits int64 (``|n| ≤ 2⁶³ − 1``: torch's and NumPy's sizes and seeds), a float is 0 or a normal float32
  (``1.18e-38 ≤ |x| ≤ 3.40e38``: training runs in float32, where a larger value overflows and a smaller one
  rounds towards 0; the plots and the float64 geometry hold every such value).
"""

from __future__ import annotations

import math
import os

from reluscope.errors import ReluscopeError

MEMORY_SHARE = 0.8  # a job may plan for this share of the memory available when it starts
MAX_FLOPS = 1e14  # training work refused above this: 2 h at the 1.3e10 flop/s a 3×256 MLP reached on this CPU
MAX_GRID = 2048  # points per side of a pattern grid: a 2048² grid's (n², 32) float64 activations take 1 GiB
MAX_WARP_GRID = 1000  # grid points per side carried back and scattered: 10⁶ points per panel at most
MAX_COND = 1e8  # a W⁺ with a larger condition number amplifies float64 round-off past 1e-8
MAX_INT = 2**63 - 1  # int64
FLOAT32_MAX = 3.4028234663852886e38  # the largest float32
FLOAT32_TINY = 1.1754943508222875e-38  # the smallest normal float32


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


def check_number(value: int | float, what: str) -> int | float:
    """``value`` if it is an integer within int64, or a finite float that is 0 or a normal float32 in magnitude
    (see the module); ``ReluscopeError`` naming ``what`` otherwise."""
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ReluscopeError(f"{what} must be within ±(2^63 − 1), got a number of {value.bit_length()} bits")
        return value
    if not (value == 0 or FLOAT32_TINY <= abs(value) <= FLOAT32_MAX):  # NaN and ±inf fail too
        raise ReluscopeError(f"{what} must be 0 or between {FLOAT32_TINY:.3g} and {FLOAT32_MAX:.3g} in magnitude "
                             f"(float32, the precision the nets train in), got {value:g}")
    return value


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
