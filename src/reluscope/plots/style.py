"""Shared look of every reluscope figure: class colours and the figure/axes helper.

The library leaves matplotlib's backend alone (a notebook keeps its own); the command line, which only writes
files, selects Agg before anything is drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def class_cmap(n_classes: int) -> ListedColormap:
    return ListedColormap(CLASS_COLORS[: max(n_classes, 2)])


def axes(ax=None, *, figsize=(5, 5)):
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def save(fig, path) -> None:
    """Write ``fig`` to ``path`` (PNG at 110 dpi unless the suffix says otherwise) and close it."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
