"""Mean-field theory against its closed forms, quadrature, Monte Carlo and deep random networks."""

import math
from dataclasses import replace

import numpy as np
from scipy import integrate
import pytest
import torch

from reluscope.errors import ReluscopeError
from reluscope.probe.meanfield import MeanField, critical_sigma_w2, gauss_expectation
from reluscope.train import TrainConfig
from reluscope.train.ensemble import Member, StackedMLP, init_member


@pytest.mark.parametrize("sigma_w2", [0.5, 2.0, 4.0])
def test_relu_cmap_from_orthogonal_inputs_is_one_over_pi(sigma_w2):
    assert MeanField("relu", sigma_w2).cmap(0.0) == pytest.approx(1 / math.pi, abs=1e-12)
    assert MeanField("relu", sigma_w2).cmap(1.0) == pytest.approx(1.0, abs=1e-12)


def test_relu_closed_forms():
    mf = MeanField("relu", 3.0, 0.2)
    assert mf.qmap(1.7) == pytest.approx(3.0 * 1.7 / 2 + 0.2)
    assert mf.chi1() == pytest.approx(1.5)
    assert MeanField("relu", 1.0, 0.3).q_star() == pytest.approx(0.3 / (1 - 0.5))
    assert mf.q_star() == math.inf  # χ₁ > 1: lengths grow without bound
    assert MeanField("relu", 1.2).gradient_depth_scale() == pytest.approx(1 / abs(math.log(0.6)))
    assert MeanField("relu", 2.0).gradient_depth_scale() == math.inf
    assert MeanField("relu", 1.0, 0.3).chi_c() == pytest.approx(0.5)  # finite q* > 0: slope χ₁ at c* = 1
    mf_b = MeanField("relu", 1.0, 0.3)
    q, h = mf_b.q_star(), 1e-6
    slope = (mf_b.cmap(1.0, q) - mf_b.cmap(1.0 - h, q)) / h  # the c-map's own slope at c = 1, not chi_c()
    assert slope == pytest.approx(mf_b.chi1(), rel=1e-3)
    assert critical_sigma_w2("relu") == 2.0
    assert critical_sigma_w2("leaky_relu", negative_slope=0.2) == pytest.approx(2 / 1.04)


@pytest.mark.parametrize("activation, alpha", [("relu", 0.0), ("leaky_relu", 0.2), ("identity", 1.0)])
@pytest.mark.parametrize("c", [-0.9, -0.3, 0.0, 0.5, 0.95])
def test_piecewise_linear_closed_forms_match_monte_carlo(activation, alpha, c):
    rng = np.random.default_rng(0)
    q = 1.7
    x, y = rng.standard_normal((2, 400_000))
    u, v = math.sqrt(q) * x, math.sqrt(q) * (c * x + math.sqrt(1 - c * c) * y)

    def phi(z):
        return np.where(z > 0, z, alpha * z)

    def dphi(z):
        return np.where(z > 0, 1.0, alpha)

    mf = MeanField(activation, 1.0, negative_slope=alpha)
    assert mf.cross_moment(c, q) == pytest.approx(np.mean(phi(u) * phi(v)), abs=0.01)
    assert mf.derivative_cross_moment(c, q) == pytest.approx(np.mean(dphi(u) * dphi(v)), abs=0.005)
    assert mf.second_moment(q) == pytest.approx(np.mean(phi(u) ** 2), rel=0.01)


def test_tanh_quadrature_against_monte_carlo():
    z = np.random.default_rng(1).standard_normal(1_000_000) * math.sqrt(0.8)
    mf = MeanField("tanh", 1.5, 0.05)
    assert mf.second_moment(0.8) == pytest.approx(np.mean(np.tanh(z) ** 2), rel=3e-3)
    assert gauss_expectation(lambda x: x ** 4, 0.8) == pytest.approx(3 * 0.64, rel=1e-10)


@pytest.mark.parametrize("sigma_w2, sigma_b2", [(1.5, 0.05), (3.0, 0.1), (0.8, 0.2)])
def test_tanh_fixed_points_chi1_and_depth_scale(sigma_w2, sigma_b2):
    mf = MeanField("tanh", sigma_w2, sigma_b2)
    q = mf.q_star()
    assert mf.qmap(q) == pytest.approx(q, abs=1e-10)
    c = mf.c_star()
    assert mf.cmap(c, q) == pytest.approx(c, abs=1e-7)
    # χ₁ is the slope of the c-map at c = 1 (at q*)
    h = 1e-4
    assert mf.chi1() == pytest.approx((mf.cmap(1.0, q) - mf.cmap(1.0 - h, q)) / h, rel=2e-3)
    # deviations from c* shrink by χ_c per layer: e^{−1/ξ}
    cs = [c - 0.05 if c == 1.0 else c + 0.05]
    for _ in range(30):
        cs.append(mf.cmap(cs[-1], q))
    ratio = (cs[-1] - c) / (cs[-2] - c)
    assert ratio == pytest.approx(math.exp(-1 / mf.correlation_depth_scale()), rel=1e-3)
    assert ratio == pytest.approx(mf.chi_c(), rel=1e-3)


@pytest.mark.parametrize("sigma_w2", [0.5, 1.0, 2.0, 4.0])
def test_relu_cmap_has_slope_one_at_c_equal_one_for_every_sigma_w2(sigma_w2):
    """σ_b = 0: the c-map is the arc-cosine map J, ``J(1 − h) = 1 − h + (2√2/(3π)) h^{3/2} + O(h²)``, so the
    difference quotient is ``1 − 0.30·√h``: J'(1) = 1, not σ_w²/2 (which is χ₁, the length factor)."""
    mf = MeanField("relu", sigma_w2)
    for h in (1e-4, 1e-6):
        slope = (mf.cmap(1.0) - mf.cmap(1.0 - h)) / h
        assert slope == pytest.approx(1 - 2 * math.sqrt(2) / (3 * math.pi) * math.sqrt(h), abs=h)
    assert mf.chi_c() == 1.0 and mf.correlation_depth_scale() == math.inf
    assert mf.chi1() == pytest.approx(sigma_w2 / 2)
    assert mf.trainable_depth() == pytest.approx(6 * mf.gradient_depth_scale())


def test_relu_correlations_approach_one_polynomially():
    """Iterating J from c = 0: ``(1 − c_l)·l² → 9π²/2`` (Hayou et al. 2019) — no exponential rate."""
    mf, c, products = MeanField("relu", 2.0), 0.0, {}
    for layer in range(1, 10_001):
        c = mf.cmap(c)
        products[layer] = (1 - c) * layer**2
    limit = 9 * math.pi**2 / 2
    assert abs(products[10_000] - limit) < 0.005 * limit
    assert abs(products[10_000] - limit) < abs(products[1_000] - limit) < abs(products[100] - limit)


@pytest.mark.parametrize("sigma_w2", [0.5, 2.0, 4.0])
def test_relu_correlations_of_orthogonal_inputs_after_10_20_and_50_layers(sigma_w2):
    """From c = 0, 1 − c_l is 0.128, 0.052 and 0.012 after 10, 20 and 50 layers, for every σ_w²: two inputs
    become alike with depth, polynomially, (1 − c_l)·l² still far below its limit 9π²/2 ≈ 44.4 there."""
    mf, c, gap = MeanField("relu", sigma_w2), 0.0, {}
    for layer in range(1, 51):
        c = mf.cmap(c)
        gap[layer] = 1 - c
    assert [round(gap[layer], 3) for layer in (10, 20, 50)] == [0.128, 0.052, 0.012]
    assert gap[10] * 10**2 < gap[20] * 20**2 < gap[50] * 50**2 < 9 * math.pi**2 / 2


def test_relu_is_critical_at_two_in_the_gradients_only_when_there_are_biases():
    """χ₁ = σ_w²/2 = 1 at σ_w² = 2 whatever σ_b; with σ_b > 0 the length has no fixed point there: it grows by
    σ_b² per layer."""
    mf = MeanField("relu", 2.0, 0.3)
    assert mf.chi1() == pytest.approx(1.0) and critical_sigma_w2("relu", 0.3) == pytest.approx(2.0)
    assert mf.q_star() == math.inf
    q = mf.q_trajectory(1.0, 50)
    assert np.diff(q) == pytest.approx(np.full(49, 0.3))


def test_he_nets_of_width_16_and_depth_20_typically_start_far_below_the_qmap():
    """3000 He nets (width 16, depth 20, no bias) on the report sweep's 150 moons points: their mean E[z_L²] of
    the logits over the q-map's stays near 1 (the q-map is exact in expectation, but the ratio is heavy-tailed),
    while the median is below 1/10 and most nets start more than 10 times below it (Hanin 2018)."""
    from reluscope.data import load_dataset

    X = torch.tensor(load_dataset("moons", 150, random_state=0).X_train, dtype=torch.float64)  # (150, 2)
    nets, width, depth = 3000, 16, 20
    g = torch.Generator().manual_seed(0)
    sizes = [2] + [width] * (depth - 1) + [2]
    h = X.expand(nets, *X.shape)  # (nets, 150, 2)
    for k in range(depth):
        W = torch.randn(nets, sizes[k], sizes[k + 1], generator=g, dtype=torch.float64) * math.sqrt(2 / sizes[k])
        z = h @ W  # (nets, 150, sizes[k + 1])
        h = z.clamp(min=0)
    qmap = MeanField("relu", 2.0).q_trajectory(float((X**2).mean()), depth)[-1]
    ratio = ((z**2).mean(dim=(1, 2)) / qmap).numpy()  # (nets,)
    assert 0.5 < ratio.mean() < 2.0
    assert np.median(ratio) < 0.1 and (ratio < 0.1).mean() > 0.5


def test_tanh_critical_line_matches_poole_et_al():
    assert critical_sigma_w2("tanh", 0.0) == 1.0  # 1/φ'(0)², in closed form
    assert critical_sigma_w2("tanh", 0.05) == pytest.approx(1.76, abs=0.01)  # Poole et al. 2016, Fig. 2
    assert MeanField("tanh", critical_sigma_w2("tanh", 0.05), 0.05).chi1() == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("activation, sigma_w2, sigma_b2", [
    ("relu", 1.5, 0.0), ("relu", 2.0, 0.0), ("relu", 2.6, 0.1), ("leaky_relu", 2.0, 0.0), ("tanh", 1.8, 0.05)])
def test_random_wide_networks_follow_the_qmap(activation, sigma_w2, sigma_b2):
    """Mean over 16 random nets of width 512: finite-width fluctuations (~√(5/512) ≈ 10 % per layer and net for
    ReLU) average out to a few per cent (2–4.4 % at most over these five cases; 1–3 % over 64 nets), and the
    measured lengths must follow the q-map to 10 %."""
    depth, nets = 9, 16
    cfg = TrainConfig(depth=depth, width=512, activation=activation)
    net = StackedMLP([init_member(Member(replace(cfg, seed=s), sigma_w2, sigma_b2), 2)[0] for s in range(nets)])
    angle = torch.arange(64) * (2 * math.pi / 64)
    X = math.sqrt(2) * torch.stack([angle.cos(), angle.sin()], 1)  # (64, 2), every point has q_in = |x|²/2 = 1
    with torch.no_grad():
        zs = net.preactivations(X)[:-1]  # hidden layers, each (nets, 64, 512)
    measured = np.array([float(z.double().pow(2).mean()) for z in zs])
    theory = MeanField(activation, sigma_w2, sigma_b2).q_trajectory(1.0, depth - 1)
    np.testing.assert_allclose(measured, theory, rtol=0.10)


def test_bad_activation_or_scales():
    with pytest.raises(ReluscopeError, match="gelu"):
        MeanField("gelu")
    with pytest.raises(ReluscopeError, match="σ_w²"):
        MeanField("relu", 0.0)


@pytest.mark.parametrize("q", [0.5, 16.0, 100.0])
def test_tanh_quadrature_at_long_lengths_against_adaptive_quadrature(q):
    """E[φ'(z)²] and E[φ(z)²] for z ~ N(0, q) against scipy's adaptive quad; at q = 16 a fixed 80-node
    Gauss–Hermite rule was 15 % off (sech⁴ is narrow next to the Gaussian)."""
    def expect(f):
        return integrate.quad(lambda z: f(z) * math.exp(-z * z / (2 * q)) / math.sqrt(2 * math.pi * q),
                              -60, 60, points=[0], limit=400, epsabs=1e-13)[0]
    mf = MeanField("tanh", 1.0, 0.0)
    assert mf.derivative_cross_moment(1.0, q) == pytest.approx(expect(lambda z: math.cosh(z) ** -4), rel=1e-7)
    assert mf.second_moment(q) == pytest.approx(expect(lambda z: math.tanh(z) ** 2), rel=1e-7)


@pytest.mark.parametrize("sigma_b2", [5.0, 20.0])
def test_tanh_critical_line_at_large_bias_variance(sigma_b2):
    crit = critical_sigma_w2("tanh", sigma_b2)
    assert crit > 1.76 and MeanField("tanh", crit, sigma_b2).chi1() == pytest.approx(1.0, abs=1e-8)
