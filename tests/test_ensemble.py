"""Batched ensembles: every member is the network trained alone; divergence stays inside its member."""

import math
from dataclasses import replace

import pytest
import torch

from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import build_mlp
from reluscope.train import TrainConfig, fit, train_model
from reluscope.train.ensemble import Member, StackedMLP, init_member, train_ensemble

DATA = load_dataset("moons", 240, random_state=0)


def assert_same_parameters(a, b, atol):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=atol, equal_nan=True)


@pytest.mark.parametrize("optimizer, lr, batch_size, init, schedule", [
    ("sgd", 0.05, None, "he", {}),
    ("adam", 0.01, None, "he", {}),
    ("sgd", 0.05, 32, "torch-default", {}),
    ("sgd", 0.5, None, "he", dict(warmup_steps=20, schedule="cosine", clip_norm=0.3)),  # clipped per member
])
def test_members_match_solo_training_after_100_steps(optimizer, lr, batch_size, init, schedule):
    cfg = TrainConfig(dataset="moons", depth=4, width=16, steps=100, eval_every=25, optimizer=optimizer, lr=lr,
                      batch_size=batch_size, init=init, **schedule)
    configs = [replace(cfg, seed=s) for s in (0, 1, 7)]
    for c, member in zip(configs, train_ensemble(configs, DATA), strict=True):
        _, solo = fit(c, data=DATA)
        assert_same_parameters(member.model, solo.model, atol=1e-5)
        assert member.metrics["status"] == solo.metrics["status"]
        assert member.metrics["steps_run"] == solo.metrics["steps_run"] == 100
        assert [r["step"] for r in member.history] == [r["step"] for r in solo.history]
        assert member.history[-1]["train_loss"] == pytest.approx(solo.history[-1]["train_loss"], abs=1e-5)


def test_stacked_forward_is_each_members_forward():
    models = [build_mlp(2, 8, 3, 3, activation="tanh") for _ in range(4)]
    X = torch.randn(50, 2)
    logits = StackedMLP(models)(X)  # (4, 50, 3)
    templates = [build_mlp(2, 8, 3, 3, activation="tanh") for _ in range(4)]
    net = StackedMLP(models)
    net._models = tuple(templates)  # member(k) must write member k's parameters into these
    for k, m in enumerate(models):
        torch.testing.assert_close(logits[k], m(X), rtol=1e-6, atol=1e-6)
        assert_same_parameters(net.member(k), m, atol=0)


def test_a_diverging_member_leaves_the_others_unchanged():
    cfg = TrainConfig(dataset="moons", depth=6, width=16, steps=60, eval_every=10, lr=0.05)
    healthy = [Member(cfg), Member(replace(cfg, seed=1), sigma_w2=2.0)]
    blow_up = Member(replace(cfg, seed=3), sigma_w2=8.0)  # diverges after a few steps
    alone = train_ensemble(healthy, DATA)
    mixed = train_ensemble([healthy[0], blow_up, healthy[1]], DATA)
    assert mixed[1].metrics["status"] == "diverged"
    assert 1 < mixed[1].metrics["diverged_at_step"] < cfg.steps
    assert mixed[1].metrics["diverged_layer"].startswith("layer ")
    for a, b in zip(alone, [mixed[0], mixed[2]]):
        assert_same_parameters(a.model, b.model, atol=0)
        assert a.history == b.history
    # the diverged member is frozen where training it alone stops
    model, gen = init_member(blow_up, DATA.n_classes)
    solo = train_model(model, DATA, blow_up.config, generator=gen)
    assert solo.metrics["diverged_at_step"] == mixed[1].metrics["diverged_at_step"]
    assert_same_parameters(mixed[1].model, solo.model, atol=1e-5)


def test_all_members_diverging_at_the_first_step_ends_training():
    cfg = TrainConfig(dataset="moons", depth=8, width=16, steps=50)
    res = train_ensemble([Member(cfg, sigma_w2=1e16), Member(cfg, sigma_w2=1e17)], DATA)
    assert [r.metrics["diverged_at_step"] for r in res] == [1, 1]
    assert all(len(r.history) == 1 for r in res)


def test_weight_scales_set_the_init_variance():
    cfg = TrainConfig(depth=3, width=256)
    model, _ = init_member(Member(cfg, sigma_w2=3.0, sigma_b2=0.5), n_classes=2)
    hidden = model[2]  # Linear(256, 256)
    assert hidden.weight.var().item() == pytest.approx(3.0 / 256, rel=0.02)
    assert hidden.bias.var().item() == pytest.approx(0.5, rel=0.2)
    zero_bias, _ = init_member(Member(cfg, sigma_w2=3.0), n_classes=2)
    assert torch.count_nonzero(zero_bias[2].bias) == 0


def test_members_must_share_the_architecture_and_the_optimizer():
    with pytest.raises(ReluscopeError, match="depth"):
        train_ensemble([TrainConfig(depth=3), TrainConfig(depth=4)], DATA)
    with pytest.raises(ReluscopeError, match="lr"):
        train_ensemble([TrainConfig(lr=0.1), TrainConfig(lr=0.2)], DATA)
    with pytest.raises(ReluscopeError, match="at least one"):
        train_ensemble([], DATA)
    with pytest.raises(ReluscopeError, match="σ_w²"):
        train_ensemble([Member(TrainConfig(), sigma_w2=-1.0)], DATA)
    with pytest.raises(ReluscopeError, match="snapshot"):
        train_ensemble([TrainConfig(snapshot_every=10)], DATA)
    with pytest.raises(ReluscopeError, match="architecture"):
        StackedMLP([build_mlp(2, 8, 3), build_mlp(2, 8, 4)])
    with pytest.raises(ReluscopeError, match="bias"):
        StackedMLP([build_mlp(2, 8, 3, bias=False)])


def test_ensemble_learns_like_the_default_training():
    res = train_ensemble([TrainConfig(dataset="moons", steps=300, seed=s) for s in (0, 1)], DATA)
    assert all(r.metrics["status"] == "ok" and r.metrics["test_accuracy"] > 0.9 for r in res)
    assert not math.isnan(res[0].metrics["final_loss"])
