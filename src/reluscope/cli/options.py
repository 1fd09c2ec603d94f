"""Option parsing shared by the commands: numbers every later step can carry (``INT``, ``FLOAT``), lists of
values, and which options were given."""

from __future__ import annotations

import inspect
import math

import click

from reluscope.errors import ReluscopeError
from reluscope.limits import check_number

DATASET_HELP = ("moons, circles, spirals, xor, gaussians, checkerboard, digits (8×8 images, 64 inputs), or a CSV "
                "path: a header line x1,…,xd,label, then one point a line.")  # what --dataset takes (train, study)
MAX_VALUES = 10_000  # values on one axis of a grid: more than any grid that can be trained
VALUES_FORMAT = "'a,b,c' or 'start:stop:count'"  # how parse_values reads a grid's axis


def noise_help() -> str:
    """What --noise means, with each generated data set's default (the generators' own keyword defaults)."""
    from reluscope.data import DATASETS

    defaults = ", ".join(f"{name} {inspect.signature(make).parameters['noise'].default:g}"
                         for name, make in DATASETS.items())
    return ("Std of the Gaussian noise added to the points, ≥ 0, in the generator's units before standardising "
            f"(default: the data set's own: {defaults}).")


class Checked(click.ParamType):
    """click's ``INT`` or ``FLOAT``, then ``limits.check_number``: a number that passes is one the training, the
    geometry and the plots can all carry (no 10**40, no 1e308); with ``unlimited``, the word ``inf`` too (a limit
    that is none; a number too large for a float is still refused)."""

    def __init__(self, base: click.ParamType, *, unlimited: bool = False):
        self.base, self.name, self.unlimited = base, base.name, unlimited

    def convert(self, value, param, ctx):
        if self.unlimited and str(value).strip().lower() in ("inf", "+inf", "infinity", "+infinity"):
            return math.inf
        number = self.base.convert(value, param, ctx)
        try:
            return check_number(number, "the value")
        except ReluscopeError as e:
            self.fail(str(e), param, ctx)


INT, FLOAT = Checked(click.INT), Checked(click.FLOAT)
LIMIT = Checked(click.FLOAT, unlimited=True)  # a float limit, or inf for none


def parse_values(text: str, kind: type, name: str) -> list:
    """``"1,2,5"`` → [1, 2, 5]; ``"0.5:4:8"`` → 8 values from 0.5 to 4 (``np.linspace``); at most
    ``MAX_VALUES`` of them."""
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            ends, num = [float(start), float(stop)], int(num)
        else:
            values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ReluscopeError(f"--{name}: expected 'a,b,c' or 'start:stop:count', got {text!r}") from None
    if ":" in text:
        if not 1 <= num <= MAX_VALUES:
            raise ReluscopeError(f"--{name}: the count must be 1 … {MAX_VALUES}, got {num}")
        import numpy as np  # here, not at the top: --help and a refused option start without NumPy

        values = np.linspace(*ends, num).tolist() if np.isfinite(ends).all() else ends  # the caller refuses ±inf
    if len(values) > MAX_VALUES:
        raise ReluscopeError(f"--{name}: {len(values)} values, more than the limit of {MAX_VALUES}")
    if kind is int:
        if not all(float(v).is_integer() for v in values):  # NaN and ±inf are not whole numbers either
            raise ReluscopeError(f"--{name}: expected whole numbers, got {text!r}")
        values = [int(v) for v in values]
    if not values:
        raise ReluscopeError(f"--{name}: no values in {text!r}")
    for v in values:
        if isinstance(v, int) or math.isfinite(v):  # NaN and ±inf: the caller's own check names them
            check_number(v, f"--{name}")
    return [round(v, 10) if kind is float else v for v in values]


def given(options: dict) -> dict:
    """The options given on the command line (those left out are None and keep the config's value)."""
    return {k: v for k, v in options.items() if v is not None}
