"""How a run ended: ok, stalled (never learned), collapsed (learned, then lost it), diverged — with steps and
layers."""

import math

import pytest
import torch
from torch import nn

from reluscope.model import build_mlp
from reluscope.train import TrainConfig, fit
from reluscope.train import loop
from reluscope.train.loop import lr_factor
from reluscope.train.outcome import STALL_MARGIN, describe, first_dead_layer, outcome


def history(*accuracies, every=50):
    return [dict(step=i * every, train_loss=0.1, train_accuracy=a, test_loss=0.1, test_accuracy=a)
            for i, a in enumerate(accuracies)]


def status(*accuracies, chance=0.5):
    return outcome(history(*accuracies), chance, diverged_at=None, diverged_layer=None, dead_layer="layer 9 (16)",
                   steps_run=50 * (len(accuracies) - 1))


def test_learned_then_lost_is_collapsed_with_its_step_and_best():
    m = status(0.5, 0.9, 0.997, 0.5, 0.6, 0.5)
    assert m["status"] == "collapsed"
    assert (m["best_train_accuracy"], m["best_step"], m["collapsed_at_step"]) == (0.997, 100, 150)
    assert m["collapsed_layer"] == "layer 9 (16)"
    assert describe(m) == ("collapsed at step 150 (best train accuracy 0.997 at step 100; "
                           "layer 9 (16) passes nothing on)")


@pytest.mark.parametrize("accs, expected", [
    ((0.5, 0.55, 0.52), "stalled"),          # never above chance + margin
    ((0.5, 0.9, 0.95, 0.93), "ok"),          # a dip that keeps more than half of the gain
    ((0.5, 0.9, 0.6, 0.95), "ok"),           # lost it, then learned it again
    ((0.5, 0.64, 0.58), "stalled"),          # learned a little, kept more than half, ends near chance
    ((0.5, 0.64, 0.56), "collapsed"),        # learned a little, kept less than half
])
def test_status_from_the_history(accs, expected):
    assert status(*accs)["status"] == expected


def test_stalled_and_ok_have_no_collapse_fields():
    for accs, words in (((0.5, 0.5), "stalled (never learned: chance is 0.500)"), ((0.5, 0.99), "ok")):
        m = status(*accs)
        assert m["collapsed_at_step"] is None and m["collapsed_layer"] is None
        assert describe(m) == words


def test_divergence_wins_over_everything():
    m = outcome(history(0.5, 0.99), 0.5, diverged_at=60, diverged_layer="layer 4 (6)", dead_layer=None,
                steps_run=60)
    assert m["status"] == "diverged" and describe(m) == "diverged at step 60: layer 4 (6) overflowed"


def test_first_dead_layer_is_the_first_layer_whose_units_are_all_off():
    model = build_mlp(2, 8, 4, 2)
    with torch.no_grad():
        model[4].bias.fill_(-1e3)  # 3rd Linear: every unit off on every point
    X = torch.randn(100, 2)
    assert first_dead_layer(model, X) == "layer 3 (4)"
    assert first_dead_layer(build_mlp(2, 8, 4, 2), X) is None
    assert first_dead_layer(nn.Sequential(nn.Linear(2, 2)), X) is None  # no hidden layer


@pytest.mark.slow
def test_seed_1_collapses_at_the_old_constant_learning_rate():
    """The run a student met: He at depth 11 on spirals, SGD lr 0.05 momentum 0.9, no warm-up or schedule."""
    cfg = TrainConfig(dataset="spirals", depth=11, width=32, init="he", seed=1, lr=0.05, momentum=0.9,
                      warmup_steps=0, schedule="constant", clip_norm=None, steps=3000)
    m = fit(cfg)[1].metrics
    assert m["status"] == "collapsed"
    assert m["collapsed_at_step"] == 500 and m["best_step"] == 450
    assert m["best_train_accuracy"] == pytest.approx(0.997, abs=2e-3)
    assert m["train_accuracy"] <= m["chance_accuracy"] + STALL_MARGIN
    assert m["collapsed_layer"] == "layer 9 (16)"


@pytest.mark.parametrize("warmup, schedule", [(0, "constant"), (100, "constant"), (0, "cosine"), (100, "cosine")])
def test_learning_rate_factor(warmup, schedule):
    cfg = TrainConfig(steps=1000, warmup_steps=warmup, schedule=schedule)
    f = lr_factor(cfg)
    cosine = (lambda s: 0.5 * (1 + math.cos(math.pi * s / 1000))) if schedule == "cosine" else (lambda s: 1.0)
    for s in (0, 49, 99, 100, 500, 999):
        warm = min(1.0, (s + 1) / warmup) if warmup else 1.0
        assert f(s) == pytest.approx(warm * cosine(s))
    assert f(999) <= (0.01 if schedule == "cosine" else 1.0)


def test_the_schedule_sets_the_optimizers_learning_rate(monkeypatch):
    """LambdaLR applies the factor: after s steps the optimizer's lr is cfg.lr · factor(s)."""
    cfg = TrainConfig(dataset="moons", steps=40, warmup_steps=10, schedule="cosine", eval_every=40)
    seen = []
    real = loop.make_optimizer

    def spy(params, c):
        seen.append(real(params, c))
        return seen[-1]

    monkeypatch.setattr(loop, "make_optimizer", spy)
    fit(cfg)
    assert seen[0].param_groups[0]["lr"] == pytest.approx(cfg.lr * lr_factor(cfg)(40))
