"""The initialisation study (Task 1): depths × schemes × seeds, each run probed at init and trained.

For every run the network is probed at initialisation (``reluscope.probe.stats.probe`` on the training
points, gradients of the cross-entropy included) and the measured per-layer moments are set beside the
theory for the same realised weights (``reluscope.probe.theory.predicted_moments``); then it is trained and its outcome
kept. ``run_init_study`` returns everything as data (``InitStudyResult``), whose ``variance``, ``curves`` and
``histograms`` compute the figures' displays (``reluscope.plots.initstudy``);
``reluscope.studies.initstudy_dir`` writes the study directory.

Why the defaults: SGD with momentum 0.9, lr 0.01, 1500 full-batch steps, width 32. With N(0, 1) weights a
ReLU layer multiplies the second moment by ``n·Var(W)/2 = 16``, so at depth 11 the logits' second moment E[z²]
is about ``2·16¹⁰ ≈ 2·10¹²`` (their pooled variance, the 2-unit layer's pooled mean subtracted, about 0.65 of
that); the first SGD steps then overflow (``diverged`` within 3 steps). He's ``Var(W) = 2/n``
keeps the factor at 1 and trains to ≥ 0.95 train accuracy on spirals and moons within ~300 steps.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from reluscope.data import Dataset, load_dataset
from reluscope.plots.initstudy import CurvesDisplay, HistogramDisplay, VarianceDisplay
from reluscope.probe.stats import capture, probe, table
from reluscope.probe.theory import LayerMoments, predicted_moments
from reluscope.progress import Progress, silent
from reluscope.studies.initstudyconfig import InitStudyConfig
from reluscope.train import TrainResult
from reluscope.train.ensemble import train_ensemble

HISTOGRAM_SCHEMES = ("normal", "he")  # compared layer by layer, as in Glorot & Bengio (2010)
CURVES = ("train_accuracy", "train_loss")  # the history columns drawn over training


@dataclass
class InitStudyResult:
    """Everything the study measured, as data; the figures' displays are computed from it."""

    config: InitStudyConfig
    runs: list[dict] = field(default_factory=list)  # one per run: scheme, depth, seed, then the run's metrics
    layer_stats: list[dict] = field(default_factory=list)  # tidy: scheme, depth, seed, layer, quantity, stats, theory_*
    histories: dict[tuple[str, int, int], list[dict]] = field(default_factory=dict)  # (scheme, depth, seed) -> rows
    activations: dict[str, list[np.ndarray]] = field(default_factory=dict)  # scheme -> per hidden layer h at init

    def add(self, run: TrainResult, data: Dataset, *, scheme: str, depth: int, seed: int) -> None:
        """Keep one trained run: its initial network probed on ``data``'s training points beside the theory, its
        metrics and history, and (first seed, deepest depth, ``HISTOGRAM_SCHEMES``) its hidden activations."""
        initial = run.model_at(0)
        X = data.X_train.astype(np.float32)  # (n_train, 2)
        key = dict(scheme=scheme, depth=depth, seed=seed)
        self.layer_stats += probe_with_theory(initial, X, data.y_train, **key)
        if seed == self.config.base.seed and depth == self.config.deepest > 1 and scheme in HISTOGRAM_SCHEMES:
            self.activations[scheme] = hidden_activations(initial, X)  # only a net with hidden layers
        self.runs.append({**key, **run.metrics})
        self.histories[scheme, depth, seed] = run.history

    def summary(self) -> list[dict]:
        """One row per depth × scheme: the count of runs by every status that occurs in the study, the
        accuracies over seeds, the typical layer that blew up at init, diverged or collapsed."""
        statuses = sorted({r["status"] for r in self.runs})
        rows = []
        for depth in self.config.depths:
            for scheme in self.config.schemes:
                runs = [r for r in self.runs if r["depth"] == depth and r["scheme"] == scheme]
                status = Counter(r["status"] for r in runs)
                train = np.array([r["train_accuracy"] for r in runs])
                rows.append(dict(depth=depth, scheme=scheme, runs=len(runs), **{s: status[s] for s in statuses},
                                 train_accuracy=float(train.mean()), train_accuracy_min=float(train.min()),
                                 test_accuracy=float(np.mean([r["test_accuracy"] for r in runs])),
                                 **{k: _most_common(r.get(k) for r in runs)
                                    for k in ("unstable_layer_at_init", "diverged_layer", "collapsed_layer")}))
        return rows

    def variance(self, depth: int, quantity: str = "pre", schemes: tuple[str, ...] | None = None) -> VarianceDisplay:
        """Measured vs predicted variance per layer at ``depth`` (every scheme of the study, or ``schemes``), each
        scheme in its colour among all of the study's, whichever are shown."""
        display = VarianceDisplay.from_layer_stats(self.layer_stats, depth=depth, quantity=quantity,
                                                   schemes=self.config.schemes)
        return display if schemes is None else replace(display, bands=[b for b in display.bands if b.label in schemes])

    def curves(self) -> list[CurvesDisplay]:
        """Each of ``CURVES`` over training at the deepest depth, one line per scheme."""
        return [CurvesDisplay.from_histories(self.histories, self.runs, depth=self.config.deepest, metric=metric,
                                             schemes=self.config.schemes, dataset=self.config.base.dataset)
                for metric in CURVES]

    def histograms(self) -> list[HistogramDisplay]:
        """Activations at init per hidden layer, deepest depth, first seed: one display per compared scheme."""
        return [HistogramDisplay.from_activations(values, title=f"{scheme}: activations at init, depth "
                                                                f"{self.config.deepest}")
                for scheme, values in self.activations.items()]


def _most_common(values) -> str:
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else ""


def _theory_columns(quantity: str, t: LayerMoments) -> dict:
    if quantity in ("pre", "post"):
        mean, var, m2 = (getattr(t, f"{quantity}_{s}") for s in ("mean", "var", "m2"))
        return dict(theory_mean=mean, theory_var=var, theory_m2=m2)
    m2 = getattr(t, f"{quantity}_m2")  # gradients: mean 0, variance = second moment
    return dict(theory_mean=0.0, theory_var=m2, theory_m2=m2)


def probe_with_theory(model, X: np.ndarray, y: np.ndarray, **columns) -> list[dict]:
    """Tidy rows of the probe on ``(X, y)`` with the theory for the same weights beside each measurement."""
    stats = probe(model, X, y)
    grad_out = next(s.m2 for s in reversed(stats) if s.quantity == "grad_post")  # NaN where the logits overflowed
    theory = predicted_moments(model, float(np.mean(np.square(X))), grad_out if math.isfinite(grad_out) else None,
                               X=X)
    return [{**row, **_theory_columns(row["quantity"], theory[row["layer"] - 1])}
            for row in table(stats, **columns)]


def run_init_study(cfg: InitStudyConfig, *, progress: Progress = silent) -> InitStudyResult:
    """Run every depth × scheme × seed of ``cfg`` and return what was measured.

    For each seed and depth the schemes train together as one ensemble (``train_ensemble``: one batched
    matmul per layer; member k is what ``fit`` would train alone). ``progress(1)`` after each run kept.
    """
    cfg.validate()
    result = InitStudyResult(cfg)
    for seed in cfg.seed_values:
        data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=seed)
        for depth in cfg.depths:
            configs = [cfg.train_config(depth, scheme, seed) for scheme in cfg.schemes]
            for scheme, run in zip(cfg.schemes, train_ensemble(configs, data)):
                result.add(run, data, scheme=scheme, depth=depth, seed=seed)
                progress(1)
    return result


@torch.no_grad()
def hidden_activations(model, X: np.ndarray) -> list[np.ndarray]:
    """Every hidden layer's activations ``h`` on ``X``, flattened (the logits layer left out)."""
    with capture(model) as rec:
        model(torch.as_tensor(X))
    return [h.flatten().numpy().copy() for h in rec.post[:-1]]
