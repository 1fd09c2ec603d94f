"""The plain least-squares affine fit on all rows: the oracle of the equivalence check's reduced fit, shared by the
back-projection and equivalence tests."""

import torch

from reluscope.geometry.equivalence import CONSTANT_RTOL


def affine_fit_residuals(target: torch.Tensor, source: torch.Tensor) -> tuple[float, float]:
    """``(‖R‖²_F, ‖T − T̄‖²_F)`` of the least-squares fit ``target ≈ [source, 1] Θ`` (float64): the
    plain fit on all N rows, the oracle of ``reduced_fit_residuals``'s fit in the thin QR's frame.

    Solved by ``torch.linalg.lstsq`` with the SVD driver (``gelsd``), so a rank-deficient ``source`` is fine.
    A target that is constant to round-off (spread ≤ ``CONSTANT_RTOL``·‖target‖, e.g. the back-projection of a
    layer whose units are all off) is fitted exactly by the constant column: ``(0, 0)``.
    """
    T = target - target.mean(dim=0)  # (N, d_t), centring absorbs the constant column
    if float(T.norm()) <= CONSTANT_RTOL * float(target.norm()):
        return 0.0, 0.0
    S = source - source.mean(dim=0)  # (N, d_s)
    theta = torch.linalg.lstsq(S, T, driver="gelsd").solution  # (d_s, d_t)
    return float(((T - S @ theta) ** 2).sum()), float((T**2).sum())
