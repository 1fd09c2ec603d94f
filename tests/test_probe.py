"""The probe: statistics equal direct computation, hooks always removed, the model left as it was."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model import build_mlp, init_model_
from reluscope.probe.stats import QUANTITIES, capture, probe, table
from reluscope.train import TrainConfig
from reluscope.studies.training import train_to_dir


def small_model(activation="relu"):
    return init_model_(build_mlp(2, 16, 4, 3, activation=activation), "he", generator=torch.Generator().manual_seed(0))


def data(n=64):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 2, generator=g), torch.randint(3, (n,), generator=g)


def no_hooks(model):
    return all(not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks for m in model.modules())


def test_statistics_equal_a_hand_written_forward_and_backward():
    model, (X, y) = small_model(), data()
    zs, hs, h = [], [], X
    for i in range(0, len(model), 2):  # Linear, ReLU, ..., Linear
        z = model[i](h)
        z.retain_grad()
        h = model[i + 1](z) if i + 1 < len(model) else z
        if i + 1 < len(model):
            h.retain_grad()
        zs.append(z), hs.append(h)
    nn.functional.cross_entropy(h, y).backward()
    rows = {(s.layer, s.quantity): s for s in probe(model, X, y)}
    assert len(rows) == 4 * len(zs)
    for k, (z, h) in enumerate(zip(zs, hs), start=1):
        for q, v in (("pre", z), ("post", h), ("grad_pre", z.grad), ("grad_post", h.grad)):
            v = v.detach().double()
            s = rows[k, q]
            assert s.mean == pytest.approx(float(v.mean()), abs=1e-9)
            assert s.var == pytest.approx(float(v.var(correction=0)), rel=1e-6, abs=1e-12)
            assert s.m2 == pytest.approx(float(v.pow(2).mean()), rel=1e-6, abs=1e-12)
            assert s.max_abs == pytest.approx(float(v.abs().max()), rel=1e-6)
            assert s.frac_zero == pytest.approx(float((v == 0).double().mean()))
        assert rows[k, "pre"].frac_dead == pytest.approx(float((z <= 0).all(0).double().mean()))


def test_probe_leaves_the_model_unchanged_and_hookless():
    model, (X, y) = small_model(), data()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    probe(model, X, y)
    assert no_hooks(model)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert probe(model, X) and all(s.quantity in ("pre", "post") for s in probe(model, X))


@pytest.mark.parametrize("frozen", ["all", "first"])
def test_frozen_parameters_change_no_statistic(frozen):
    """The gradients are taken w.r.t. z and h, not the parameters: freezing them changes no row."""
    model, (X, y) = small_model(), data()
    before = probe(model, X, y)
    (model if frozen == "all" else model[0]).requires_grad_(False)
    assert probe(model, X, y) == before and len(before) == 4 * 4
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("logits,labels,why", [
    (1, lambda y: y % 2, r"y holds class 1, but the model's logits hold classes 0 … 0 only"),
    (3, lambda y: y + 3, r"y holds class 5, but the model's logits hold classes 0 … 2 only"),
    (3, lambda y: y - 1, r"y holds class -1"),
    (3, lambda y: y.float(), r"y must hold integer class indices, got float32 \(convert with y.long\(\)\)"),
    (3, lambda y: y[:-1], r"y must be \(N,\) = \(64,\) class indices, got \(63,\)"),
    (3, lambda y: "labels", r"y must be an array or a tensor"),
])
def test_labels_the_logits_cannot_hold_are_refused_at_the_call(logits, labels, why):
    model, (X, y) = build_mlp(2, 8, 2, logits), data()
    with pytest.raises(ReluscopeError, match=why):
        probe(model, X, labels(y))


def test_capture_removes_hooks_when_the_block_raises():
    model = small_model()
    with pytest.raises(RuntimeError), capture(model):
        model(torch.randn(4, 5))  # wrong input width
    assert no_hooks(model)


def test_layer_without_activation_reports_post_equal_to_pre():
    model = nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
    rows = {(s.layer, s.quantity): s for s in probe(model, data()[0])}
    assert rows[1, "post"].var == rows[1, "pre"].var and rows[1, "post"].kind == "identity"
    assert rows[2, "post"].kind == "tanh" and rows[2, "post"].max_abs < 1


def test_dead_units_and_nonfinite_values_are_counted():
    model = small_model()
    with torch.no_grad():
        model[0].weight[:4] = 0.0
        model[0].bias[:4] = -1.0  # 4 of 16 first-layer units can never open
        model[2].weight[0, 0] = math.inf
    rows = {(s.layer, s.quantity): s for s in probe(model, data()[0])}
    assert rows[1, "pre"].frac_dead == pytest.approx(4 / 16) and rows[1, "post"].frac_zero >= 4 / 16
    assert rows[1, "pre"].nonfinite == 0 and rows[2, "pre"].nonfinite > 0


def test_a_bfloat16_model_is_probed_in_its_own_precision():
    """Zeros and extremes are counted on the model's own entries, whatever dtype numpy lacks (bfloat16)."""
    model = small_model()
    with torch.no_grad():
        model[0].weight[:4] = 0.0
        model[0].bias[:4] = -1.0
    rows = {(s.layer, s.quantity): s for s in probe(model.to(torch.bfloat16), data()[0])}
    assert rows[1, "pre"].frac_dead == pytest.approx(4 / 16) and rows[1, "post"].frac_zero >= 4 / 16


def test_probe_and_table_give_a_tidy_table_at_every_snapshot_of_a_run(tmp_path):
    cfg = TrainConfig(dataset="moons", n_samples=100, depth=3, width=8, steps=4, snapshot_every=2)
    run = train_to_dir(cfg, tmp_path / "run")
    X, y = run.data.X_train, run.data.y_train
    rows = [row for step in sorted(run.snapshots) for row in table(probe(run.model_at(step), X, y), step=step)]
    assert {r["step"] for r in rows} == {0, 2, 4}
    assert len(rows) == 3 * 3 * len(QUANTITIES)
    assert list(rows[0])[:5] == ["step", "layer", "name", "kind", "quantity"]


def test_table_puts_constant_columns_first():
    rows = table(probe(small_model(), data()[0]), scheme="he", seed=3)
    assert list(rows[0])[:3] == ["scheme", "seed", "layer"] and rows[-1]["seed"] == 3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("n", [1, 7, 4001])
def test_each_statistic_equals_numpy_in_float64_on_zeros_infinities_and_nan(dtype, n):
    """The compiled pass's sums, extremes and counts equal numpy's float64 ones on any length (partial sums of
    four and a tail), in every precision; an inf or NaN is counted, and a NaN makes max |v| NaN."""
    from reluscope.probe.stats import _stats
    v = torch.randn(n, generator=torch.Generator().manual_seed(n)).to(dtype)
    v[::3] = 0.0
    a = v.double().numpy()
    got = _stats(v)
    assert got["mean"] == pytest.approx(a.mean(), rel=1e-12, abs=1e-15)
    assert got["m2"] == pytest.approx((a * a).mean(), rel=1e-12)
    assert got["var"] == pytest.approx(a.var(), rel=1e-9, abs=1e-15)
    assert got["max_abs"] == np.abs(a).max() and got["frac_zero"] == (a == 0).mean() and got["nonfinite"] == 0
    v[-1] = -math.inf
    assert _stats(v)["nonfinite"] == 1 and _stats(v)["max_abs"] == math.inf
    v[0] = math.nan
    bad = _stats(v)
    assert bad["nonfinite"] == 1 + (n > 1) and math.isnan(bad["max_abs"])
