"""Decision regions of a classifier over the data, in the spirit of sklearn's DecisionBoundaryDisplay."""

from __future__ import annotations

import numpy as np
from torch import nn

from reluscope.model import linear_layers, predict
from reluscope.plots.style import axes, class_cmap


def grid_over(X: np.ndarray, n: int = 300, margin: float = 0.5):
    """An ``n × n`` grid over the box of ``X`` widened by ``margin``: ``xx, yy`` (n, n) and points (n², 2)."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(model: nn.Module, X: np.ndarray, y: np.ndarray, *, ax=None, grid: int = 300,
                           title: str | None = None):
    """Filled decision regions of ``model`` over ``X`` (n, 2) with the points coloured by ``y``.

    The regions are ``model``'s argmax on a ``grid × grid`` lattice over ``X`` (``grid_over``); class ``k``
    has the same colour in the regions and the points. Returns the Axes.
    """
    ax = axes(ax)
    xx, yy, pts = grid_over(X, grid)
    pred = predict(model, pts).numpy().reshape(xx.shape)  # (grid, grid)
    n_classes = max(int(y.max()) + 1, linear_layers(model)[-1].linear.out_features)
    cmap = class_cmap(n_classes)
    ax.contourf(xx, yy, pred, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
    ax.contour(xx, yy, pred, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, s=8, edgecolors="none")
    ax.set(xlabel="$x_1$ (standardised)", ylabel="$x_2$ (standardised)", aspect="equal")
    if title:
        ax.set_title(title)
    return ax
