"""Option parsing shared by the study commands: lists of values, and which options were given."""

from __future__ import annotations

import numpy as np

from reluscope.errors import ReluscopeError


def parse_values(text: str, kind: type, name: str) -> list:
    """``"1,2,5"`` → [1, 2, 5]; ``"0.5:4:8"`` → 8 values from 0.5 to 4 (``np.linspace``)."""
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            values = np.linspace(float(start), float(stop), int(num)).tolist()
        else:
            values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ReluscopeError(f"--{name}: expected 'a,b,c' or 'start:stop:count', got {text!r}") from None
    if kind is int:
        if not all(float(v).is_integer() for v in values):  # NaN and ±inf are not whole numbers either
            raise ReluscopeError(f"--{name}: expected whole numbers, got {text!r}")
        values = [int(v) for v in values]
    if not values:
        raise ReluscopeError(f"--{name}: no values in {text!r}")
    return [round(v, 10) if kind is float else v for v in values]


def given(options: dict) -> dict:
    """The options given on the command line (those left out are None and keep the config's value)."""
    return {k: v for k, v in options.items() if v is not None}
