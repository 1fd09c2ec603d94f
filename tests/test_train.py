"""Training: Task 0 (clearly better than guessing on every data set), outcomes, determinism, run directories."""

import json
import re

import numpy as np
import pytest
import torch

from reluscope.data import DATASETS, generate, load_dataset, save_csv
from reluscope.errors import ReluscopeError
from reluscope.train import TrainConfig, fit, train_model
from reluscope.train.loop import build_model
from reluscope.studies.training import train_to_dir
from reluscope.train.ensemble import train_ensemble
from reluscope.train.rundir import load_run

RUN_FILES = {"config.json", "metrics.json", "history.csv", "model.pt", "data.npz", "decision_boundary.png"}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_task0_every_dataset_beats_guessing(name):
    _, res = fit(TrainConfig(dataset=name, depth=3, width=32))
    assert res.metrics["status"] == "ok"
    assert res.metrics["test_accuracy"] >= 0.85  # clearly better than guessing (chance ≤ 0.5); checkerboard 0.89


@pytest.mark.slow
def test_task0_on_a_csv_of_spirals(tmp_path):
    X, y = generate("spirals", 1000, random_state=0)
    save_csv(tmp_path / "spirals.csv", X, y)
    _, res = fit(TrainConfig(dataset=str(tmp_path / "spirals.csv")))
    assert res.metrics["test_accuracy"] >= 0.90


def test_same_seed_same_numbers_other_seed_other_numbers():
    cfg = dict(dataset="moons", steps=60, eval_every=20, batch_size=64, optimizer="adam", lr=0.01)
    _, a = fit(TrainConfig(**cfg, seed=5))
    _, b = fit(TrainConfig(**cfg, seed=5))
    _, c = fit(TrainConfig(**cfg, seed=6))
    assert a.history == b.history
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert a.history != c.history


def test_absurd_learning_rate_diverges_as_an_outcome(tmp_path):
    cfg = TrainConfig(dataset="spirals", depth=11, init="normal", lr=1e6, steps=50)
    run = train_to_dir(cfg, tmp_path / "run")
    m = run.metrics
    assert m["status"] == "diverged" and 1 <= m["diverged_at_step"] <= 50
    assert m["diverged_layer"].startswith("layer ")
    assert m["evaluated_at_step"] == run.history[-1]["step"] < m["diverged_at_step"]  # its accuracies' step
    assert m["test_accuracy"] == run.history[-1]["test_accuracy"]
    assert RUN_FILES <= {p.name for p in (tmp_path / "run").iterdir()}


def test_a_run_that_overflows_in_its_last_step_reads_back(tmp_path):
    run = train_to_dir(TrainConfig(dataset="moons", lr=1e38, steps=1), tmp_path / "run")
    assert run.metrics["status"] == "diverged" and run.metrics["diverged_at_step"] == 1
    assert [r["step"] for r in run.history] == [0, 1] and run.metrics["evaluated_at_step"] == 1
    assert np.isfinite(run.history[0]["train_loss"]) and np.isnan(run.history[1]["train_loss"])
    solo = fit(run.config, data=run.data)[1].metrics
    together = train_ensemble([run.config], run.data)[0].metrics
    assert solo["status"] == together["status"] == "diverged"
    assert solo["diverged_layer"] == together["diverged_layer"] == run.metrics["diverged_layer"]


def test_tiny_learning_rate_stalls():
    _, res = fit(TrainConfig(dataset="spirals", lr=1e-7, steps=20, init="torch-default"))
    assert res.metrics["status"] == "stalled"
    assert res.metrics["train_accuracy"] <= res.metrics["chance_accuracy"] + 0.1


def test_run_directory_round_trip_with_snapshots(tmp_path):
    cfg = TrainConfig(dataset="xor", steps=40, eval_every=10, snapshot_every=20)
    run = train_to_dir(cfg, tmp_path / "run")
    assert sorted(run.snapshots) == [0, 20, 40]
    assert run.config == cfg
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics) >= {"status", "train_accuracy", "test_accuracy", "final_loss", "steps_run",
                            "diverged_at_step"}
    X = torch.as_tensor(run.data.X_test, dtype=torch.float32)
    acc = (run.model(X).argmax(1).numpy() == run.data.y_test).mean()
    assert acc == pytest.approx(metrics["test_accuracy"], abs=1e-6)  # the saved model is the trained one
    torch.testing.assert_close(run.model_at(40)(X), run.model(X))
    assert [r["step"] for r in run.history] == [0, 10, 20, 30, 40]


def test_per_layer_widths_set_depth_and_round_trip(tmp_path):
    cfg = TrainConfig(dataset="xor", widths=[8, 3, 5], steps=10, eval_every=5)
    assert (cfg.depth, cfg.width, cfg.hidden_widths) == (4, 8, [8, 3, 5])
    run = train_to_dir(cfg, tmp_path / "run")
    assert run.config == cfg == TrainConfig.from_dict(json.loads((tmp_path / "run" / "config.json").read_text()))
    shapes = [tuple(m.weight.shape) for m in run.model if isinstance(m, torch.nn.Linear)]
    assert shapes == [(8, 2), (3, 8), (5, 3), (2, 5)]
    assert TrainConfig(depth=3, width=7).hidden_widths == [7, 7]


@pytest.mark.parametrize("widths", [[8, 0], [8, -1], [2.5], [True], ["8"], 8, [10**40]])
def test_junk_widths_are_refused(widths):
    with pytest.raises(ReluscopeError, match="widths"):
        TrainConfig(widths=widths).validate()


@pytest.mark.parametrize("field, value, why", [
    ("depth", 2.0, "depth must be a whole number, got 2.0"), ("batch_size", 16.5, "batch_size must be a whole"),
    ("seed", 1.5, "seed must be a whole number"), ("steps", 20.5, "steps must be a whole number, got 20.5"),
    ("steps", True, "steps must be a whole number, got True"), ("lr", "0.1", "lr must be a number, got '0.1'"),
    ("noise", "0.2", "noise must be a number"), ("momentum", False, "momentum must be a number, got False"),
    ("activation", 3, "activation must be text, got 3"),
])
def test_settings_of_the_wrong_type_are_named_before_training(field, value, why):
    with pytest.raises(ReluscopeError, match=re.escape(why)):
        TrainConfig(dataset="moons", **{field: value}).validate()


def test_numpy_integers_and_whole_reals_pass_as_their_kinds():
    cfg = TrainConfig(dataset="moons", depth=np.int64(3), steps=np.int32(5), lr=1, noise=np.float64(0.1)).validate()
    assert type(cfg.depth) is int and type(cfg.steps) is int and cfg.lr == 1
    assert json.loads(json.dumps(cfg.to_dict()))["depth"] == 3


def test_atomic_write_leaves_no_partial_directory(tmp_path, monkeypatch):
    import reluscope.train.rundir as rundir

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rundir.torch, "save", broken)
    with pytest.raises(RuntimeError):
        train_to_dir(TrainConfig(dataset="xor", steps=5), tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_minibatch_uses_the_generator():
    """Same init, same generator seed → the same batches and parameters; another seed → other ones."""
    cfg = TrainConfig(dataset="circles", steps=300, batch_size=32)
    data = load_dataset("circles", 1000, random_state=0)

    def train(batch_seed):
        model = build_model(cfg, data.n_classes, torch.Generator().manual_seed(0))
        return train_model(model, data, cfg, generator=torch.Generator().manual_seed(batch_seed))

    a, b, c = train(1), train(1), train(2)
    assert a.metrics["train_accuracy"] > 0.9 and c.metrics["train_accuracy"] > 0.9
    for p, q, r in zip(a.model.parameters(), b.model.parameters(), c.model.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
        assert not torch.equal(p, r)


@pytest.mark.parametrize("field, value", [("lr", float("inf")), ("momentum", -0.1), ("momentum", 1.0),
                                          ("bias_init", float("nan")), ("noise", float("inf")), ("seed", -1)])
def test_impossible_settings_are_named_before_training(field, value):
    with pytest.raises(ReluscopeError, match=field):
        TrainConfig(**{field: value}).validate()


def test_a_csv_of_identical_points_trains_without_a_reference_scale(tmp_path):
    save_csv(tmp_path / "same.csv", np.zeros((8, 2)), np.array([0, 1] * 4))
    _, res = fit(TrainConfig(dataset=str(tmp_path / "same.csv"), steps=5))
    assert res.metrics["unstable_layer_at_init"] is None and res.metrics["status"] in ("ok", "stalled")


def _normal_11x32(seed: int):
    """The sheet's 11-layer N(0, 1) net on spirals at init, its training points and its config."""
    cfg = TrainConfig(dataset="spirals", depth=11, width=32, init="normal", seed=seed)
    data = load_dataset(cfg.dataset, cfg.n_samples, noise=cfg.noise, random_state=cfg.seed)
    model = build_model(cfg, data.n_classes, torch.Generator().manual_seed(cfg.seed))
    X, y = torch.tensor(data.X_train, dtype=torch.float32), torch.tensor(data.y_train)  # (n, 2), (n,)
    return model, X, y


@pytest.mark.parametrize("seed", range(10))
def test_normal_11x32_starts_with_huge_logits_and_gradients_far_below_them(seed):
    """docs/training.md: the logits' variance is above 10¹⁰, the loss above 10⁴, and every layer's weight gradient
    (root mean square) between 10² and 10⁶: large, but orders of magnitude below the logits' variance."""
    model, X, y = _normal_11x32(seed)
    logits = model(X)  # (n, 2)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    rms = [float(m.weight.grad.pow(2).mean().sqrt()) for m in model if isinstance(m, torch.nn.Linear)]
    assert float(logits.detach().var()) > 1e10 and float(loss.detach()) > 1e4
    assert all(1e2 < g < 1e6 for g in rms), rms


@pytest.mark.slow
def test_normal_11x32_does_not_diverge_at_a_tiny_learning_rate():
    """docs/training.md: N(0, 1) diverges at the rates the defaults were chosen from, not at every rate: at lr 10⁻⁸
    no run of 10 seeds diverges within 300 steps."""
    for seed in range(10):
        _, res = fit(TrainConfig(dataset="spirals", depth=11, width=32, init="normal", seed=seed, lr=1e-8,
                                 steps=300, snapshots=0))
        assert res.metrics["status"] != "diverged", seed


@pytest.mark.parametrize("depth, init", [(3, "he"), (11, "lecun")])
def test_a_full_batch_run_is_the_textbook_loop_bit_for_bit(depth, init):
    """``fit`` takes the steps a plain PyTorch loop takes from the same initial weights: forward, cross-entropy,
    zero_grad, backward, SGD with momentum (foreach, as ``make_optimizer`` asks) — equal parameters, bit for bit."""
    cfg = TrainConfig(dataset="spirals", depth=depth, width=16, steps=40, n_samples=200, init=init, lr=0.05)
    data, res = fit(cfg)
    model = build_model(cfg, data.n_classes, torch.Generator().manual_seed(cfg.seed))
    X, y = torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, foreach=True)
    for _ in range(cfg.steps):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for (name, mine), theirs in zip(res.model.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(mine, theirs), name
