"""Decision regions of a classifier over the data, after sklearn's ``DecisionBoundaryDisplay``: compute, then draw."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from torch import nn

from reluscope.geometry.box import data_box
from reluscope.model import linear_layers, predict
from reluscope.plots.style import axes, class_cmap


def grid_over(X: np.ndarray, n: int = 300, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An ``n × n`` grid over ``data_box(X, margin)`` (corners included): ``xx, yy`` (n, n) and points (n², 2)."""
    x0, x1, y0, y1 = data_box(X, margin)
    xx, yy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


@dataclass
class DecisionBoundaryDisplay:
    """The decision regions of a classifier over its data, computed (``from_model``) and drawn (``plot``).

    ``from_model`` evaluates the model's argmax on a ``grid × grid`` lattice over the data (``grid_over``);
    ``plot`` only draws the arrays, class ``k`` in the same colour in the regions and the points.
    """

    xx: np.ndarray  # (g, g) x₁ of the lattice
    yy: np.ndarray  # (g, g) x₂ of the lattice
    predicted: np.ndarray  # (g, g) the class the model predicts at each lattice point
    X: np.ndarray  # (n, 2) the data
    y: np.ndarray  # (n,) its classes
    n_classes: int  # colours: the model's outputs or the data's classes, whichever are more

    @classmethod
    def from_model(cls, model: nn.Module, X: np.ndarray, y: np.ndarray, *, grid: int = 300) -> DecisionBoundaryDisplay:
        xx, yy, pts = grid_over(X, grid)
        predicted = predict(model, pts).numpy().reshape(xx.shape)  # (grid, grid)
        n_classes = max(int(y.max()) + 1, linear_layers(model)[-1].linear.out_features)
        return cls(xx, yy, predicted, X, y, n_classes)

    def plot(self, *, ax: Axes | None = None, title: str | None = None) -> Axes:
        """Filled regions, their borders and the points coloured by class. Returns the Axes."""
        ax = axes(ax)
        cmap = class_cmap(self.n_classes)
        ax.contourf(self.xx, self.yy, self.predicted, levels=np.arange(self.n_classes + 1) - 0.5, cmap=cmap,
                    alpha=0.3)
        ax.contour(self.xx, self.yy, self.predicted, levels=np.arange(self.n_classes) + 0.5, colors="k",
                   linewidths=0.8)
        ax.scatter(self.X[:, 0], self.X[:, 1], c=self.y, cmap=cmap, vmin=-0.5, vmax=self.n_classes - 0.5, s=8,
                   edgecolors="none")
        ax.set(xlabel="$x_1$ (standardised)", ylabel="$x_2$ (standardised)", aspect="equal")
        if title:
            ax.set_title(title)
        return ax


def plot_decision_boundary(model: nn.Module, X: np.ndarray, y: np.ndarray, *, ax: Axes | None = None, grid: int = 300,
                           title: str | None = None) -> Axes:
    """Compute and draw in one call: ``DecisionBoundaryDisplay.from_model(…).plot(ax=ax, title=title)``."""
    return DecisionBoundaryDisplay.from_model(model, X, y, grid=grid).plot(ax=ax, title=title)
