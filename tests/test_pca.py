"""PCA by SVD: sklearn is the oracle; the sign convention makes the axes a function of the point set."""

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

from reluscope.errors import ReluscopeError
from reluscope.geometry.pca import fit_pca


def cloud(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_matches_sklearn_up_to_sign(k):
    Z = cloud()
    ours, sk = fit_pca(Z, k), SkPCA(k, svd_solver="full").fit(Z)
    assert np.allclose(ours.explained_variance, sk.explained_variance_, rtol=1e-10)
    assert np.allclose(ours.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-10)
    signs = np.sign(np.sum(ours.components * sk.components_, axis=1))  # (k,)
    assert np.allclose(ours.components, signs[:, None] * sk.components_, atol=1e-10)
    assert np.allclose(ours.transform(Z), signs * sk.transform(Z), atol=1e-9)


def test_sign_convention_largest_entry_positive_and_order_free():
    Z = cloud()
    pc = fit_pca(Z, 3)
    rows = np.arange(3)
    assert (pc.components[rows, np.abs(pc.components).argmax(axis=1)] > 0).all()
    perm = np.random.default_rng(1).permutation(len(Z))
    assert np.allclose(fit_pca(Z[perm], 3).components, pc.components, atol=1e-12)
    assert np.allclose(fit_pca(-Z, 3).components, pc.components, atol=1e-12)  # the axis, not its direction
    assert np.allclose(pc.components @ pc.components.T, np.eye(3), atol=1e-12)


def test_full_rank_ratios_sum_to_one_and_scores_have_the_variance():
    Z = cloud(d=4)
    pc = fit_pca(Z, 4)
    assert np.isclose(pc.explained_variance_ratio.sum(), 1.0)
    assert np.allclose(pc.transform(Z).var(axis=0, ddof=1), pc.explained_variance)


@pytest.mark.parametrize("Z, k, match", [
    (np.zeros((10, 2)), 3, "cannot keep 3 components"),
    (np.zeros((1, 2)), 1, "N >= 2"),
    (np.full((5, 2), np.nan), 1, "non-finite"),
    (np.zeros((2, 5)), 3, "2 points cannot keep 3"),
])
def test_bad_input_raises(Z, k, match):
    with pytest.raises(ReluscopeError, match=match):
        fit_pca(Z, k)
