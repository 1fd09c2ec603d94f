"""Initialisation schemes: each matches its target distribution (KS, as PyTorch's own init tests do)."""

import math

import pytest
import torch
from scipy import stats
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model import build_mlp, init_model_, linear_layers
from reluscope.model.init import INITS, activation_gain, he_normal_, orthogonal_, torch_default_
from reluscope.probe.meanfield import gauss_expectation
from reluscope.train import TrainConfig
from reluscope.train.ensemble import Member, init_member

FAN_OUT, FAN_IN = 96, 160  # weight shape (fan_out, fan_in): 15 360 draws per test


def draws(scheme, **options):
    linear = nn.Linear(FAN_IN, FAN_OUT)
    INITS[scheme].init_(linear, generator=torch.Generator().manual_seed(7), **options)
    return linear.weight.detach().flatten().double().numpy()


TARGETS = {  # scheme, options -> scipy distribution it must follow
    ("normal", ()): stats.norm(0, 1),
    ("normal", (("std", 0.1),)): stats.norm(0, 0.1),
    ("lecun", ()): stats.norm(0, math.sqrt(1 / FAN_IN)),
    ("xavier", ()): stats.norm(0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier-uniform", ()): stats.uniform(-math.sqrt(6 / (FAN_IN + FAN_OUT)), 2 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("he", ()): stats.norm(0, math.sqrt(2 / FAN_IN)),
    ("he", (("activation", "leaky_relu"), ("negative_slope", 0.2))): stats.norm(0, math.sqrt(2 / 1.04 / FAN_IN)),
    ("he", (("mode", "fan_out"),)): stats.norm(0, math.sqrt(2 / FAN_OUT)),
    ("he-fan-out", ()): stats.norm(0, math.sqrt(2 / FAN_OUT)),
    ("he-uniform", ()): stats.uniform(-math.sqrt(6 / FAN_IN), 2 * math.sqrt(6 / FAN_IN)),
    ("torch-default", ()): stats.uniform(-1 / math.sqrt(FAN_IN), 2 / math.sqrt(FAN_IN)),
    ("torch-weights", ()): stats.uniform(-1 / math.sqrt(FAN_IN), 2 / math.sqrt(FAN_IN)),
    ("mean-field", (("sigma_w2", 1.5),)): stats.norm(0, math.sqrt(1.5 / FAN_IN)),
}


@pytest.mark.parametrize("scheme,options", list(TARGETS), ids=[f"{s}{dict(o) or ''}" for s, o in TARGETS])
def test_scheme_matches_its_target_distribution(scheme, options):
    assert stats.kstest(draws(scheme, **dict(options)), TARGETS[scheme, options].cdf).pvalue > 1e-4


def test_he_agrees_with_torch_kaiming_normal():
    ours = draws("he")
    theirs = nn.init.kaiming_normal_(torch.empty(FAN_OUT, FAN_IN), mode="fan_in", nonlinearity="relu",
                                     generator=torch.Generator().manual_seed(8))
    assert stats.ks_2samp(ours, theirs.flatten().numpy()).pvalue > 1e-4


@pytest.mark.parametrize("shape", [(32, 2), (64, 64), (2, 32)])
@pytest.mark.parametrize("g", [1.0, math.sqrt(2), 0.5])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, g):
    w = orthogonal_(torch.empty(shape, dtype=torch.float64), gain=g, generator=torch.Generator().manual_seed(0))
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    torch.testing.assert_close(gram, g**2 * torch.eye(min(shape), dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_orthogonal_in_half_precision_is_the_float32_draw_rounded(dtype):
    """No QR in half precision: the float32 draw from the same generator, rounded into the weight's dtype."""
    w = orthogonal_(torch.empty(8, 2, dtype=dtype), gain=math.sqrt(2), generator=torch.Generator().manual_seed(0))
    ref = orthogonal_(torch.empty(8, 2), gain=math.sqrt(2), generator=torch.Generator().manual_seed(0))
    assert w.dtype == dtype and torch.equal(w, ref.to(dtype))
    torch.testing.assert_close(w.double().T @ w.double(), 2 * torch.eye(2, dtype=torch.float64), atol=3e-2, rtol=0)
    half = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)).to(dtype)
    init_model_(half, "orthogonal", generator=torch.Generator().manual_seed(0))
    assert all(p.dtype == dtype and torch.isfinite(p).all() for p in half.parameters())


def test_a_scheme_that_needs_a_gain_on_gelu_names_the_schemes_that_need_none():
    gelu = nn.Sequential(nn.Linear(2, 8), nn.GELU(), nn.Linear(8, 2))
    with pytest.raises(ReluscopeError, match=r"no initialisation gain known for activation 'gelu'; choose a scheme "
                                             r"whose variance does not follow the activation: normal, lecun, .*lsuv"):
        init_model_(gelu, "he", generator=torch.Generator().manual_seed(0))
    init_model_(gelu, "lecun", generator=torch.Generator().manual_seed(0))


def test_gains_are_torchs():
    assert activation_gain("relu") == pytest.approx(math.sqrt(2))
    assert activation_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert activation_gain("tanh") == pytest.approx(5 / 3)
    assert activation_gain("identity") == 1.0


def test_the_gain_keeps_the_second_moment_for_relu_but_no_constant_does_for_tanh():
    """``E[a(z)²] = E[z²]/gain²`` for (leaky) ReLU at every scale; for tanh the ratio depends on the scale."""
    for q in (0.01, 1.0, 100.0):
        relu = gauss_expectation(lambda z: torch.relu(torch.as_tensor(z)).numpy() ** 2, q)
        assert relu / q == pytest.approx(1 / activation_gain("relu") ** 2, rel=1e-6)
    tanh = {q: gauss_expectation(lambda z: torch.tanh(torch.as_tensor(z)).numpy() ** 2, q) / q for q in (0.01, 1.0)}
    assert tanh[1.0] == pytest.approx(0.3943, abs=1e-3) and tanh[0.01] == pytest.approx(0.98, abs=0.005)
    assert abs(tanh[1.0] - (3 / 5) ** 2) > 0.03


@pytest.mark.parametrize("activation,slope,expected", [("relu", 0.0, 2.0), ("leaky_relu", 0.3, 2 / 1.09),
                                                       ("tanh", 0.0, 25 / 9), ("identity", 0.0, 1.0)])
def test_init_model_takes_the_gain_from_the_networks_activation(activation, slope, expected):
    model = build_mlp(2, 400, 3, 2, activation=activation)
    for m in model:
        if isinstance(m, nn.LeakyReLU):
            m.negative_slope = slope
    init_model_(model, "he", generator=torch.Generator().manual_seed(0))
    w = linear_layers(model)[1].linear.weight.detach()  # (400, 400): E[W²]·n within 3 % of gain²
    assert float(w.pow(2).mean()) * 400 == pytest.approx(expected, rel=0.03)


def test_orthogonal_scheme_in_a_relu_net_has_gain_sqrt2():
    model = init_model_(build_mlp(2, 64, 3, 2), "orthogonal", generator=torch.Generator().manual_seed(0))
    w = linear_layers(model)[1].linear.weight.double()  # (64, 64)
    torch.testing.assert_close(w @ w.T, 2.0 * torch.eye(64, dtype=torch.float64), atol=1e-5, rtol=0)


def test_torch_default_is_what_nn_linear_does_weights_and_biases():
    """The same seed in the global generator (``nn.Linear``) and in ``generator=`` gives the same draws."""
    torch.manual_seed(5)
    reference = nn.Linear(7, 4)
    ours = torch_default_(nn.Linear(7, 4), generator=torch.Generator().manual_seed(5))
    assert torch.equal(ours.weight, reference.weight) and torch.equal(ours.bias, reference.bias)
    model = init_model_(build_mlp(2, 8, 3, 2), "torch-default", generator=torch.Generator().manual_seed(0))
    assert all(torch.all(la.linear.bias != 0) for la in linear_layers(model))
    weights_only = init_model_(build_mlp(2, 8, 3, 2), "torch-weights", generator=torch.Generator().manual_seed(0))
    first, first_weights_only = linear_layers(model)[0].linear, linear_layers(weights_only)[0].linear
    assert torch.equal(first.weight, first_weights_only.weight)  # the same first draws; the biases come after
    assert all(torch.all(la.linear.bias == 0) for la in linear_layers(weights_only))


def test_schemes_that_draw_biases_refuse_a_constant_bias():
    with pytest.raises(ReluscopeError, match="draws its own biases"):
        init_model_(build_mlp(2, 8, 3, 2), "torch-default", bias=0.1)


@pytest.mark.parametrize("sigma_w2, sigma_b2", [(2.0, 0.0), (1.3, 0.05)])
def test_mean_field_scheme_draws_what_the_ensemble_draws(sigma_w2, sigma_b2):
    cfg = TrainConfig(depth=4, width=16, seed=3)
    ensemble, _ = init_member(Member(cfg, sigma_w2, sigma_b2), 2)
    ours = init_model_(cfg.architecture(2), "mean-field", generator=torch.Generator().manual_seed(3),
                       sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    for p, q in zip(ensemble.parameters(), ours.parameters(), strict=True):
        assert torch.equal(p, q)


def test_lsuv_gives_unit_preactivation_std_on_the_batch():
    X = torch.randn(512, 2, generator=torch.Generator().manual_seed(1))  # (512, 2)
    model = init_model_(build_mlp(2, 64, 6, 2), "lsuv", generator=torch.Generator().manual_seed(0), X=X, tol=0.01)
    h = X
    for layer in linear_layers(model):
        z = layer.linear(h).detach()  # (512, width)
        assert float(z.std()) == pytest.approx(1.0, abs=0.01)
        s = torch.linalg.svdvals(layer.linear.weight.detach().double())  # still a scaled orthogonal matrix
        torch.testing.assert_close(s, s[0].expand_as(s), rtol=1e-5, atol=0)
        h = layer.act(z)


def test_lsuv_without_data_is_deterministic_given_the_generator():
    a, b = (init_model_(build_mlp(2, 16, 4, 2), "lsuv", generator=torch.Generator().manual_seed(3))
            for _ in range(2))
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_biases_are_zero_by_default_and_configurable():
    model = init_model_(build_mlp(2, 8, 3, 2), "xavier", generator=torch.Generator().manual_seed(0))
    assert all(torch.all(la.linear.bias == 0.0) for la in linear_layers(model))
    init_model_(model, "lecun", bias=0.1)
    assert all(torch.all(la.linear.bias == 0.1) for la in linear_layers(model))


def test_same_generator_seed_same_weights_different_seed_different():
    def weights(seed):
        return he_normal_(torch.empty(8, 8), generator=torch.Generator().manual_seed(seed))
    assert torch.equal(weights(0), weights(0)) and not torch.equal(weights(0), weights(1))


def test_registry_names_and_default():
    assert {"normal", "lecun", "xavier", "xavier-uniform", "he", "he-uniform", "he-fan-out", "orthogonal",
            "torch-default", "torch-weights", "mean-field", "lsuv"} <= set(INITS)
    assert TrainConfig().init == "he"


@pytest.mark.parametrize("call", [lambda m: init_model_(m, "magic"),
                                  lambda m: init_model_(m, "he", mode="fan_sideways"),
                                  lambda m: init_model_(m, "he", activation="softsign"),
                                  lambda m: init_model_(m, "mean-field", sigma_w2=-1.0)])
def test_bad_requests_raise_one_line_errors(call):
    with pytest.raises(ReluscopeError):
        call(build_mlp(2, 8, 2, 2))
