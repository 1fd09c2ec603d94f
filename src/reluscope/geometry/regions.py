"""Exact decision cells: the linear regions of the network truncated after each layer, in a box of the plane.

On a region ``P`` the output of layers ``1 … l−1`` is affine, ``h(x) = x A + c``, so every unit ``k`` of
layer ``l`` has an affine pre-activation ``z_k(x) = x (A W)_{:,k} + (c W + b)_k`` on ``P`` and its zero set is
a line. Cutting ``P`` by the lines of all units of layer ``l`` gives the regions of layer ``l`` inside ``P``;
on each piece the unit is on (``z > 0``, slope 1) or off (slope α: 0 for ReLU, α for leaky ReLU), so

    A' = (A W) · diag(d),   c' = (c W + b) · diag(d),   d_k = 1 if z_k > 0 else α.

Starting from the box, layer after layer, this gives every region as a convex polygon with its activation
pattern and its affine map; layers without a kink (identity, the logits) cut nothing. The regions are the
cells with one pattern each (two neighbouring cells may still carry the same affine map, e.g. next to a unit
whose outgoing weights are zero).

Each polygon of a layer is cut by the lines of all units, one after another (Sutherland–Hodgman), the whole
network in one compiled pass (``clipping.network_cells``), so the cost is ``O(units · regions · vertices)``
float64 work.
A corner within ``RTOL · (‖a‖·r + |c|)`` of a line (``r`` the box's radius) counts as on the line, so
round-off never creates sliver regions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.clipping import cut_polygons, network_cells
from reluscope.geometry.box import Box, check_box
from reluscope.geometry.patterns import KEY_MULT, piecewise_linear_net, splits, word_weights
from reluscope.model.layers import negative_slope

RTOL = 1e-10  # a corner within RTOL·(‖a‖·r + |c|) of the line x·a + c = 0 lies on it


class TooManyRegions(ReluscopeError):
    """``linear_regions(..., most=m)`` stopped: the network truncated after ``layer`` has more than ``m`` regions."""

    def __init__(self, layer: int, most: int):
        super().__init__(f"layer {layer} has more than {most} linear regions")
        self.layer, self.most = layer, most


@dataclass
class LayerRegions:
    """The linear regions of the network truncated after one layer: convex polygons in the plane.

    Region ``r`` is the polygon ``vertices[r, :n_vertices[r]]`` (counter-clockwise); on it the layer's
    output is ``h(x) = x @ A[r] + c[r]``.
    """

    layer: int  # 1-based: the network truncated after linear layer `layer` (and its activation)
    name: str  # the Linear module's name in the model
    box: Box  # (x0, x1, y0, y1)
    vertices: np.ndarray  # (R, V, 2) float64, rows padded beyond n_vertices
    n_vertices: np.ndarray  # (R,) int
    parent: np.ndarray  # (R,) index of the enclosing region of the previous layer (0 = the box for layer 1)
    pattern: np.ndarray  # (R, width) bool: unit on (z > 0) in the region; (R, 0) for a layer without a kink
    key: np.ndarray  # (R,) uint64 hash of the full pattern of layers 1 … layer (patterns.extend_keys)
    parent_z: np.ndarray  # (P, 3, width) float64: the layer's pre-activation x @ m[:2] + m[2] on each parent
    slope: float  # the activation's slope for z ≤ 0 (1: no kink)

    @functools.cached_property
    def maps(self) -> np.ndarray:
        """(R, 3, width) float64: the layer's output ``x @ maps[r, :2] + maps[r, 2]`` on region ``r``, its parent's
        ``z`` times the slopes ``d`` (1 where the unit is on, else ``slope``), made when first asked for."""
        maps = self.parent_z[self.parent]  # (R, 3, width)
        if self.pattern.shape[1]:
            maps *= np.where(self.pattern, 1.0, self.slope)[:, None, :]
        return maps

    @property
    def A(self) -> np.ndarray:
        """(R, 2, width) float64: the layer's output is ``x @ A[r] + c[r]`` on region ``r``."""
        return self.maps[:, :2]

    @property
    def c(self) -> np.ndarray:
        """(R, width) float64."""
        return self.maps[:, 2]

    def __len__(self) -> int:
        return len(self.n_vertices)

    def polygons(self) -> list[np.ndarray]:
        """Each region's vertices (k, 2), counter-clockwise."""
        return [v[:k] for v, k in zip(self.vertices, self.n_vertices)]

    def corners(self) -> np.ndarray:
        """Every region's corners, region after region (``np.concatenate(self.polygons())`` in one step):
        (Σ n_vertices, 2)."""
        return self.vertices[np.arange(self.vertices.shape[1]) < self.n_vertices[:, None]]

    def areas(self) -> np.ndarray:
        """Area of each region (R,) by the shoelace formula."""
        return polygon_areas(self.vertices, self.n_vertices)


def polygon_areas(vertices: np.ndarray, n_vertices: np.ndarray) -> np.ndarray:
    """Shoelace areas (R,) of padded polygons ``vertices`` (R, V, 2) with ``n_vertices`` (R,) corners."""
    nxt = _next_index(n_vertices, vertices.shape[1])  # (R, V)
    v_next = np.take_along_axis(vertices, nxt[..., None], axis=1)  # (R, V, 2)
    cross = vertices[..., 0] * v_next[..., 1] - vertices[..., 1] * v_next[..., 0]  # (R, V)
    valid = np.arange(vertices.shape[1]) < n_vertices[:, None]
    return 0.5 * np.where(valid, cross, 0.0).sum(axis=1)


def linear_regions(model: nn.Module, box=None, *, plane=None, upto: int | None = None, most: int | None = None,
                   rtol: float = RTOL) -> list[LayerRegions]:
    """The exact linear regions inside ``box`` of the network truncated after each layer ``l = 1 … L``.

    Parameters
    ----------
    model : nn.Sequential of Linear and ReLU / LeakyReLU modules with 2 inputs (any widths, the user's own),
        or with n inputs and a ``plane``.
    box : (x0, x1, y0, y1), e.g. ``box.data_box(X)``; with a plane, in its coordinates (default: its box).
    plane : a ``plane.Plane`` in the model's input space Rⁿ: the regions on that plane, in its coordinates
        (the plane folded into the first layer, ``Plane.fold``).
    upto : only the layers ``1 … upto`` (the deeper ones are not computed); ``None``: every layer.
    most : the walk stops as soon as one layer has more than ``most`` regions and raises ``TooManyRegions``
        (a caller that draws at most ``most`` polygons does not wait for the rest of the walk).
    rtol : relative distance under which a polygon vertex counts as lying on a unit's line.

    Returns
    -------
    One ``LayerRegions`` per linear layer (up to ``upto``); the last one of the whole net carries the logits'
    affine maps.
    """
    if plane is not None:
        model, box = plane.fold(model), plane.box if box is None else box
    box = check_box(box)
    layers, params = piecewise_linear_net(model)
    if upto is not None:
        if isinstance(upto, bool) or not isinstance(upto, int) or not 1 <= upto <= len(layers):
            raise ReluscopeError(f"upto must be a layer 1 … {len(layers)}, got {upto!r}")
        layers = layers[:upto]
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 0):
        raise ReluscopeError(f"most must be a whole number ≥ 0, got {most!r}")
    slopes = [negative_slope(layer) if splits(layer) else None for layer in layers]  # None: no kink
    dims = [2] + [layer.linear.out_features for layer in layers]
    hashes = [word_weights(layer.index, -(-width // 64)) for layer, width in zip(layers, dims[1:])]
    cells = network_cells(box, dims, params, slopes, hashes, KEY_MULT, max(abs(v) for v in box), rtol, most)
    if len(cells) < len(layers):
        raise TooManyRegions(len(cells) + 1, most)
    return [LayerRegions(layer.index + 1, layer.name, box, cell.verts, cell.n_verts, cell.parent, cell.pattern,
                         cell.key, cell.z, 1.0 if slope is None else slope)
            for layer, cell, slope in zip(layers, cells, slopes)]


def _tolerance(a: np.ndarray, c: np.ndarray, radius: float, rtol: float) -> np.ndarray:
    """``rtol · (‖a‖·r + |c|)`` (R,): the round-off scale of ``x·a + c`` for ``|x| ≤ r``."""
    return rtol * (np.linalg.norm(a, axis=1) * radius + np.abs(c))


def _next_index(n_verts: np.ndarray, width: int) -> np.ndarray:
    """Index of the next corner (R, width), cyclic within each polygon's ``n_verts``."""
    idx = np.arange(width) + 1
    return np.where(idx < n_verts[:, None], idx, 0)


def decision_segments(final: LayerRegions, *, rtol: float = RTOL) -> np.ndarray:
    """The exact decision boundary inside the box as line segments (S, 2, 2).

    On each final region the logits are affine, so the class-``k`` part of the region is the polygon cut by
    the half-planes ``logit_k − logit_j ≥ 0`` (j ≠ k); its edges on which ``logit_k = logit_j`` for a
    ``j > k`` are the boundary between ``k`` and ``j``. Together they form the network's whole decision
    boundary, piecewise linear with kinks only on cell edges.
    """
    n_classes = final.c.shape[1]
    radius = float(np.abs(final.box).max())
    Ac = final.maps  # (R, 3, classes): the logits on each region
    segments = []
    for k in range(n_classes):
        others = [j for j in range(n_classes) if j != k]
        lines = Ac[:, :, [k]] - Ac[:, :, others]  # (R, 3, classes − 1): logit_k − logit_j
        verts, n_verts, owner, positive = cut_polygons(final.vertices, final.n_vertices, lines, radius, rtol)
        keep = positive.all(axis=1)  # the pieces where class k wins
        verts, n_verts, owner = verts[keep], n_verts[keep], owner[keep]
        nxt = _next_index(n_verts, verts.shape[1])
        v_n = np.take_along_axis(verts, nxt[..., None], axis=1)  # (R', V, 2)
        valid = np.arange(verts.shape[1]) < n_verts[:, None]
        for j in range(k + 1, n_classes):
            a = final.A[owner, :, k] - final.A[owner, :, j]
            off = final.c[owner, k] - final.c[owner, j]
            tol = 100 * _tolerance(a, off, radius, rtol)[:, None]  # crossing points carry round-off
            s0 = np.einsum("rvk,rk->rv", verts, a) + off[:, None]  # (R', V)
            s1 = np.einsum("rvk,rk->rv", v_n, a) + off[:, None]
            on = valid & (np.abs(s0) <= tol) & (np.abs(s1) <= tol)
            segments.append(np.stack([verts[on], v_n[on]], axis=1))  # (S_kj, 2, 2)
    return np.concatenate(segments) if segments else np.zeros((0, 2, 2))

