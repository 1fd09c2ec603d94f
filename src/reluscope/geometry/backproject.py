"""Pseudo-inverse back-projection: every layer's activations carried back into the input plane (Task 2).

A layer maps a row vector ``h ∈ R^n`` to ``σ(h W + b)`` with ``W ∈ R^{n×m}`` (``nn.Linear.weight = Wᵀ``).
Its back-projection undoes the affine change of basis *after* the non-linearity::

    ψ(y) = (y − b) W⁺                         W⁺: the Moore–Penrose pseudo-inverse (m, n)

and layer ``l`` is carried back to the input by the composition ``Φ_l = ψ_1 ∘ ψ_2 ∘ … ∘ ψ_l``. No
non-linearity is inverted, so ``Φ_l`` is one affine map ``h ↦ h A_l + c_l`` with

    A_l = W_l⁺ A_{l−1},    c_l = −b_l W_l⁺ A_{l−1} + c_{l−1},    (A_0, c_0) = (I, 0),

built once per model in ``O(Σ d_l² D)``; back-projecting ``N`` points then costs one float64 forward pass
plus one ``(N, d_l) @ (d_l, D)`` product per layer. Views (``docs/theory.md`` §2):

``input``
    ``D = n``: straight into the input plane with ``W_1⁺``. Where every unit on the path is active and each
    ``W_k`` has full row rank, ``x̂ = x`` (``W W⁺ = I``).
``embedded``
    Every widening layer completed to an invertible square matrix: ``W̃_k = [W_k; N_k]``, ``N_k`` an
    orthonormal basis of the complement of ``W_k``'s row space, so ``W̃_k⁻¹ = [W_k⁺ | N_kᵀ]`` and
    ``ψ̃_k(y) = (y − b_k) W̃_k⁻¹`` keeps the ``d_k − rank W_k`` coordinates that ``W_k⁺`` drops; those are
    carried unchanged through the earlier layers' maps (``Φ̃_l = (Φ̃_{l−1} ⊕ id) ∘ ψ̃_l``). The input is the
    plane embedded as ``(x, 0)``, and ``D_l = n + Σ_{k≤l} (d_k − rank W_k)``: ``max(n, d_1)`` for a net whose
    widths do not grow after layer 1 (every MLP reluscope builds), ``m_max`` for widths that grow then shrink
    (2→3→6: 6, where ``R^{d_1} = R^3`` would lose three directions of ``h_2``). With every ``W_k`` of full
    rank, ``Φ̃_l`` is injective and the back-projection is an exact affine copy of the activations on the whole
    plane. Reduce it to 2-D/3-D with ``pca=``.
``nonzero``
    The first ``n`` coordinates of ``embedded`` (the input's own, non-padded dimensions). Because ``N`` is
    orthogonal to ``W_1``'s rows this equals ``input`` exactly — the sheet's two display options agree.

All in float64. Every ``W⁺`` comes from one SVD that also gives the layer's rank and condition number; a
layer that is numerically rank-deficient is refused by name (``ReluscopeError``), never projected silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.pca import fit_pca
from reluscope.geometry.views import VIEWS
from reluscope.limits import MAX_COND
from reluscope.model.layers import Layer, as_points, forward_layers, linear_layers

CHUNK = 8192  # points per pass: a (8192, 32) float64 activation is 2 MiB, it stays in the cache


class IllConditioned(ReluscopeError):
    """``pinv(W, max_cond=…)`` refused: ``W`` (``shape``, rank ``rank``) of layer ``name`` has the condition number
    ``cond > max_cond``; ``what`` says so without the advice, for a caller that names its own options."""

    def __init__(self, name: str, shape: tuple[int, int], rank: int, cond: float, max_cond: float):
        self.name, self.shape, self.rank, self.cond, self.max_cond = name, shape, rank, cond, max_cond
        n, m = shape
        self.what = (f"layer {name}: W ({n}×{m}) has rank {rank} of {min(n, m)} and condition number {cond:.3g} > "
                     f"{max_cond:.3g}; its pseudo-inverse would amplify round-off")
        super().__init__(f"{self.what} (pass max_cond=float('inf') to invert it anyway, or back-project only the "
                         "layers before it with layers=[…])", "ill_conditioned")


@dataclass(frozen=True)
class AffineMap:
    """The row-vector affine map ``h ↦ h A + c`` in float64."""

    A: torch.Tensor  # (d_in, d_out)
    c: torch.Tensor  # (d_out,)

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.c, h, self.A)  # (N, d_out)

    @property
    def cond(self) -> float:
        """``κ(A) = s_max / s_min``: inverting the map amplifies relative round-off by up to this factor."""
        return float(torch.linalg.cond(self.A))

    def then(self, other: AffineMap) -> AffineMap:
        """``other ∘ self``: first this map, then ``other``."""
        return AffineMap(self.A @ other.A, self.c @ other.A + other.c)

    def keeping(self, extra: int) -> AffineMap:
        """``self ⊕ id``: ``(u, e) ↦ (u A + c, e)`` for ``extra`` trailing coordinates ``e``."""
        if extra == 0:
            return self
        return AffineMap(torch.block_diag(self.A, torch.eye(extra, dtype=self.A.dtype)),  # (d_in + e, d_out + e)
                         torch.cat([self.c, torch.zeros(extra, dtype=self.c.dtype)]))


@dataclass(frozen=True)
class Pinv:
    """The pseudo-inverse of one layer's ``W`` and the numbers that say whether to trust it."""

    name: str  # how messages name the layer, e.g. "3 (module '4')"
    shape: tuple[int, int]  # (n, m) of W in the sheet's convention (fan-in, fan-out)
    matrix: torch.Tensor  # (m, n) W⁺, float64
    rank: int  # numerical rank: singular values above max(n, m)·eps·s_max
    cond: float  # s_max / s_min over the min(n, m) singular values (inf when rank-deficient)
    complement: torch.Tensor  # (m − rank, m) orthonormal rows spanning the complement of W's row space


@dataclass
class Backprojection:
    """Back-projected points of several layers of one model."""

    view: str
    layers: list[int]  # 0-based indices among the linear layers (``Layer.index``)
    names: list[str]  # their module names
    points: dict[int, np.ndarray]  # layer -> (N, D) back-projection, or (N, k) PCA scores
    pinvs: list[Pinv]  # every layer up to the deepest requested, in order
    explained: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> (k,) PCA variance ratio
    activations: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> (N, d_l), when kept

    def dimension(self, layer: int) -> int:
        """``D`` of layer ``layer``'s (0-based) back-projection before any PCA: ``n`` in the ``input`` and
        ``nonzero`` views, ``D_l = n + Σ_{k≤l} (d_k − rank W_k)`` in the ``embedded`` view, ``n`` the input's
        dimension, ``d_k`` layer ``k``'s width and each rank the numerical one of its ``Pinv``."""
        if not 0 <= layer < len(self.pinvs):
            raise ReluscopeError(f"layer must be in [0, {len(self.pinvs) - 1}], got {layer}")
        n = self.pinvs[0].shape[0]
        if self.view != "embedded":
            return n
        return n + sum(p.shape[1] - p.rank for p in self.pinvs[: layer + 1])


def pinv(W: torch.Tensor, *, name: str = "W", max_cond: float = MAX_COND) -> Pinv:
    """Moore–Penrose pseudo-inverse of ``W`` (n, m) by SVD: ``W = U S Vᵀ``, ``W⁺ = V S⁻¹ Uᵀ``.

    For full row rank this is the sheet's ``Wᵀ(WWᵀ)⁻¹`` (a right inverse, ``W W⁺ = I_n``); for full column
    rank it is ``(WᵀW)⁻¹Wᵀ`` (a left inverse, ``W⁺ W = I_m``).

    Raises
    ------
    ReluscopeError
        Naming ``name`` if ``W`` is not finite; ``IllConditioned`` if ``cond > max_cond``.
    """
    if not max_cond >= 1:  # NaN too
        raise ReluscopeError(f"max_cond must be a condition number, 1 or more (inf: no limit), got {max_cond}")
    W = W.detach().cpu().to(torch.float64).numpy()  # (n, m); numpy: a layer's matrices are small
    n, m = W.shape
    if not np.isfinite(W).all():
        raise ReluscopeError(f"layer {name}: W ({n}×{m}) has non-finite weights; nothing to back-project",
                             "not_finite")
    U, S, Vh = np.linalg.svd(W, full_matrices=True)  # U (n, n), S (r,), Vh (m, m), r = min(n, m)
    tol = max(n, m) * np.finfo(np.float64).eps * (S[0] if len(S) else 0.0)
    rank = int((S > tol).sum())
    cond = float(S[0] / S[-1]) if rank == len(S) else float("inf")
    if not cond <= max_cond:
        raise IllConditioned(name, (n, m), rank, cond, max_cond)
    matrix = (Vh[:rank].T / S[:rank]) @ U[:, :rank].T  # (m, n)
    return Pinv(name, (n, m), torch.from_numpy(matrix), rank, cond, torch.from_numpy(Vh[rank:].copy()))


def layer_map(layer: Layer, p: Pinv, *, embed: bool) -> AffineMap:
    """``ψ(y) = (y − b) W⁺`` of one layer; with ``embed``, ``(y − b) [W⁺ | Nᵀ]`` into ``R^{max(n, m)}``."""
    A = torch.cat([p.matrix, p.complement.T], dim=1) if embed else p.matrix  # (m, D)
    lin = layer.linear
    b = (torch.zeros(lin.out_features, dtype=torch.float64) if lin.bias is None
         else lin.bias.detach().cpu().to(torch.float64))  # (m,)
    return AffineMap(A, -b @ A)


def backprojection_maps(model: nn.Module, *, view: str = "input", layers: Sequence[int] | None = None,
                        max_cond: float = MAX_COND) -> tuple[dict[int, AffineMap], list[Pinv]]:
    """The composed affine maps ``Φ_l: h_l ↦ x̂_l`` of the requested layers, and every layer's ``Pinv``.

    ``layers``: 0-based indices (``Layer.index``, negative ones count from the end); None: all layers.
    """
    check_view(view)
    all_layers = linear_layers(model)
    idx = select_layers(layers, len(all_layers))
    pinvs = [pinv(lay.linear.weight.T, name=f"{lay.index + 1} (module '{lay.name}')", max_cond=max_cond)
             for lay in all_layers[: max(idx) + 1]]
    first = layer_map(all_layers[0], pinvs[0], embed=view != "input")
    if view == "nonzero":
        n = all_layers[0].linear.in_features
        first = AffineMap(first.A[:, :n], first.c[:n])
    maps, phi = {}, first
    for lay, p in zip(all_layers, pinvs):
        if lay.index > 0:
            step = layer_map(lay, p, embed=view == "embedded")  # (d_k, d_{k-1} + extra)
            phi = step.then(phi.keeping(step.A.shape[1] - phi.A.shape[0]))
        if lay.index in idx:
            maps[lay.index] = phi
    return maps, pinvs


def backproject(model: nn.Module, X, *, view: str = "input", layers: Sequence[int] | None = None,
                pca: int | None = None, pca_fit=None, keep_activations: bool = False,
                max_cond: float = MAX_COND, chunk: int = CHUNK) -> Backprojection:
    """Back-project the points ``X`` (N, n) from the requested layers into the input space.

    One float64 forward pass; at each requested layer ``l`` the activations ``h_l`` (N, d_l) are mapped
    by the composed ``Φ_l``. The pass runs over ``chunk`` points at a time, so every layer's activations
    stay in the CPU cache (for a 512² grid this is 3–4× faster than one pass over all points). With
    ``pca=k`` the result is the first ``k`` PCA scores instead: the PCA is fitted per layer on the
    back-projections of ``pca_fit`` (default: ``X``, one extra pass) and folded into ``Φ_l``, so the
    (N, D) points are never formed.

    Raises
    ------
    ReluscopeError
        On an unknown view, a bad layer index, points of the wrong shape, or a layer with no usable W⁺.
    """
    maps, pinvs = backprojection_maps(model, view=view, layers=layers, max_cond=max_cond)
    lays = linear_layers(model)
    X = as_points(X, lays[0].linear.in_features)  # (N, n)
    result = Backprojection(view, sorted(maps), [lays[i].name for i in sorted(maps)], {}, pinvs)
    if pca is not None:
        for i, h in activations_at(model, X if pca_fit is None else pca_fit, maps):
            pc = fit_pca(maps[i](h), pca)
            result.explained[i] = pc.explained_variance_ratio
            V = torch.from_numpy(pc.components.T)  # (D, k)
            maps[i] = maps[i].then(AffineMap(V, -torch.from_numpy(pc.mean) @ V))
    points = {i: torch.empty(len(X), maps[i].A.shape[1], dtype=torch.float64) for i in maps}
    acts = {i: torch.empty(len(X), lays[i].linear.out_features, dtype=torch.float64)
            for i in (maps if keep_activations else ())}
    for start in range(0, len(X), chunk):
        rows = slice(start, start + chunk)
        for i, h in activations_at(model, X[rows], maps):
            torch.addmm(maps[i].c, h, maps[i].A, out=points[i][rows])  # (chunk, D)
            if keep_activations:
                acts[i][rows] = h
    result.points = {i: p.numpy() for i, p in points.items()}
    result.activations = {i: a.numpy() for i, a in acts.items()}
    return result


@torch.no_grad()
def forward64(model: nn.Module, X, depth: int | None = None):
    """Yield ``(layer, z, h)`` for the first ``depth`` layers (all: None) of a float64 forward pass of ``X``.

    ``z`` (N, d_l) is the pre-activation ``h_{l−1} W_l + b_l`` and ``h = σ(z)`` the activation.
    """
    X = as_points(X, linear_layers(model)[0].linear.in_features)  # (N, n)
    yield from forward_layers(model, X, depth=depth, dtype=torch.float64)


def activations_at(model: nn.Module, X, layers):
    """Yield ``(index, h)`` (h: (N, d_l) float64) for each layer index in ``layers``, in one pass."""
    for lay, _, h in forward64(model, X, max(layers) + 1):
        if lay.index in layers:
            yield lay.index, h


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise ReluscopeError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    return view


def select_layers(layers: Sequence[int] | None, depth: int) -> list[int]:
    """0-based layer indices, negative ones from the end, checked against ``depth``; sorted, unique."""
    if layers is None:
        return list(range(depth))
    out = set()
    for i in layers:
        if not -depth <= i < depth:
            first = f"; layer {i + 1} counting from 1" if i >= 0 else ""
            raise ReluscopeError(f"layer index {i} is out of range for a network with {depth} linear layers "
                                 f"(indices from 0{first})")
        out.add(i % depth)
    if not out:
        raise ReluscopeError("no layer selected")
    return sorted(out)
