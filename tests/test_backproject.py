"""Back-projection: oracles are torch.linalg (pinv, lstsq, solve, inv), a step-by-step chain and a hand example."""

import re

import numpy as np
import pytest
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import (backproject, backprojection_maps, forward64, pinv)
from reluscope.geometry.pca import fit_pca
from nets import random_net as he_net


def points(n=300, dim=2, seed=1, scale=2.0):
    return scale * torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("shape", [(2, 32), (32, 32), (32, 2), (3, 5)])
def test_pinv_agrees_with_torch_pinv_lstsq_and_the_closed_forms(shape):
    W = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)), dtype=torch.float64)
    P = pinv(W).matrix  # (m, n)
    assert torch.allclose(P, torch.linalg.pinv(W), atol=1e-10, rtol=0)
    # W⁺ is the minimum-norm least-squares solution of W X = I (lstsq solves for column vectors)
    assert torch.allclose(P.T, torch.linalg.lstsq(W.T, torch.eye(shape[1], dtype=W.dtype),
                                                  driver="gelsd").solution, atol=1e-10, rtol=0)
    n, m = shape
    if n <= m:  # the sheet's formula: rows independent, right inverse W W⁺ = I_n
        assert torch.allclose(P, W.T @ torch.linalg.solve(W @ W.T, torch.eye(n, dtype=W.dtype)), atol=1e-10)
        assert torch.allclose(W @ P, torch.eye(n, dtype=W.dtype), atol=1e-10)
    if n >= m:  # columns independent, left inverse W⁺ W = I_m
        assert torch.allclose(P, torch.linalg.solve(W.T @ W, W.T), atol=1e-10)
        assert torch.allclose(P @ W, torch.eye(m, dtype=W.dtype), atol=1e-10)


def test_all_active_path_back_projects_to_x_itself():
    model = he_net(width=8, depth=4)
    X = points()
    h = X
    with torch.no_grad():  # biases just large enough that every hidden unit is active on every point
        for lin in [m for m in model if isinstance(m, nn.Linear)][:-1]:
            lin.bias.copy_(1.0 - (h @ lin.weight.T).min(dim=0).values)
            h = torch.relu(lin(h))
    assert all((z > 0).all() for _, z, _ in list(forward64(model, X))[:-1])  # every hidden unit active
    bp = backproject(model, X, view="input", layers=[0, 1, 2])
    for i in (0, 1, 2):
        assert np.abs(bp.points[i] - X.numpy()).max() < 1e-10
    emb = backproject(model, X, view="embedded", layers=[0, 1, 2])
    for i in (0, 1, 2):  # embedded: (x, 0)
        assert np.abs(emb.points[i][:, :2] - X.numpy()).max() < 1e-10
        assert np.abs(emb.points[i][:, 2:]).max() < 1e-10


def test_hand_worked_2x2_example():
    # W = [[2, 1], [0, 1]] (sheet convention, weight = Wᵀ), b = (−1, 1), W⁻¹ = [[1/2, −1/2], [0, 1]]
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[2.0, 1.0], [0.0, 1.0]]).T)
        model[0].bias.copy_(torch.tensor([-1.0, 1.0]))
    X = torch.tensor([[1.0, 1.0],  # z = (1, 3): both active -> x̂ = x
                      [0.0, -2.0],  # z = (−1, −1): both inactive -> x̂ = −b W⁻¹ = (1/2, −3/2)
                      [1.0, -3.0]],  # z = (1, −1): y − b = (2, −1) -> x̂ = (1, −2)
                     dtype=torch.float64)
    expected = np.array([[1.0, 1.0], [0.5, -1.5], [1.0, -2.0]])
    for view in ("input", "embedded", "nonzero"):  # square W: every view is (y − b) W⁻¹
        assert np.abs(backproject(model, X, view=view).points[0] - expected).max() < 1e-12


def test_composed_maps_equal_the_layer_by_layer_chain():
    model = he_net(width=6, depth=5, n_classes=3)
    X = points()
    acts = {lay.index: h for lay, _, h in forward64(model, X)}
    linears = [m for m in model if isinstance(m, nn.Linear)]
    bp = backproject(model, X, view="input")
    for l in range(len(linears)):
        xh = acts[l]  # (N, d_l)
        for lin in reversed(linears[: l + 1]):  # undo layer l, then l−1, …, then the first
            xh = (xh - lin.bias) @ torch.linalg.pinv(lin.weight.T)
        assert np.abs(bp.points[l] - xh.numpy()).max() < 1e-10


def test_composed_map_condition_number_is_the_singular_value_ratio():
    maps, _ = backprojection_maps(he_net(width=6, depth=4), view="embedded")
    for m in maps.values():
        s = np.linalg.svd(m.A.numpy(), compute_uv=False)
        assert m.cond == pytest.approx(s[0] / s[-1], rel=1e-9)


def test_embedded_first_layer_inverts_the_completed_square_matrix():
    model = he_net(width=8, depth=2)
    X = points()
    W, b = model[0].weight.T, model[0].bias  # (2, 8), (8,)
    p = pinv(W)
    N = p.complement  # (6, 8)
    assert torch.allclose(N @ N.T, torch.eye(6, dtype=W.dtype), atol=1e-12)  # orthonormal
    assert torch.allclose(W @ N.T, torch.zeros(2, 6, dtype=W.dtype), atol=1e-12)  # ⟂ the rows of W
    W_tilde = torch.cat([W, N])  # (8, 8), invertible
    h = torch.relu(X @ W + b)
    expected = (h - b) @ torch.linalg.inv(W_tilde)  # (N, 8)
    emb = backproject(model, X, view="embedded", layers=[0]).points[0]
    assert np.abs(emb - expected.numpy()).max() < 1e-10
    # nonzero = the input's own coordinates of the embedded result = the input view
    for l in (0, 1):
        a = backproject(model, X, view="nonzero", layers=[l]).points[l]
        assert np.abs(a - backproject(model, X, view="embedded", layers=[l]).points[l][:, :2]).max() < 1e-12
        assert np.abs(a - backproject(model, X, view="input", layers=[l]).points[l]).max() < 1e-10


def test_embedded_maps_are_injective_and_input_maps_are_not():
    model = he_net(width=8, depth=4)
    emb, _ = backprojection_maps(model, view="embedded")
    inp, _ = backprojection_maps(model, view="input")
    for l, phi in emb.items():
        d_l = phi.A.shape[0]
        assert torch.linalg.matrix_rank(phi.A) == d_l  # rank d_l: Φ_l injective on all of R^{d_l}
        assert torch.linalg.matrix_rank(inp[l].A) == min(d_l, 2)


def test_pca_option_folds_the_pca_into_the_map():
    model = he_net(width=8, depth=3)
    X = points()
    emb = backproject(model, X, view="embedded", layers=[1]).points[1]  # (N, 8)
    pc = fit_pca(emb, 3)
    for fit in (None, X):
        bp = backproject(model, X, view="embedded", layers=[1], pca=3, pca_fit=fit)
        assert np.abs(bp.points[1] - pc.transform(emb)).max() < 1e-10
        assert np.allclose(bp.explained[1], pc.explained_variance_ratio, atol=1e-12)


def test_rank_deficient_layer_is_named_with_rank_and_condition():
    model = he_net(width=4, depth=3)
    with torch.no_grad():
        model[2].weight[:, 1] = model[2].weight[:, 0]  # two equal columns of Wᵀ: rank 3 of 4
    with pytest.raises(ReluscopeError, match=r"layer 2 \(module '2'\): W \(4×4\) has rank 3 of 4 and "
                                             "condition number inf"):
        backproject(model, points(), view="input")
    with pytest.raises(ReluscopeError, match=re.escape("(pass max_cond=float('inf') to invert it anyway, or "
                                                       "back-project only the layers before it with layers=[…])")):
        backproject(model, points(), view="input")
    backproject(model, points(), view="input", layers=[0])  # the layers below are still fine
    assert backproject(model, points(), view="input", max_cond=float("inf")).points[2].shape == (len(points()), 2)
    for bad in (0.5, float("nan")):
        with pytest.raises(ReluscopeError, match=r"max_cond must be a condition number, 1 or more \(inf: no limit\)"):
            backproject(model, points(), view="input", max_cond=bad)
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(ReluscopeError, match=r"layer 1 \(module '0'\): W \(2×4\) has non-finite weights"):
        backproject(model, points(), layers=[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(view="sideways"), "unknown view 'sideways'"),
    (dict(layers=[4]), "layer index 4 is out of range"),
    (dict(layers=[]), "no layer selected"),
    (dict(pca=3, view="input"), "cannot keep 3 components"),
])
def test_bad_arguments_raise_one_line_errors(kwargs, match):
    with pytest.raises(ReluscopeError, match=match):
        backproject(he_net(depth=4), points(), **kwargs)


def test_bad_points_raise():
    model = he_net()
    with pytest.raises(ReluscopeError, match=r"expected points of shape \(N, 2\), got \(5, 3\)"):
        backproject(model, np.zeros((5, 3)))
    with pytest.raises(ReluscopeError, match="not all finite"):
        backproject(model, np.full((5, 2), np.nan))


def test_negative_layer_index_counts_from_the_end():
    model = he_net(depth=4)
    bp = backproject(model, points(), layers=[-1, 0])
    assert bp.layers == [0, 3] and bp.names == ["0", "6"]


def test_chunked_pass_equals_one_pass():
    model = he_net(width=8, depth=3)
    X = points(n=100)
    one = backproject(model, X, view="embedded", pca=2, keep_activations=True, chunk=1000)
    many = backproject(model, X, view="embedded", pca=2, keep_activations=True, chunk=7)  # 15 chunks, 1 ragged
    for i in one.layers:
        assert np.abs(one.points[i] - many.points[i]).max() < 1e-12
        assert np.array_equal(one.activations[i].shape, many.activations[i].shape)
        assert np.abs(one.activations[i] - many.activations[i]).max() < 1e-12


def test_widths_that_grow_after_layer_one_need_the_widest_layer_not_d1():
    """2 → 3 → 6: ``h_2`` spans 6 dimensions, so no affine map from ``R^{d_1} = R^3`` reproduces it. The
    embedded view completes layer 2 as well and lands in ``R^6``, where the fit is exact to round-off."""
    from affine_fit import affine_fit_residuals
    gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 6), nn.ReLU()).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    X = points(2000, scale=3.0)  # (2000, 2)
    *_, (_, _, h2) = forward64(model, X)  # (2000, 6)
    maps, pinvs = backprojection_maps(model, view="embedded")
    assert maps[1].A.shape == (6, 6) and torch.linalg.matrix_rank(maps[1].A) == 6
    residual, spread = affine_fit_residuals(h2, maps[1](h2))
    assert (residual / spread) ** 0.5 < 1e-12
    # the embedding into R^{d_1}: layer 2 back through W_2⁺ only, then the completed layer 1
    first = maps[0]  # (3, 3): [W_1⁺ | N_1ᵀ]
    small = torch.addmm(-model[2].bias.detach() @ pinvs[1].matrix, h2, pinvs[1].matrix) @ first.A + first.c
    residual, spread = affine_fit_residuals(h2, small)  # (2000, 3)
    assert (residual / spread) ** 0.5 > 0.05
