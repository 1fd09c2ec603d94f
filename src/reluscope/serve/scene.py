"""What stays fixed during one live run: its data, the box the views cover, the grids, the mean-field theory.

The mean-field panel needs σ_w², σ_b² of ``W_ij ~ N(0, σ_w²/fan_in)``, ``b_i ~ N(0, σ_b²)``. For the
``meanfield`` scheme they are the sliders'; for every other scheme the effective ``σ_w² = fan_in·E[W²]``
averaged over the layers of the freshly initialised model (He: 2, LeCun: 1, N(0, 1): the width), ``σ_b² = 0``.

Inputs of n > 2 dimensions (the digits, an n-column CSV) are seen on a slice: the plane
``x(s, t) = p0 + s·(p1 − p0) + t·(p2 − p0)`` through three data points (``geometry.plane``), chosen by
``settings.through``. The plane views then live in plane coordinates ``(s, t)``: the box is the plane's,
the model is folded onto it (``Plane.fold``: its first layer becomes a 2-input one, so the 2-D cells and
boundary code applies unchanged), and every data point is sent at its least-squares plane coordinates with
the ``NEAR`` share nearest the plane marked to be drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reluscope.data import Dataset
from reluscope.errors import ReluscopeError
from reluscope.geometry.box import Box, data_box
from reluscope.geometry.patterns import pixel_centres
from reluscope.geometry.slices import DataPlane, data_plane
from reluscope.probe.meanfield import MeanField
from reluscope.probe.theory import layer_specs
from reluscope.serve.notice import Notice, said
from reluscope.serve.settings import AUTO, DRAWN, DRAWN_CORNERS, MEANFIELD, Settings

BOUNDARY_PIXELS = 64  # the decision-boundary heat map is BOUNDARY_PIXELS² class probabilities
GRID_LINES = 13  # lines of constant x₁ (and as many of constant x₂) in the warped grid
LINE_POINTS = 48  # points along each grid line
QMAP_POINTS = 40  # q values of the drawn q-map, log-spaced


class Sliced:
    """A scene whose plane views may lie on a slice (``slice``; None: the inputs are 2-D)."""

    slice: DataPlane | None

    def on_plane(self, model: nn.Module) -> nn.Module:
        """``model`` as a function of the views' 2-D coordinates: itself for 2-D inputs, else folded onto the
        slice's plane (a float64 copy)."""
        return model if self.slice is None else self.slice.plane.fold(model)


@dataclass
class Scene(Sliced):
    """The fixed part of a live run; ``panels`` draws the model of each step against it."""

    settings: Settings
    data: Dataset
    box: Box  # (x0, x1, y0, y1): the data's box widened by 0.5
    pixels: torch.Tensor  # (BOUNDARY_PIXELS², 2) pixel centres, row-major with y slow (float64 on a slice)
    grid: np.ndarray  # (2·GRID_LINES·LINE_POINTS, 2): the grid lines' points, line after line
    tensors: tuple  # X_train, y_train, X_test, y_test as tensors
    input_m2: float  # E[x²] per coordinate of the training points (the theories' input length)
    meanfield: dict  # the theory's curves for the panel (see ``meanfield_theory``)
    slice: DataPlane | None = None  # inputs of n > 2: the plane the views show

    @classmethod
    def build(cls, settings: Settings, data: Dataset, model: nn.Sequential) -> Scene:
        """The scene of a run whose freshly initialised model is ``model``; for n > 2 inputs on the plane
        ``settings.through`` (a ``ReluscopeError`` if its indices do not fit the data); the drawn plane in
        ``box_of``'s box."""
        cut, box, pixels = plane_views(data.X, data.y, settings.plane,
                                       box=box_of(settings, data) if settings.dataset == DRAWN else None)
        tensors = data.tensors()
        input_m2 = float(tensors[0].double().pow(2).mean())
        return cls(settings, data, box, pixels, grid_lines(box), tensors, input_m2,
                   meanfield_theory(settings, model, input_m2), cut)

    def points(self, title: str) -> dict:
        """The data message's payload: the data set's ``title``, points, labels, box, classes, mean-field theory;
        for n > 2 inputs the points at their plane coordinates and the ``slice`` (``plane_message``)."""
        d = self.data
        train, test = (d.X_train, d.X_test) if self.slice is None else np.split(self.slice.coords, [len(d.X_train)])
        extra = {} if self.slice is None else dict(slice=plane_message(self.slice))
        return dict(name=title, n_classes=d.n_classes, depth=self.settings.depth, box=list(self.box),
                    train=train.astype("<f4"), test=test.astype("<f4"),
                    train_labels=d.y_train.astype("<u2"), test_labels=d.y_test.astype("<u2"), meanfield=self.meanfield,
                    **extra)


def plane_view(X: np.ndarray, y: np.ndarray, through: str | Sequence[int] = AUTO) -> DataPlane:
    """The plane the views of n > 2 inputs show (``geometry.slices.data_plane``: through ``auto_indices(X, y)``
    or three data indices of ``X`` (N, n), train then test); a ``Notice`` if an index lies beyond the data or the
    three points span no plane (the settings have already checked that they are three different indices)."""
    if through != AUTO and max(through) >= len(X):
        raise Notice(f"data indices must lie in 0 … {len(X) - 1}, got {', '.join(map(str, through))}",
                     "plane_indices", last=len(X) - 1)
    try:
        return data_plane(X, y, through)
    except ReluscopeError as e:
        raise Notice(str(e), "plane_flat") from None


def plane_message(seen: DataPlane) -> dict:
    """What the page needs of a plane beyond the points: the three indices, the near mask (train then test), n."""
    return dict(through=list(seen.indices), near=seen.near.astype("<u1"), dim=seen.plane.dim)


def plane_views(X: np.ndarray, y: np.ndarray, through: str | Sequence[int] = AUTO, *,
                box: Box | None = None) -> tuple[DataPlane | None, Box, torch.Tensor]:
    """Where the plane views of the data ``X`` (N, n), ``y`` (N,) lie: for n = 2 ``box`` (default the data's
    box; ``through`` is ignored), for n > 2 the slice ``through`` and its plane's box; and the boundary's
    ``BOUNDARY_PIXELS²`` pixel centres in that box (float32 in the input plane, float64 on a slice, as the
    folded model takes them)."""
    cut = None if X.shape[1] == 2 else plane_view(X, y, through)
    box = (data_box(X) if box is None else box) if cut is None else cut.plane.box
    return cut, box, torch.as_tensor(pixel_centres(box, BOUNDARY_PIXELS),
                                     dtype=torch.float32 if cut is None else torch.float64)


def box_of(settings: Settings, data: Dataset) -> Box:
    """The box the views cover: the data's widened by 0.5; the drawn plane's covers ``DRAWN_CORNERS`` too, so it
    stays put while the first points are drawn."""
    return data_box(np.concatenate([data.X, DRAWN_CORNERS]) if settings.dataset == DRAWN else data.X)


def grid_lines(box: Box) -> np.ndarray:
    """Points of ``GRID_LINES`` lines of constant x₁, then as many of constant x₂, across ``box``: (2·G·P, 2)."""
    x0, x1, y0, y1 = box
    t = np.linspace(0.0, 1.0, LINE_POINTS)  # (P,)
    s = np.linspace(0.0, 1.0, GRID_LINES)  # (G,)
    vertical = np.stack(np.broadcast_arrays(x0 + s[:, None] * (x1 - x0), y0 + t[None] * (y1 - y0)), -1)  # (G, P, 2)
    horizontal = np.stack(np.broadcast_arrays(x0 + t[None] * (x1 - x0), y0 + s[:, None] * (y1 - y0)), -1)
    return np.concatenate([vertical, horizontal]).reshape(-1, 2)


@torch.no_grad()
def meanfield_theory(settings: Settings, model: nn.Sequential, input_m2: float) -> dict:
    """q-trajectory ``q_1 … q_L``, χ₁, the gradients' depth scale ``1/|ln χ₁|``, q* and the q-map for the run's
    σ_w², σ_b²; ``source`` says where σ_w², σ_b² come from as a note in the catalog's words (``notice.said``).

    The sliders' scheme (mean-field) gives every layer their σ_w², σ_b². Any other scheme is measured on the
    weights as drawn, layer by layer (``probe.theory.layer_specs``): ``σ_w,l² = fan_in · mean(W_l²)``,
    ``σ_b,l² = mean(b_l²)``, and the
    trajectory runs with each layer's own, ``q_1 = σ_w,1² q_in + σ_b,1²``, ``q_l = σ_w,l² E[φ(z)²] + σ_b,l²``,
    ``z ~ N(0, q_{l−1})``: N(0, 1) weights give ``σ_w,1² = 2`` (fan-in 2) and 32 after, so for the sheet's
    11-layer net one mean over all layers would start the curve 14 times too high. The σ_w², σ_b² shown, with χ₁,
    the depth scale, q* and the q-map, are the means over the layers after the first, which see the previous layer's
    activations as the theory's layers do (the first layer's when there is no other)."""
    if settings.init == MEANFIELD:
        sigma_w2, sigma_b2, source = settings.sigma_w2, settings.sigma_b2, said("mf_sliders")
        scales = np.tile([sigma_w2, sigma_b2], (settings.depth, 1))  # (L, 2)
    else:
        scales = np.array([(s.fan_in * s.weight_m2, float(np.mean(s.units()[1] ** 2)))
                           for s in layer_specs(model)])  # (L, 2): σ_w,l², σ_b,l²
        sigma_w2, sigma_b2 = (float(v) for v in (scales[1:] if len(scales) > 1 else scales).mean(axis=0))
        source = (said("mf_effective", init=settings.init) if len(scales) > 1
                  else said("mf_effective_one", init=settings.init))
    mf = MeanField(settings.activation, sigma_w2, sigma_b2)
    q = [scales[0, 0] * input_m2 + scales[0, 1]]  # layer 1 sees the raw input; then E[φ(z)²] (σ-free) per layer
    for w2, b2 in scales[1:]:
        q.append(float(w2 * mf.second_moment(q[-1]) + b2))
    qs = np.logspace(-3, 3, QMAP_POINTS)  # (Q,)
    return dict(sigma_w2=sigma_w2, sigma_b2=sigma_b2, source=source, chi1=mf.chi1(),
                depth_scale=mf.gradient_depth_scale(), q_star=mf.q_star(), q=[float(v) for v in q],
                qmap=[qs.tolist(), [mf.qmap(float(v)) for v in qs]])
