"""Principal component analysis by SVD in float64, deterministic, with a fixed sign convention.

For points ``Z`` (N, D) with mean ``μ``, the centred matrix has the thin SVD ``Z − μ = U S Vᵀ``. The
principal axes are the rows of ``Vᵀ`` (descending ``S``), the scores ``(Z − μ) V_k``, the explained
variance ``S² / (N − 1)`` and its ratio ``S² / ΣS²`` (the share of the total variance, over all ``D``
directions). A tall ``Z`` is first reduced by QR (``Z − μ = Q R``, then the SVD of the ``D × D`` factor
``R``, which has the same singular values and right singular vectors), three times faster than a thin
SVD of the tall matrix. The sign of each axis is fixed so that its entry of largest absolute value is
positive (the first such entry on a tie): the axes then depend on the point *set*, not on the order of
the points or on the SVD routine's arbitrary signs (``tests/test_pca.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reluscope.errors import ReluscopeError


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: ``transform(Z) = (Z − mean) @ components.T``."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (k, D), orthonormal rows, largest-|entry| positive
    explained_variance: np.ndarray  # (k,), S² / (N − 1)
    explained_variance_ratio: np.ndarray  # (k,), S² / ΣS² over all D directions

    def transform(self, Z) -> np.ndarray:
        """Scores of the points ``Z`` (N, D): (N, k) float64."""
        return (np.asarray(Z, dtype=np.float64) - self.mean) @ self.components.T


def fit_pca(Z, k: int = 2) -> PCA:
    """Fit the first ``k`` principal axes of ``Z`` (N, D), numpy or tensor, in float64.

    Raises
    ------
    ReluscopeError
        If ``Z`` is not a finite 2-D array with at least two points, or ``k`` is not in ``1 … D``.
    """
    Z = torch.as_tensor(np.asarray(Z), dtype=torch.float64)  # (N, D)
    if Z.ndim != 2 or Z.shape[0] < 2:
        raise ReluscopeError(f"PCA needs an (N, D) array with N >= 2, got shape {tuple(Z.shape)}")
    if not 1 <= k <= Z.shape[1]:
        raise ReluscopeError(f"PCA of {Z.shape[1]}-dimensional points cannot keep {k} components")
    if not torch.isfinite(Z).all():
        raise ReluscopeError("PCA got non-finite points", "not_finite")
    mean = Z.mean(dim=0)  # (D,)
    Zc = Z - mean  # (N, D)
    if Zc.shape[0] > Zc.shape[1]:  # tall: Zc = Q R has the singular values and axes of R, at N·D² cost
        Zc = torch.linalg.qr(Zc, mode="r").R  # (D, D)
    _, S, Vh = torch.linalg.svd(Zc, full_matrices=False)  # S (r,), Vh (r, D), r = min(N, D)
    Vh = Vh[:k]  # (k, D)
    if Vh.shape[0] < k:  # N < k: fewer points than components
        raise ReluscopeError(f"PCA of {Z.shape[0]} points cannot keep {k} components")
    pivot = Vh.abs().argmax(dim=1, keepdim=True)  # (k, 1)
    Vh = Vh * torch.sign(Vh.gather(1, pivot))  # (k, D)
    total = (S**2).sum()
    ratio = (S[:k] ** 2 / total) if total > 0 else torch.zeros(k, dtype=torch.float64)
    return PCA(mean.numpy(), Vh.numpy(), (S[:k] ** 2 / (Z.shape[0] - 1)).numpy(), ratio.numpy())
