"""Figures of a slice: the decision regions on the plane through three data points, with the data near it.

The plane's coordinates are ``(s, t)`` with the three points at (0, 0), (1, 0), (0, 1) (``geometry.plane``);
a data point is drawn where it projects, and only the points nearest the plane are drawn (``Slice.near``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from reluscope.geometry.slices import Slice
from reluscope.plots.style import axes, class_cmap

ANCHORS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # where the three points sit on the plane


def plot_slice_data(ax: Axes, s: Slice, y: np.ndarray, n_classes: int) -> None:
    """The points near the plane at their projections (coloured by class), the three spanning points as
    stars labelled with their data index and class."""
    cmap = dict(cmap=class_cmap(n_classes), vmin=-0.5, vmax=n_classes - 0.5)
    near = s.near & ~np.isin(np.arange(len(y)), s.indices)
    ax.scatter(*s.coords[near].T, c=y[near], s=10, edgecolors="k", linewidths=0.3, **cmap)
    ax.scatter(*ANCHORS.T, c=y[list(s.indices)], s=140, marker="*", edgecolors="k", linewidths=0.8, **cmap)
    for (u, v), i in zip(ANCHORS, s.indices):
        ax.annotate(f"#{i} ({y[i]})", (u, v), xytext=(4, 4), textcoords="offset points", fontsize=8)


def plot_slice(s: Slice, classes: np.ndarray, y: np.ndarray, *, ax: Axes | None = None, n_classes: int | None = None,
               title: str | None = None) -> Axes:
    """The decision regions on the plane: ``classes`` (n, n) (``slices.predicted_classes``) as a pale image,
    the exact decision boundary on top, and the data near the plane. Returns the Axes."""
    ax = axes(ax)
    n_classes = n_classes or int(max(classes.max(), y.max())) + 1
    s0, s1, t0, t1 = s.plane.box
    ax.imshow(classes, origin="lower", extent=(s0, s1, t0, t1), cmap=class_cmap(n_classes), vmin=-0.5,
              vmax=n_classes - 0.5, alpha=0.35, interpolation="nearest")
    if len(s.boundary):
        ax.add_collection(LineCollection(s.boundary, colors="k", linewidths=1.2))
    plot_slice_data(ax, s, y, n_classes)
    ax.set(xlim=(s0, s1), ylim=(t0, t1), aspect="equal", xlabel="s", ylabel="t")
    ax.set_title(title if title is not None else f"decision regions on the plane through "
                 f"{', '.join(f'#{i}' for i in s.indices)}", fontsize=9)
    return ax
