"""Shared look of every reluscope figure: class and series colours, markers, and the figure/axes helper.

Colours are safe for the common colour-vision deficiencies (deuteranopia, protanopia, tritanopia):

* ``CLASS_COLORS``: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), class ``k`` is
  ``CLASS_COLORS[k]`` in every figure of the library and in the playground (``serve/static/draw.js``). The
  first two, blue and orange, also differ in lightness, so two classes stay apart in greyscale. Classes 8
  and 9 (the digits) take grey and Tol's wine.
* ``SERIES_COLORS`` with ``MARKERS``: Paul Tol's "muted" scheme for the lines of a comparison (init schemes,
  depths); ``series_style(i)`` pairs the ``i``-th colour with the ``i``-th marker, so a line is told apart
  by its marker on paper in greyscale too.
* ``HIGHLIGHT_COLORS``: the two carried-back grid lines the back-projection draws thick (reddish purple and
  black), not among the first classes' colours.

Sequential data (one line per layer, heat maps) uses viridis, which is colour-blind safe and monotone in
lightness. The library leaves matplotlib's backend alone (a notebook keeps its own); the command line, which
only writes files, selects Agg before anything is drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

# Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Paul Tol's muted: rose, indigo, teal, green, wine, olive, purple, then the light sand and cyan (faint as thin
# lines on white)
SERIES_COLORS = ["#CC6677", "#332288", "#44AA99", "#117733", "#882255", "#999933", "#AA4499", "#DDCC77",
                 "#88CCEE"]
MORE_CLASS_COLORS = ["#999999", "#882255"]  # classes 8 and 9: grey, Tol's wine
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">"]
HIGHLIGHT_COLORS = ("#CC79A7", "#000000")  # the middle grid line of constant x₂, of constant x₁


def class_cmap(n_classes: int) -> ListedColormap:
    """Class ``k`` in colour ``k`` (up to 10 distinct colours; more classes repeat them)."""
    return ListedColormap((CLASS_COLORS + MORE_CLASS_COLORS)[: max(n_classes, 2)])


def series_style(i: int) -> dict:
    """Colour and marker of the ``i``-th line of a comparison (they repeat after ``len(SERIES_COLORS)``)."""
    return dict(color=SERIES_COLORS[i % len(SERIES_COLORS)], marker=MARKERS[i % len(MARKERS)])


def axes(ax: Axes | None = None, *, figsize=(5, 5)) -> Axes:
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def save(fig, path) -> None:
    """Write ``fig`` to ``path`` (PNG at 110 dpi unless the suffix says otherwise) and close it."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
