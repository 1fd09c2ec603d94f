"""A network seen on the plane through three data points: its exact cells, decision boundary and the data.

``data_plane(X, y, through)`` is the plane and the data seen on it: every data point's plane coordinates and
distance to the plane, with the points nearest to it marked. ``slice_through(model, X, y, through)`` builds on
it the whole slice as arrays, for any number of inputs n ≥ 2: the exact cells of every layer on the plane
(``linear_regions(model, plane=…)``), the decision boundary on it (``decision_segments``), the class the network
predicts at the centres of a pixel grid of the plane, and every data point's plane coordinates and distance to the
plane, with the points nearest to it marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.patterns import pixel_centres
from reluscope.geometry.plane import NEAR, Plane, auto_indices, check_indices, near_plane, plane_through
from reluscope.geometry.regions import LayerRegions, decision_segments, linear_regions


@dataclass
class DataPlane:
    """The plane through three data points and the data seen on it (coordinates ``(s, t)`` of ``plane``)."""

    plane: Plane
    indices: tuple[int, int, int]  # the data points at (0, 0), (1, 0), (0, 1)
    coords: np.ndarray  # (N, 2) every data point's least-squares plane coordinates
    distance: np.ndarray  # (N,) its distance to the plane in Rⁿ
    near: np.ndarray  # (N,) bool: the points drawn on the plane (the nearest ones)


@dataclass
class Slice(DataPlane):
    """The cells, the decision boundary and the data on one plane."""

    layers: list[LayerRegions]  # exact cells of every layer on the plane
    boundary: np.ndarray  # (S, 2, 2) the exact decision boundary's segments

    @property
    def counts(self) -> list[int]:
        """Cells after each layer on the plane."""
        return [len(layer) for layer in self.layers]


def data_plane(X: np.ndarray, y: np.ndarray, through: str | Sequence[int] = "auto", *, margin: float = 0.5,
               near: float = NEAR) -> DataPlane:
    """The plane through three points of ``X`` (N, n) with labels ``y`` (N,), and the data on it.

    ``through`` is three indices into ``X`` or ``"auto"`` (``plane.auto_indices``: typical points of three
    classes); ``margin`` widens the box of plane coordinates around them; the ``near`` fraction of the
    points, those nearest the plane, are marked to be drawn.
    """
    if isinstance(through, str) and through != "auto":
        raise ReluscopeError(f"through must be three data indices or 'auto', got {through!r}")
    indices = auto_indices(X, y) if isinstance(through, str) else check_indices(through, len(X))
    plane = plane_through(X, indices, margin=margin)
    coords, distance = plane.project(X)  # (N, 2), (N,)
    return DataPlane(plane, indices, coords, distance, near_plane(distance, near))


def slice_through(model: nn.Module, X: np.ndarray, y: np.ndarray, through: str | Sequence[int] = "auto", *,
                  margin: float = 0.5, near: float = NEAR) -> Slice:
    """The slice of ``model`` on ``data_plane(X, y, through, margin=margin, near=near)``: its exact cells and
    decision boundary on that plane."""
    seen = data_plane(X, y, through, margin=margin, near=near)
    layers = linear_regions(model, plane=seen.plane)
    return Slice(**vars(seen), layers=layers, boundary=decision_segments(layers[-1]))


@torch.no_grad()
def predicted_classes(model: nn.Module, plane: Plane, n: int = 200) -> np.ndarray:
    """The class the network predicts at the ``n × n`` pixel centres of the plane's box: (n, n) int, row i
    is t, column j is s (``imshow`` with ``origin="lower"``) — the decision regions' colours."""
    st = pixel_centres(plane.box, n)  # (n², 2)
    logits = plane.fold(model)(torch.from_numpy(st))  # (n², classes)
    return logits.argmax(dim=1).numpy().reshape(n, n)
