"""Points inside exact cells and the cells' stored affine maps evaluated there: how the geometry tests check a
``LayerRegions`` against the network itself."""

import numpy as np

from reluscope.geometry.regions import LayerRegions


def interior_points(regions: LayerRegions, n: int = 1, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` random points strictly inside each region: (R, n, 2), Dirichlet-weighted vertex averages."""
    rng = np.random.default_rng(0) if rng is None else rng
    valid = np.arange(regions.vertices.shape[1]) < regions.n_vertices[:, None]  # (R, V)
    w = rng.gamma(1.0, size=(len(regions), n, regions.vertices.shape[1])) * valid[:, None, :]  # (R, n, V)
    w /= w.sum(axis=2, keepdims=True)
    return w @ regions.vertices  # (R, n, 2)


def cell_map(regions: LayerRegions, X: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The stored affine map ``x A[r] + c[r]`` of ``region`` (N,) at points ``X`` (N, 2): (N, width)."""
    return np.einsum("nk,nkw->nw", X, regions.A[region]) + regions.c[region]
