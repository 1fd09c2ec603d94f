"""Exact 2D slices of a network on n-dimensional inputs: the plane through three data points.

The plane through ``p0, p1, p2`` ∈ Rⁿ is the affine map of plane coordinates ``(s, t)``

    x(s, t) = p0 + s·(p1 − p0) + t·(p2 − p0) = p0 + (s, t) B,   B = [p1 − p0; p2 − p0] ∈ R^{2×n},

so ``p0, p1, p2`` sit at (0, 0), (1, 0), (0, 1). On the plane the first layer is again affine in (s, t):

    z₁ = x W₁ + b₁ = (s, t) (B W₁) + (p0 W₁ + b₁),

a layer with 2 inputs. ``Plane.fold`` puts ``B W₁`` and ``p0 W₁ + b₁`` into a copy of the model (float64), and
the exact 2D cells of that model (``regions.linear_regions``, unchanged) are the cells of the original
network on the plane: every layer, every activation pattern, the decision regions. After the fold the cost
no longer depends on n: one (2 × n)·(n × d₁) product.

A data point ``x`` is projected onto the plane by least squares, ``(s, t) = (x − p0) Bᵀ (B Bᵀ)⁻¹``, at the
distance ``‖x − x(s, t)‖`` from it; the points nearest the plane are drawn where they project.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.box import Box, check_box, check_margin
from reluscope.model.layers import linear_layers

MIN_SINE = 1e-6  # the two directions must span a plane: |sin ∠(u, v)| above this
NEAR = 0.05  # by default, the 5 % of the data nearest the plane are shown on it


@dataclass(frozen=True)
class Plane:
    """The affine plane ``x(s, t) = origin + (s, t) @ basis`` in Rⁿ and a box of plane coordinates."""

    origin: np.ndarray  # (n,) float64
    basis: np.ndarray  # (2, n) float64, linearly independent rows
    box: Box  # (s0, s1, t0, t1): the part of the plane whose cells are cut

    def __post_init__(self):
        check_box(self.box)
        u, v = self.basis
        nu, nv = np.linalg.norm(u), np.linalg.norm(v)
        area = np.sqrt(max(nu**2 * nv**2 - float(u @ v) ** 2, 0.0))  # ‖u‖‖v‖·|sin ∠(u, v)|
        if not (np.isfinite(area) and area > MIN_SINE * nu * nv):
            raise ReluscopeError("the three points do not span a plane (two coincide, or all lie on one line)")

    @property
    def dim(self) -> int:
        return len(self.origin)

    def embed(self, st: np.ndarray) -> np.ndarray:
        """The points ``x(s, t)`` (N, n) of plane coordinates ``st`` (N, 2)."""
        return self.origin + np.asarray(st, dtype=np.float64) @ self.basis  # (N, n)

    def project(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares plane coordinates (N, 2) of points ``X`` (N, n) and their distances (N,) to the plane."""
        D = np.asarray(X, dtype=np.float64) - self.origin  # (N, n)
        st = np.linalg.solve(self.basis @ self.basis.T, self.basis @ D.T).T  # (N, 2)
        return st, np.linalg.norm(D - st @ self.basis, axis=1)

    def fold(self, model: nn.Module) -> nn.Module:
        """A float64 copy of ``model`` on the plane coordinates: its first ``nn.Linear`` (n → d₁) replaced by
        ``(s, t) ↦ (s, t) B W₁ + p0 W₁ + b₁`` (2 → d₁); every later module as it was."""
        first = linear_layers(model)[0]
        if first.linear.in_features != self.dim:
            raise ReluscopeError(f"the plane lies in R^{self.dim} but the model takes "
                                 f"{first.linear.in_features} inputs")
        folded = copy.deepcopy(model).double().requires_grad_(False)
        W = first.linear.weight.detach().double()  # (d₁, n): z = x Wᵀ + b
        b = first.linear.bias
        b = torch.zeros(len(W), dtype=torch.float64) if b is None else b.detach().double()  # (d₁,)
        B, p0 = torch.from_numpy(self.basis), torch.from_numpy(self.origin)  # (2, n), (n,)
        layer = nn.Linear(2, len(W), dtype=torch.float64).requires_grad_(False)
        layer.weight.copy_(W @ B.T)  # (d₁, 2)
        layer.bias.copy_(W @ p0 + b)  # (d₁,)
        parent, _, attr = first.name.rpartition(".")
        setattr(folded.get_submodule(parent), attr, layer)
        return folded


def plane_through(X: np.ndarray, indices: Sequence[int], *, margin: float = 0.5) -> Plane:
    """The plane through the data points ``X[i], X[j], X[k]`` (``X`` (N, n)), with the box
    ``[−margin, 1 + margin]²`` of plane coordinates around them (they sit at (0, 0), (1, 0), (0, 1))."""
    X = np.asarray(X, dtype=np.float64)
    idx = check_indices(indices, len(X))
    check_margin(margin)
    p0, p1, p2 = X[list(idx)]
    return Plane(p0, np.stack([p1 - p0, p2 - p0]), (-margin, 1 + margin, -margin, 1 + margin))


def check_indices(indices: Sequence[int], n: int) -> tuple[int, int, int]:
    """Three distinct data indices in ``0 … n−1`` (negative ones count from the end); else ``ReluscopeError``."""
    idx = tuple(int(i) for i in indices)
    if len(idx) != 3:
        raise ReluscopeError(f"a plane goes through three data points, got {len(idx)} indices")
    if not all(-n <= i < n for i in idx):
        raise ReluscopeError(f"data indices must lie in -{n} … {n - 1}, got {', '.join(map(str, idx))}")
    idx = tuple(i % n for i in idx)
    if len(set(idx)) != 3:
        raise ReluscopeError(f"the three data indices must differ, got {', '.join(map(str, idx))}")
    return idx


def auto_indices(X: np.ndarray, y: np.ndarray) -> tuple[int, int, int]:
    """Three data points for a slice: ``typical_indices(X, y, 3)``, typical points of classes 0, 1, 2 (with two
    classes, the second most typical point of class 0 is the third)."""
    order = typical_indices(X, y, 3)
    if len(order) < 3:
        raise ReluscopeError(f"a slice needs three data points, the data has {len(order)}")
    return tuple(order)


def typical_indices(X: np.ndarray, y: np.ndarray, k: int) -> list[int]:
    """``k`` data indices (fewer if there are fewer points): in each class the point nearest its class mean
    (the most typical), taken in class order, then each class's second most typical, and so on."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    ranked = []  # per class, its indices by distance to the class mean
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        ranked.append(members[np.argsort(np.linalg.norm(X[members] - X[members].mean(axis=0), axis=1))])
    order = [r[j] for j in range(max(map(len, ranked))) for r in ranked if j < len(r)]
    return [int(i) for i in order[:k]]


def near_plane(distance: np.ndarray, fraction: float = NEAR) -> np.ndarray:
    """The ``fraction`` of the points (by ``distance`` (N,) to the plane) nearest to it, as a mask (N,);
    at least the three points that span it."""
    if not 0 < fraction <= 1:
        raise ReluscopeError(f"near (the fraction of points shown) must be in (0, 1], got {fraction}")
    keep = max(3, int(np.ceil(fraction * len(distance))))
    mask = np.zeros(len(distance), dtype=bool)
    mask[np.argsort(distance, kind="stable")[:keep]] = True
    return mask
