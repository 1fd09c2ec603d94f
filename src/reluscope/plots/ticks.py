"""Tick labels with a language's decimal sign: 0,5 on a German axis where matplotlib writes 0.5.

matplotlib's own locale support (``axes.formatter.use_locale``) reads the process-wide C locale, which a
library should not switch and a machine need not have installed. ``DecimalSignFormatter`` instead wraps the
formatter an axis already has (after its scale is set: ``set_yscale`` replaces it) and writes its labels with
the given sign; the caller takes the sign from a locale library (``reluscope.report.numbers.decimal_sign``).
``with_decimal_sign`` wraps every axis of a figure, colour bars included.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

POINT = re.compile(r"(?<=\d)\.(?=\d)")  # a decimal point between two digits


class DecimalSignFormatter(Formatter):
    """The labels of ``inner`` with ``sign`` for the decimal point."""

    def __init__(self, inner: Formatter, sign: str):
        self.inner, self.sign = inner, sign

    def _signed(self, label: str) -> str:
        return POINT.sub(self.sign, label)

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        return self._signed(self.inner(x, pos))

    def format_ticks(self, values) -> list[str]:
        return [self._signed(label) for label in self.inner.format_ticks(values)]

    def get_offset(self) -> str:
        return self._signed(self.inner.get_offset())

    def format_data(self, value) -> str:
        return self._signed(self.inner.format_data(value))

    def format_data_short(self, value) -> str:
        return self._signed(self.inner.format_data_short(value))


def with_decimal_sign(fig: Figure, sign: str) -> Figure:
    """``fig`` with ``sign`` for the decimal point in every tick label of every Axes (a colour bar's too)."""
    if sign == ".":
        return fig
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                             (axis.get_minor_formatter, axis.set_minor_formatter)):
                if not isinstance(get(), DecimalSignFormatter):
                    put(DecimalSignFormatter(get(), sign))
    return fig
