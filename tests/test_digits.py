"""The sheet's Task 0 and Task 1 on the 64-pixel digits: training, the run directory, the variance per layer
against the theory with the input's own second moment."""

import numpy as np
import pytest
import torch

from reluscope.data import load_dataset
from reluscope.model import build_mlp, init_model_
from reluscope.probe.stats import probe
from reluscope.probe.theory import predicted_moments
from reluscope.studies.training import train_to_dir
from reluscope.train import TrainConfig, fit


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", random_state=0)


def variance_per_layer(scheme, seeds, X):
    """Per layer and seed: measured Var(z) of an 11-layer net of width 256 on the digits, and the theory for
    the same weights from the digits' own E[x²] and kernel: two (seeds, 11) arrays."""
    measured, theory = [], []
    for seed in seeds:
        model = init_model_(build_mlp(64, 256, 11, 256, bias=False), scheme,
                            generator=torch.Generator().manual_seed(seed))
        measured.append([s.var for s in probe(model, X) if s.quantity == "pre"])
        theory.append([t.pre_var for t in predicted_moments(model, float(X.pow(2).mean()), X=X)])
    return np.array(measured), np.array(theory)


def test_he_variance_on_the_digits_follows_the_theory_at_every_layer(digits):
    X = torch.as_tensor(digits.X_train, dtype=torch.float32)  # (1347, 64)
    measured, theory = variance_per_layer("he", range(10), X)
    np.testing.assert_array_less(np.abs(measured.mean(0) / theory.mean(0) - 1), 0.35)
    m2 = float(X.pow(2).mean())  # below 1: a few pixels are blank in every training image
    assert 0.9 < m2 < 1.0
    assert theory.mean(0)[0] == pytest.approx(2 * m2, rel=0.1)  # He: Var(z₁) = 2/64 · Σ x² = 2·E[x²]


def test_normal_variance_on_the_digits_grows_as_the_theory_says(digits):
    X = torch.as_tensor(digits.X_train, dtype=torch.float32)
    measured, theory = variance_per_layer("normal", range(5), X)
    np.testing.assert_array_less(np.abs(np.log10(measured.mean(0)) - np.log10(theory.mean(0))), 0.5)
    np.testing.assert_allclose(theory.mean(0)[2:] / theory.mean(0)[1:-1], 128, rtol=0.02)  # n·Var(W)/2
    assert theory.mean(0)[0] == pytest.approx(64 * float(X.pow(2).mean()), rel=0.05)  # Var(z₁) = Σ x²


@pytest.mark.slow
def test_digits_at_depth_3_reach_test_accuracy_095():
    _, result = fit(TrainConfig(dataset="digits", depth=3, width=64, steps=600, seed=0))
    assert result.metrics["status"] == "ok" and result.metrics["test_accuracy"] >= 0.95


def test_a_digits_run_directory_reads_back(tmp_path):
    cfg = TrainConfig(dataset="digits", depth=2, width=16, steps=20, snapshots=2)
    run = train_to_dir(cfg, tmp_path / "run")
    assert run.data.n_features == 64 and run.model[0].in_features == 64
    assert not (tmp_path / "run" / "decision_boundary.png").exists()  # the plane's figure: 2D inputs only
    X = torch.as_tensor(run.data.X, dtype=torch.float32)
    assert torch.equal(run.model_at(max(run.snapshots))(X), run.model(X))
