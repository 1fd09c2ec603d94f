"""The affine-equivalence theorem (docs/theory.md §2) checked on random nets, and shown to fail without it."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from torch import nn

from affine_fit import affine_fit_residuals
from nets import random_net
from reluscope.geometry.backproject import backproject, backprojection_maps
from reluscope.geometry.equivalence import LayerEquivalence, check_equivalence

TOL = 1e-8


def net(in_dim, width, depth, n_classes, seed, activation="relu"):
    return random_net(in_dim, width, depth, n_classes, seed, bias_std=0.5, activation=activation)


def cloud(n, dim, seed):
    return 2 * torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def completed_cond(W: torch.Tensor) -> float:
    """κ̄(W) = max(s_max, 1)/min(s_min, 1): the condition number of W with singular values 1 added, which for a
    widening layer is κ(W̃) of its completion W̃ = [W; N] (docs/theory.md §2.5)."""
    s = torch.linalg.svdvals(W.detach().double())
    return float(max(s[0], 1.0) / min(s[-1], 1.0))


def composed_cond(model, upto):
    """∏ κ̄(W_k) over layers 1 … upto+1: bounds the embedded map's κ(A_l), so round-off ≲ it · eps."""
    weights = [lin.weight.T for lin in model if isinstance(lin, nn.Linear)]
    return math.prod(completed_cond(W) for W in weights[: upto + 1])


def test_affine_fit_residuals_oracle():
    S = cloud(200, 3, 1)
    A, c = torch.randn(3, 5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    r, t = affine_fit_residuals(S @ A + c, S)
    assert r / t < 1e-28
    r, t = affine_fit_residuals(S**2, S)  # not affine: a clear residual
    assert r / t > 0.1
    assert affine_fit_residuals(torch.ones(10, 2, dtype=torch.float64), S[:10])[1] == 0.0
    constant = torch.full((300, 3), 0.1, dtype=torch.float64) @ torch.randn(3, 3, dtype=torch.float64)
    assert affine_fit_residuals(constant + 1e-17 * S[:1].expand(300, 3).clone(), torch.zeros(300, 2,
                                dtype=torch.float64)) == (0.0, 0.0)  # constant to round-off: the intercept fits


def test_a_layer_whose_units_are_all_off_is_equivalent():
    """Found by hypothesis (in_dim 3, width 3, depth 4, seed 4081): every unit of layer 3 is off on all points,
    so h_3 is constant, and its back-projection constant up to round-off; constant maps are affinely equivalent."""
    model = net(3, 3, 4, 3, seed=4081)
    for eq in check_equivalence(model, cloud(300, 3, 4082), view="embedded"):
        assert eq.holds(TOL), eq


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(in_dim=st.integers(2, 3), width=st.integers(3, 8), depth=st.integers(1, 4), extra=st.integers(0, 2),
       seed=st.integers(0, 10_000), leaky=st.booleans())
def test_embedded_view_is_globally_equivalent(in_dim, width, depth, extra, seed, leaky):
    """Hidden layers square, output layer narrower: every Φ_l injective, so h_l = ψ(x̂_l) on all points."""
    n_classes = max(2, width - extra)
    model = net(in_dim, width, depth, n_classes, seed, "leaky_relu" if leaky else "relu")
    assume(composed_cond(model, depth - 1) < 1e6)  # the theorem is exact; the float64 check needs this
    for eq in check_equivalence(model, cloud(300, in_dim, seed + 1), view="embedded"):
        assert eq.holds(TOL), eq
        assert eq.n_points == 300 and eq.n_regions == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(in_dim=st.integers(2, 3), widths=st.lists(st.integers(2, 8), min_size=1, max_size=3),
       n_classes=st.integers(2, 8), seed=st.integers(0, 10_000), leaky=st.booleans())
@example(in_dim=2, widths=[3, 2, 7], n_classes=2, seed=1, leaky=False)  # D_3 = 8: more than the widest layer
def test_embedded_view_is_globally_equivalent_for_any_widths(in_dim, widths, n_classes, seed, leaky):
    """Theorem 2 for per-layer widths that narrow, widen and narrow again in any order (e.g. 3 → 2 → 7): every
    W_k of full rank (Gaussian weights), so every Φ_l is injective in its R^{D_l}, D_l = n + Σ (d_k − rank W_k),
    which exceeds the widest layer when the widths narrow and then widen again."""
    model = net(in_dim, widths, len(widths) + 1, n_classes, seed, "leaky_relu" if leaky else "relu")
    assume(composed_cond(model, len(widths)) < 1e6)  # the theorem is exact; the float64 check needs this
    for eq in check_equivalence(model, cloud(300, in_dim, seed + 1), view="embedded"):
        assert eq.holds(TOL), eq
        assert eq.n_points == 300 and eq.n_regions == 1


@settings(max_examples=25, deadline=None)
@given(in_dim=st.integers(1, 3), width=st.integers(3, 8), seed=st.integers(0, 10_000), leaky=st.booleans())
def test_input_view_of_one_layer_is_equivalent_on_every_region(in_dim, width, seed, leaky):
    """Theorem 1(c) for Gaussian W (rank W = n almost surely): equivalence on each activation region."""
    model = net(in_dim, width, 2, 2, seed, "leaky_relu" if leaky else "relu")
    (eq,) = check_equivalence(model, cloud(2000, in_dim, seed + 1), view="input", layers=[0], per_region=True)
    assert eq.holds(TOL), eq
    assert eq.n_regions >= 1 and eq.n_points >= in_dim + 2


@settings(max_examples=25, deadline=None)
@given(in_dim=st.integers(2, 3), width=st.integers(3, 8), depth=st.integers(3, 5), seed=st.integers(0, 10_000))
def test_input_view_of_deeper_layers_is_equivalent_on_every_region_for_random_weights(in_dim, width, depth, seed):
    """Layers l ≥ 2 of Gaussian nets: rank(M A_l) = rank(M) on every region met, as for almost all weights; the
    hand counterexample below shows that it is not so for all."""
    model = net(in_dim, width, depth, 2, seed)
    for eq in check_equivalence(model, cloud(2000, in_dim, seed + 1), view="input", per_region=True)[1:]:
        assert eq.holds(TOL), eq


def test_an_expanding_layer_onto_a_line_is_globally_equivalent_in_the_input_view():
    """d_1 = 2 > n = 1 need not break the input view: W_1 = [1, 1], b = 0 gives h_1 = relu(x)(1, 1) and
    x̂_1 = relu(x), affinely equivalent on all of R (A_1 is injective on the line h_1 moves along); W_1 = [1, −1]
    (``test_one_unit_per_side_example_back_projects_to_x_over_2_yet_fails_globally``) is not."""
    model = nn.Sequential(nn.Linear(1, 2, bias=False), nn.ReLU()).double().requires_grad_(False)
    model[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
    X = torch.linspace(-3, 3, 61, dtype=torch.float64)[:, None]
    assert np.allclose(backproject(model, X, view="input").points[0], torch.relu(X).numpy(), atol=1e-15)
    (eq,) = check_equivalence(model, X, view="input")
    assert eq.holds(TOL) and eq.n_regions == 1


def test_one_layer_region_equivalence_holds_for_a_rank_deficient_w():
    """Theorem 1(c) needs no rank condition: W = [[1, 2, −1], [2, 4, −2]] has rank 1 (its κ is infinite, so
    ``backproject`` refuses it), b = (0.5, −1, 0.2). With g = (h − b) W⁺ each of the four activation regions
    (the bands of x₁ + 2x₂ cut at −0.5, 0.2 and 0.5) is fitted exactly; across them h bends and g does not."""
    W = torch.tensor([[1.0, 2.0, -1.0], [2.0, 4.0, -2.0]], dtype=torch.float64)  # (2, 3), rank 1
    b = torch.tensor([0.5, -1.0, 0.2], dtype=torch.float64)
    assert int(torch.linalg.matrix_rank(W)) == 1
    z = cloud(2000, 2, 7) @ W + b  # (2000, 3)
    h = torch.relu(z)  # (2000, 3)
    g = (h - b) @ torch.linalg.pinv(W)  # (2000, 2)
    patterns, region = np.unique((z > 0).numpy(), axis=0, return_inverse=True)
    assert len(patterns) == 4
    for k in range(len(patterns)):
        on = torch.from_numpy(region.ravel() == k)  # (2000,)
        r, t = affine_fit_residuals(h[on], g[on])
        assert int(on.sum()) >= 4 and r <= 1e-24 * t, (patterns[k], int(on.sum()), r, t)
    r, t = affine_fit_residuals(h, g)
    assert r / t > 0.01  # one affine map does not do it: the regions matter


def test_input_view_of_an_expanding_layer_fails_globally():
    """m > n: the activations span more than n dimensions, no affine map from R^n reaches them."""
    model = net(2, 8, 3, 2, seed=3)
    X = cloud(1000, 2, 4)
    (eq,) = check_equivalence(model, X, view="input", layers=[0])
    assert eq.act_from_bp > 0.1 and not eq.holds(TOL)
    assert eq.bp_from_act < TOL  # the other direction always holds
    assert check_equivalence(model, X, view="embedded", layers=[0])[0].holds(TOL)


def test_hand_counterexample_input_view_collapses_a_region_of_layer_2():
    """n = 1: W1 = [1, 1], b1 = 0; W2 = [[1, 1], [0, 1]], b2 = (0, −10). On 0 < x < 5, unit 1 of layer 2 is
    active and unit 2 inactive: h2 = (x, 0) but x̂2 = ((x, 10) W2⁻¹) W1⁺ = (x + 10 − x)/2 = 5 for every x."""
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU()).double().requires_grad_(False)
    model[0].weight.copy_(torch.tensor([[1.0, 1.0]]).T)
    model[0].bias.zero_()
    model[2].weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 1.0]]).T)
    model[2].bias.copy_(torch.tensor([0.0, -10.0]))
    X = torch.linspace(0.1, 4.9, 50, dtype=torch.float64)[:, None]
    assert np.allclose(backproject(model, X, view="input", layers=[1]).points[1], 5.0, atol=1e-12)
    (eq,) = check_equivalence(model, X, view="input", layers=[1], per_region=True)
    assert eq.n_regions == 1 and eq.act_from_bp > 0.5  # one region, yet no affine map recovers h2
    (eq,) = check_equivalence(model, X, view="embedded", layers=[1], per_region=True)
    assert eq.holds(TOL)  # the embedding keeps (x, 10 − x) W̃1⁻¹ = (5, (2x − 10)/√2): injective


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_contracting_full_column_rank_layer_is_equivalent_globally_for_any_activation(activation):
    """Theorem 1(b), the sheet's own case n ≥ m with W⁺W = I: σ(xW + b) = x̂ W + b everywhere."""
    model = nn.Sequential(nn.Linear(5, 3), nn.Tanh() if activation == "tanh" else nn.ReLU()).double()
    X = cloud(500, 5, 2)
    (eq,) = check_equivalence(model, X, view="input")
    assert eq.holds(TOL)
    bp = backproject(model, X, view="input", keep_activations=True)
    W, b = model[0].weight.detach().T, model[0].bias.detach()
    assert np.allclose(bp.points[0] @ W.numpy() + b.numpy(), bp.activations[0], atol=1e-12)


def test_per_region_needs_piecewise_linear_activations():
    from reluscope.errors import ReluscopeError

    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh()).double()
    with pytest.raises(ReluscopeError, match="tanh is not piecewise linear"):
        check_equivalence(model, cloud(50, 2, 0), per_region=True)


def test_one_unit_per_side_example_back_projects_to_x_over_2_yet_fails_globally():
    """n = 1, W = [1, −1], b = 0: x̂ = x/2 on both regions, but h = (relu(x), relu(−x)) is not affine in x."""
    model = nn.Sequential(nn.Linear(1, 2, bias=False), nn.ReLU()).double().requires_grad_(False)
    model[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
    X = torch.linspace(-2, 2, 41, dtype=torch.float64)[:, None]
    assert np.allclose(backproject(model, X).points[0], X.numpy() / 2, atol=1e-15)
    (eq,) = check_equivalence(model, X, view="input")
    assert eq.act_from_bp > 0.1
    (eq,) = check_equivalence(model, X, view="input", per_region=True)
    assert eq.holds(TOL) and eq.n_regions == 2


def test_a_right_inverse_other_than_moore_penrose_can_collapse_a_region():
    """Theorem 1(c) needs the Moore–Penrose W⁺: W = [−1, 1], b = (−5, 0); on 1.5 ≤ x ≤ 3 only unit 2 is
    active, h = (0, x). The right inverse W⁻ = [−1, 0]ᵀ (W W⁻ = 1) gives x̂ = (5, x) W⁻ = −5 for every x;
    W⁺ = Wᵀ/2 gives x̂ = (x − 5)/2, from which h is recovered."""
    W = torch.tensor([[-1.0, 1.0]], dtype=torch.float64)  # (1, 2)
    b = torch.tensor([-5.0, 0.0], dtype=torch.float64)
    x = torch.linspace(1.5, 3.0, 20, dtype=torch.float64)[:, None]  # (20, 1)
    h = torch.relu(x @ W + b)  # (20, 2) = (0, x)
    for inverse, collapses in ((torch.tensor([[-1.0], [0.0]], dtype=torch.float64), True),
                               (torch.linalg.pinv(W), False)):
        assert torch.allclose(W @ inverse, torch.ones(1, 1, dtype=torch.float64))  # both right inverses
        r, t = affine_fit_residuals(h, (h - b) @ inverse)
        assert (np.sqrt(r / t) > 0.5) == collapses


def test_a_check_on_no_points_does_not_hold():
    """Three points, each region needs n + 2 = 4: nothing is fitted, so nothing is claimed."""
    model = net(2, 6, 3, 2, seed=0)
    for eq in check_equivalence(model, cloud(3, 2, 1), view="input", per_region=True):
        assert eq.n_points == 0 and eq.n_regions == 0 and not eq.holds()
        assert eq.verdict() == "unchecked"  # the command line's word: "layers … unchecked"


def test_a_wide_input_with_too_few_points_per_region_is_unchecked_not_failed():
    """64 inputs need 66 points in one region; 300 points spread over many: no layer is tested, none fails."""
    model = net(64, 16, 2, 10, seed=0)
    checks = check_equivalence(model, cloud(300, 64, 1), view="input", per_region=True)
    assert [(c.n_points, c.verdict()) for c in checks] == [(0, "unchecked"), (0, "unchecked")]


def test_the_verdict_separates_a_failure_from_what_float64_cannot_resolve():
    """``cond·ε₆₄ ≤ tol``: a residual above ``tol`` is a failure; above it, round-off alone may explain it."""
    model = net(2, 6, 3, 2, seed=0)
    checks = check_equivalence(model, cloud(200, 2, 1), view="embedded")
    maps, _ = backprojection_maps(model, view="embedded")
    assert [c.cond for c in checks] == pytest.approx([maps[c.layer].cond for c in checks])
    assert all(c.verdict() == "yes" for c in checks)
    eq = LayerEquivalence(0, "0", act_from_bp=1e-6, bp_from_act=0.0, n_points=10, n_regions=1, cond=10.0)
    assert eq.verdict(1e-8) == "no" and eq.verdict(1e-5) == "yes"
    assert replace(eq, cond=1e9).verdict(1e-8) == "unresolvable"  # 1e9 · 2.2e-16 > 1e-8


def _he_net(widths, seed):
    """A bias-free He net through ``widths``, float64."""
    g, layers = torch.Generator().manual_seed(seed), []
    for n, m in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(n, m, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(m, n, generator=g, dtype=torch.float64) * math.sqrt(2 / n))
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


# (widths, what the test also shows on them): "plain" — the product of the plain κ(W_k) is exceeded by some
# embedded κ(A_l); "input" — some input-view κ(A_l) exceeds even ∏ κ̄(W_k)
WIDTHS = [((2, 32, 32), "plain"), ((2, 32, 32, 2), "plain"), ((2, 3, 6, 2), "plain input"),
          ((2, 8, 4, 8, 2), "plain input"), ((3, 5, 5, 5, 3), "plain input")]


@pytest.mark.parametrize("widths, shows", WIDTHS, ids=lambda v: str(v))
def test_the_embedded_maps_condition_is_bounded_by_the_completed_layers(widths, shows):
    """κ(A_l) ≤ ∏_k κ̄(W_k) in the embedded view, on 40 random He nets per architecture; the product of the
    plain κ(W_k) is no bound there (the completion adds singular values 1), and the input view, whose A_l has
    rank ≤ n, has no such bound."""
    plain_exceeded = input_exceeded = 0
    for seed in range(40):
        model = _he_net(widths, seed)
        weights = [lin.weight.T.detach() for lin in model if isinstance(lin, nn.Linear)]
        embedded, _ = backprojection_maps(model, view="embedded", max_cond=1e12)
        inputs, _ = backprojection_maps(model, view="input", max_cond=1e12)
        for layer, amap in embedded.items():
            bound = math.prod(completed_cond(W) for W in weights[: layer + 1])
            assert amap.cond <= bound * (1 + 1e-9), (seed, layer)
            plain_exceeded += amap.cond > 1.01 * math.prod(float(torch.linalg.cond(W)) for W in weights[: layer + 1])
            input_exceeded += inputs[layer].cond > 1.01 * bound
    shown = {name for name, count in (("plain", plain_exceeded), ("input", input_exceeded)) if count}
    assert shown == set(shows.split()), (plain_exceeded, input_exceeded)


def test_the_example_of_the_theory_2_32_32():
    """docs/theory.md §2.5: the He net 2 → 32 → 32 of seed 0 has κ(W₁) = 1.03 but κ(W̃₁) = 6.42, and its
    embedded κ(A₂) = 683 lies above κ(W₁)κ(W₂) = 215 and below ∏ κ̄ = 1346."""
    model = _he_net((2, 32, 32), 0)
    weights = [lin.weight.T.detach() for lin in model if isinstance(lin, nn.Linear)]
    embedded, _ = backprojection_maps(model, view="embedded")
    plain = [float(torch.linalg.cond(W)) for W in weights]
    assert round(plain[0], 2) == 1.03 and round(completed_cond(weights[0]), 2) == 6.42
    assert (round(embedded[1].cond), round(plain[0] * plain[1])) == (683, 215)
    assert round(completed_cond(weights[0]) * completed_cond(weights[1])) == 1346


@pytest.mark.parametrize("per_region", [False, True])
def test_the_theorems_direction_alone_gives_the_same_residuals(per_region):
    """``reverse=False`` (the live view's residuals panel) fits only ``h_l ≈ [x̂_l, 1] Θ``: the same numbers as
    the full check, and NaN for the direction it skips."""
    model, X = net(2, 8, 4, 3, 5), cloud(300, 2, 6)
    full = check_equivalence(model, X, per_region=per_region)
    half = check_equivalence(model, X, per_region=per_region, reverse=False)
    assert [e.act_from_bp for e in half] == [e.act_from_bp for e in full]
    assert [(e.n_points, e.n_regions, e.cond) for e in half] == [(e.n_points, e.n_regions, e.cond) for e in full]
    assert all(math.isnan(e.bp_from_act) for e in half) and not any(math.isnan(e.bp_from_act) for e in full)


def _full_check(model, X, view, per_region):
    """The residuals by ``affine_fit_residuals`` on the back-projected points themselves (N rows, ``gelsd``)."""
    from reluscope.geometry.equivalence import _groups, activation_patterns

    bp = backproject(model, X, view=view, keep_activations=True)
    patterns = activation_patterns(model, X, bp.layers) if per_region else None
    out = []
    for i in bp.layers:
        h, xh = torch.from_numpy(bp.activations[i]), torch.from_numpy(bp.points[i])
        groups = ([np.arange(len(h))] if patterns is None else
                  [g for g in _groups(patterns[i]) if len(g) >= X.shape[1] + 2])
        sums = np.zeros(4)
        for g in groups:
            sums += [*affine_fit_residuals(h[g], xh[g]), *affine_fit_residuals(xh[g], h[g])]
        out.append([math.sqrt(sums[0] / sums[1]) if sums[1] else 0.0,
                    math.sqrt(sums[2] / sums[3]) if sums[3] else 0.0])
    return np.array(out)


@pytest.mark.parametrize("view", ["embedded", "input", "nonzero"])
@pytest.mark.parametrize("per_region", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_reduced_fit_equals_the_full_least_squares(view, per_region, seed):
    """The QR-reduced fits (k = min(N, d_l) rows) give the residuals of the full N-row least squares on the
    back-projected points, to ``TOL``: where the theorem holds (≈ 1e-15 both ways), where it fails (the input
    view of a widening layer, residuals of order 1), on every region, with dead units (rank-deficient h)."""
    model = net(2, 6 + seed, 3, 3, seed=100 + seed)
    with torch.no_grad():
        model[0].bias[:2] = -50.0  # two units of layer 1 off everywhere: h_1 and what follows rank-deficient
    X = cloud(400, 2, seed)
    full = _full_check(model, X, view, per_region)
    checks = check_equivalence(model, X, view=view, per_region=per_region)
    reduced = np.array([[e.act_from_bp, e.bp_from_act] for e in checks])
    assert np.abs(reduced - full).max() <= TOL, (reduced, full)
    assert (full.max() > 0.1) == (view != "embedded" and not per_region)  # both cases are met
