"""Check numerically that activations and back-projections are "equal under a suitable affine basis".

The sheet calls ``f`` and ``g`` equal under a suitable affine basis on a set ``S`` when every affine
transform of ``f`` is an affine transform of ``g``; taking the identity transform, that is the same as an
affine map ``ψ`` with ``f = ψ ∘ g`` on ``S``. For ``f = h_l`` (layer ``l``'s activations) and
``g = x̂_l = Φ_l(h_l)`` the reverse direction ``g = Φ_l ∘ f`` holds by construction; the content of the
theorem (``docs/theory.md`` §2) is the forward one. So for points ``X`` this module fits, by least squares,

    h_l ≈ [x̂_l, 1] Θ      (the theorem)        and      x̂_l ≈ [h_l, 1] Θ'      (by construction)

and reports the relative residuals ``‖R‖_F / ‖T − T̄‖_F`` (``T`` the target, ``T̄`` its column means; 0
when ``T`` is constant). ``per_region=True`` fits each activation region of layers ``1 … l`` (the points
with the same pattern ``[z_k > 0]``) separately and pools the residuals; regions with fewer than
``n + 2`` points (``n`` = input dimension; a region's image is at most ``n``-dimensional, so ``n + 1``
points are always fitted exactly) are skipped and not counted. It works on any network; ``per_region``
needs piecewise-linear activations.

**Reduced form.** ``x̂_l = h_l A_l + c_l`` (``backproject.backprojection_maps``), so the centred points obey
``X̂_c = H_c A_l`` exactly. With the thin QR factorisation ``H_c = Q R`` (``Q`` orthonormal columns, ``R``
(k, d_l), ``k = min(N, d_l)``) both fits shrink to ``k`` rows without changing their residuals (a view
narrower than the layer, ``D_l < d_l``, keeps its ``N`` rows: there the ``(N, D_l)`` source is the smaller
problem)::

    ‖H_c − X̂_c Θ‖_F = ‖R − (R A_l) Θ‖_F,        ‖X̂_c − H_c Θ'‖_F = ‖R A_l − R Θ'‖_F

and each is solved by the SVD of its (k, ·) source, cutting singular values at ``ε₆₄·max(N, columns)`` of
the largest, as ``gelsd`` does on the full ``N``-row problem (``tests/test_equivalence.py::
test_reduced_fit_equals_the_full_least_squares``). Per layer and region that is one float64 forward pass, one
QR of ``(N, d_l)`` and SVDs of ``d_l`` rows where ``D_l ≥ d_l``, instead of least squares on ``N`` rows of the
back-projected points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reluscope.geometry.backproject import AffineMap, activations_at, backprojection_maps, forward64
from reluscope.geometry.patterns import splits
from reluscope.limits import MAX_COND
from reluscope.model.layers import as_points, linear_layers


EPS64 = float(torch.finfo(torch.float64).eps)  # float64 round-off unit
CONSTANT_RTOL = 1e-12  # spread/size below which a fitted quantity counts as constant (round-off ≈ 1e-16·√N)


@dataclass(frozen=True)
class LayerEquivalence:
    """Residuals of the two affine fits for one layer."""

    layer: int  # 0-based index among the linear layers
    name: str  # the Linear module's name
    act_from_bp: float  # relative residual of h_l ≈ [x̂_l, 1] Θ (the theorem's direction)
    bp_from_act: float  # relative residual of x̂_l ≈ [h_l, 1] Θ' (holds by construction); NaN: not fitted
    n_points: int  # points that entered the fits
    n_regions: int  # regions fitted separately (1 for a global fit)
    cond: float  # condition number of the composed map Φ_l: float64 resolves residuals down to about cond·ε₆₄

    def holds(self, tol: float = 1e-8) -> bool:
        """Both residuals at most ``tol``: equal under an affine basis on these points (to round-off).

        False when no point entered the fits (every region too small): the residuals of 0 then measured nothing.
        """
        return self.n_points > 0 and max(self.act_from_bp, self.bp_from_act) <= tol

    def verdict(self, tol: float = 1e-8) -> str:
        """``"yes"`` if it ``holds(tol)``; ``"no"`` if not although float64 resolves ``tol`` through ``Φ_l``
        (``cond·ε₆₄ ≤ tol``); ``"unresolvable"`` when round-off amplified by ``cond`` may exceed ``tol``;
        ``"unchecked"`` when no point entered the fits (every region held fewer than ``n + 2``), as the command
        line says it."""
        if self.n_points == 0:
            return "unchecked"
        if self.holds(tol):
            return "yes"
        return "no" if self.cond * EPS64 <= tol else "unresolvable"


def check_equivalence(model: nn.Module, X, *, view: str = "embedded", layers: Sequence[int] | None = None,
                      per_region: bool = False, max_cond: float = MAX_COND,
                      reverse: bool = True) -> list[LayerEquivalence]:
    """Residuals of the affine fits between activations and back-projections of ``X`` for each layer;
    ``reverse=False`` fits only the theorem's direction (``bp_from_act`` is then NaN: fewer SVDs)."""
    maps, _ = backprojection_maps(model, view=view, layers=layers, max_cond=max_cond)
    lays = linear_layers(model)
    n = lays[0].linear.in_features
    X = as_points(X, n)  # (N, n)
    patterns = activation_patterns(model, X, sorted(maps)) if per_region else None
    out = []
    for i, h in activations_at(model, X, maps):  # h: (N, d_l)
        groups = ([slice(None)] if patterns is None else
                  [g for g in _groups(patterns[i]) if len(g) >= n + 2])
        sums = np.zeros(4)
        for g in groups:
            sums += reduced_fit_residuals(h[g], maps[i], reverse=reverse)
        back = _ratio(sums[2], sums[3]) if reverse else math.nan
        n_points = len(h) if patterns is None else sum(len(g) for g in groups)
        out.append(LayerEquivalence(i, lays[i].name, _ratio(sums[0], sums[1]), back, n_points, len(groups),
                                    maps[i].cond))
    return out


def reduced_fit_residuals(h: torch.Tensor, phi: AffineMap, *, reverse: bool = True) -> np.ndarray:
    """The least-squares fit ``x̂ ≈ [h, 1] Θ`` and, with ``reverse``, ``h ≈ [x̂, 1] Θ'`` for ``x̂ = phi(h)``,
    as ``[‖R‖², ‖T − T̄‖², ‖R'‖², ‖T' − T̄'‖²]`` (residual and centred target, squared
    Frobenius norms), from the thin QR of the centred ``h`` (N, d) (module docstring); the reverse pair stays 0 when
    skipped."""
    N = len(h)
    mean = h.mean(dim=0)  # (d,)
    H = h - mean  # (N, d)
    out = np.zeros(4)
    if float(H.norm()) <= CONSTANT_RTOL * float(h.norm()):
        return out  # h constant, and so x̂: both fitted exactly by the constant column
    D = phi.A.shape[1]
    R = H if D < H.shape[1] else torch.linalg.qr(H, mode="r").R  # (k, d); a narrower view: the N rows themselves
    RA = R @ phi.A  # (k, D): the centred x̂ in the same frame
    # ‖x̂‖² = ‖X̂_c‖² + N‖x̄̂‖²
    xhat_norm = math.sqrt(float((RA**2).sum()) + N * float((phi(mean[None]) ** 2).sum()))
    out[:2] = _subspace_residual(R, RA, EPS64 * max(N, D), CONSTANT_RTOL * xhat_norm)
    if reverse and float(RA.norm()) > CONSTANT_RTOL * xhat_norm:  # else x̂ is constant: fitted exactly
        out[2:] = _subspace_residual(RA, R, EPS64 * max(N, R.shape[1]), CONSTANT_RTOL * float(h.norm()))
    return out


def _subspace_residual(T: torch.Tensor, S: torch.Tensor, rcond: float, floor: float) -> tuple[float, float]:
    """``(‖T − S Θ‖²_F, ‖T‖²_F)`` at the least-squares ``Θ``: ``T`` minus its projection onto the left
    singular vectors of ``S`` whose singular values exceed ``rcond·s_max`` (``gelsd``'s cut); none when
    ``‖S‖_F ≤ floor`` (a source constant to round-off explains nothing)."""
    U, sv, _ = torch.linalg.svd(S, full_matrices=False)  # U (k, r₀), sv (r₀,)
    rank = int((sv > rcond * sv[0]).sum()) if len(sv) and float(S.norm()) > floor else 0
    resid = T - U[:, :rank] @ (U[:, :rank].T @ T)  # (k, t)
    return float((resid**2).sum()), float((T**2).sum())


def activation_patterns(model: nn.Module, X, layers: Sequence[int]) -> dict[int, np.ndarray]:
    """For each layer in ``layers``: the pattern ``[z_k > 0]`` of every unit of layers ``1 … l`` (N, Σd)."""
    signs, out = [], {}
    for lay, z, _ in forward64(model, X, max(layers) + 1):
        if splits(lay):  # identity layers have no kinks
            signs.append((z > 0).numpy())
        if lay.index in layers:
            out[lay.index] = np.concatenate(signs, axis=1) if signs else np.zeros((len(z), 0), bool)
    return out


def _groups(pattern: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by identical pattern rows."""
    _, inverse = np.unique(pattern, axis=0, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(inverse.ravel()[order])) + 1)


def _ratio(num: float, den: float) -> float:
    return float(np.sqrt(num / den)) if den > 0 else 0.0
