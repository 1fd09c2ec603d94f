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

All polygons of a layer are cut by one unit at a time in a single vectorised step (Sutherland–Hodgman on
padded vertex arrays), so the cost is ``O(units · regions · vertices)`` numpy work, float64 throughout.
A corner within ``RTOL · (‖a‖·r + |c|)`` of a line (``r`` the box's radius) counts as on the line, so
round-off never creates sliver regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from reluscope.geometry.patterns import Box, affine64, check_box, extend_keys, piecewise_linear_layers, splits
from reluscope.model.layers import negative_slope

RTOL = 1e-10  # a corner within RTOL·(‖a‖·r + |c|) of the line x·a + c = 0 lies on it


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
    A: np.ndarray  # (R, 2, width) float64: the layer's output is x @ A[r] + c[r] on region r
    c: np.ndarray  # (R, width) float64
    key: np.ndarray  # (R,) uint64 hash of the full pattern of layers 1 … layer (patterns.extend_keys)

    def __len__(self) -> int:
        return len(self.n_vertices)

    def polygons(self) -> list[np.ndarray]:
        """Each region's vertices (k, 2), counter-clockwise."""
        return [v[:k] for v, k in zip(self.vertices, self.n_vertices)]

    def areas(self) -> np.ndarray:
        """Area of each region (R,) by the shoelace formula."""
        return polygon_areas(self.vertices, self.n_vertices)

    def interior_points(self, n: int = 1, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` random points strictly inside each region: (R, n, 2), Dirichlet-weighted vertex averages."""
        rng = np.random.default_rng(0) if rng is None else rng
        valid = np.arange(self.vertices.shape[1]) < self.n_vertices[:, None]  # (R, V)
        w = rng.gamma(1.0, size=(len(self), n, self.vertices.shape[1])) * valid[:, None, :]  # (R, n, V)
        w /= w.sum(axis=2, keepdims=True)
        return w @ self.vertices  # (R, n, 2)

    def apply(self, X: np.ndarray, region: np.ndarray) -> np.ndarray:
        """The stored affine map of ``region`` (N,) at points ``X`` (N, 2): (N, width)."""
        return np.einsum("nk,nkw->nw", X, self.A[region]) + self.c[region]


def polygon_areas(vertices: np.ndarray, n_vertices: np.ndarray) -> np.ndarray:
    """Shoelace areas (R,) of padded polygons ``vertices`` (R, V, 2) with ``n_vertices`` (R,) corners."""
    nxt = _next_index(n_vertices, vertices.shape[1])  # (R, V)
    v_next = np.take_along_axis(vertices, nxt[..., None], axis=1)  # (R, V, 2)
    cross = vertices[..., 0] * v_next[..., 1] - vertices[..., 1] * v_next[..., 0]  # (R, V)
    valid = np.arange(vertices.shape[1]) < n_vertices[:, None]
    return 0.5 * np.where(valid, cross, 0.0).sum(axis=1)


def linear_regions(model: nn.Module, box=None, *, plane=None, rtol: float = RTOL) -> list[LayerRegions]:
    """The exact linear regions inside ``box`` of the network truncated after each layer ``l = 1 … L``.

    Parameters
    ----------
    model : nn.Sequential of Linear and ReLU / LeakyReLU modules with 2 inputs (any widths, the user's own),
        or with n inputs and a ``plane``.
    box : (x0, x1, y0, y1), e.g. ``patterns.data_box(X)``; with a plane, in its coordinates (default: its box).
    plane : a ``plane.Plane`` in the model's input space Rⁿ: the regions on that plane, in its coordinates
        (the plane folded into the first layer, ``Plane.fold``).
    rtol : relative distance under which a polygon vertex counts as lying on a unit's line.

    Returns
    -------
    One ``LayerRegions`` per linear layer; the last one carries the logits' affine maps.
    """
    if plane is not None:
        model, box = plane.fold(model), plane.box if box is None else box
    box = check_box(box)
    x0, x1, y0, y1 = box
    radius = float(np.abs(box).max())
    verts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])  # (1, 4, 2) counter-clockwise
    n_verts = np.array([4])
    A, c = np.eye(2)[None], np.zeros((1, 2))  # h(x) = x A + c on the box: the identity
    keys = np.zeros(1, dtype=np.uint64)
    out: list[LayerRegions] = []
    for layer in piecewise_linear_layers(model):
        W, b = affine64(layer)
        zA, zc = A @ W, c @ W + b  # (R, 2, width), (R, width): pre-activations on each region
        owner = np.arange(len(zc))  # (R',) the region of the previous layer each polygon lies in
        pattern = np.zeros((len(zc), 0), dtype=bool)
        if splits(layer):
            pattern = np.zeros(zc.shape, dtype=bool)
            for k in range(zc.shape[1]):
                a, off = zA[owner, :, k], zc[owner, k]  # (R', 2), (R',)
                verts, n_verts, parent, positive = split_polygons(verts, n_verts, a, off,
                                                                  _tolerance(a, off, radius, rtol))
                owner, pattern = owner[parent], pattern[parent]
                pattern[:, k] = positive
        slope = np.where(pattern, 1.0, negative_slope(layer)) if splits(layer) else np.ones_like(zc[owner])
        A, c = zA[owner] * slope[:, None, :], zc[owner] * slope  # (R', 2, width), (R', width)
        keys = extend_keys(keys[owner], pattern, layer.index)
        out.append(LayerRegions(layer.index + 1, layer.name, box, verts, n_verts, owner, pattern, A, c, keys))
    return out


def split_polygons(verts: np.ndarray, n_verts: np.ndarray, a: np.ndarray, c: np.ndarray, tol: np.ndarray):
    """Cut every convex polygon ``r`` by its own line ``x·a[r] + c[r] = 0``.

    Parameters
    ----------
    verts : (R, V, 2) padded counter-clockwise polygons; n_verts : (R,) their corner counts.
    a : (R, 2), c : (R,) the lines; tol : (R,) |x·a + c| ≤ tol counts as on the line.

    Returns
    -------
    verts (R', V', 2), n_verts (R',), parent (R',) the polygon each piece came from, positive (R',) bool:
    the piece lies on the side ``x·a + c > 0``. Uncut polygons keep their index; the negative pieces of cut
    polygons are appended.
    """
    s = np.einsum("rvk,rk->rv", verts, a) + c[:, None]  # (R, V) signed values at the corners
    valid = np.arange(verts.shape[1]) < n_verts[:, None]  # (R, V)
    side = np.where(valid, np.sign(s) * (np.abs(s) > tol[:, None]), 0).astype(np.int8)  # (R, V) in {-1, 0, 1}
    has_pos, has_neg = (side > 0).any(axis=1), (side < 0).any(axis=1)
    cut = np.flatnonzero(has_pos & has_neg)
    parent = np.concatenate([np.arange(len(verts)), cut])
    positive = np.concatenate([has_pos, np.zeros(len(cut), dtype=bool)])
    if not len(cut):
        return verts, n_verts, parent, positive
    v, sv, sd, val = verts[cut], s[cut], side[cut], valid[cut]  # (C, V, 2), (C, V), (C, V), (C, V)
    nxt = _next_index(n_verts[cut], verts.shape[1])  # (C, V)
    v_n = np.take_along_axis(v, nxt[..., None], axis=1)  # (C, V, 2) the edge's other end
    s_n, sd_n = np.take_along_axis(sv, nxt, axis=1), np.take_along_axis(sd, nxt, axis=1)
    crosses = val & (sd * sd_n < 0)  # (C, V): edge i → i+1 crosses the line strictly
    t = np.where(crosses, sv / np.where(crosses, sv - s_n, 1.0), 0.0)  # (C, V)
    x = v + t[..., None] * (v_n - v)  # (C, V, 2) crossing points
    pos_v, pos_n = _compact(v, x, val & (sd >= 0), crosses)
    neg_v, neg_n = _compact(v, x, val & (sd <= 0), crosses)
    width = max(verts.shape[1], pos_v.shape[1], neg_v.shape[1])
    verts, pos_v, neg_v = (_pad(arr, width) for arr in (verts, pos_v, neg_v))
    verts[cut], n_verts = pos_v, n_verts.copy()
    n_verts[cut] = pos_n
    return (np.concatenate([verts, neg_v]), np.concatenate([n_verts, neg_n]), parent, positive)


def _compact(v: np.ndarray, x: np.ndarray, keep_v: np.ndarray, keep_x: np.ndarray):
    """Interleave corners ``v`` and crossings ``x`` (C, V, 2) (corner i, then the crossing on edge i → i+1),
    keep the masked ones in order, left-aligned: (C, V', 2) and counts (C,)."""
    cand = np.stack([v, x], axis=2).reshape(len(v), -1, 2)  # (C, 2V, 2)
    mask = np.stack([keep_v, keep_x], axis=2).reshape(len(v), -1)  # (C, 2V)
    order = np.argsort(~mask, axis=1, kind="stable")  # kept slots first, in cyclic order
    counts = mask.sum(axis=1)
    width = int(counts.max())
    out = np.take_along_axis(cand, order[:, :width, None], axis=1)  # (C, V', 2)
    out[np.arange(width) >= counts[:, None]] = 0.0
    return out, counts


def _pad(verts: np.ndarray, width: int) -> np.ndarray:
    return np.pad(verts, ((0, 0), (0, width - verts.shape[1]), (0, 0)))


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
    segments = []
    for k in range(n_classes):
        verts, n_verts, owner = final.vertices, final.n_vertices, np.arange(len(final))
        for j in range(n_classes):
            if j == k:
                continue
            a = final.A[owner, :, k] - final.A[owner, :, j]  # (R', 2)
            off = final.c[owner, k] - final.c[owner, j]  # (R',)
            verts, n_verts, parent, positive = split_polygons(verts, n_verts, a, off,
                                                              _tolerance(a, off, radius, rtol))
            verts, n_verts, owner = verts[positive], n_verts[positive], owner[parent][positive]
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

