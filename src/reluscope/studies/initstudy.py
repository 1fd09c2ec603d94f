"""The initialisation study (Task 1): depths × schemes × seeds, each run probed at init and trained.

For every run the network is probed at initialisation (``reluscope.probe.stats.probe`` on the training
points, gradients of the cross-entropy included) and the measured per-layer moments are set beside the
theory for the same realised weights (``reluscope.probe.theory.predict``); then it is trained and its outcome
kept. ``run_init_study`` returns everything as data (``InitStudyResult``); with ``out`` it also writes::

    OUT/config.json               the InitStudyConfig
    OUT/runs.csv                  one row per run: status, accuracies, where it diverged / blew up
    OUT/summary.csv, summary.md   one row per depth × scheme, aggregated over seeds
    OUT/layer_stats.csv           tidy: run × layer × quantity, measured and theory columns
    OUT/curves.csv                the training histories
    OUT/variance_by_layer.png     measured pre-activation variance per layer vs theory, one panel per depth
    OUT/training_curves.png       train accuracy and loss per scheme at the deepest depth
    OUT/activation_histograms.png per-layer activations at init, normal vs he, deepest depth (if > 1)

Why the defaults: SGD with momentum 0.9, lr 0.01, 1500 full-batch steps, width 32. With N(0, 1) weights a
ReLU layer multiplies the second moment by ``n·Var(W)/2 = 16``, so at depth 11 the logits' variance is about
``2·16¹⁰ ≈ 2·10¹²``; the first SGD steps then overflow (``diverged`` within 3 steps). He's ``Var(W) = 2/n``
keeps the factor at 1 and trains to ≥ 0.95 train accuracy on spirals and moons within ~300 steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError, refuse_repeats
from reluscope.model.init import check_init
from reluscope.outputs import atomic_dir, prepare_out_dir, write_csv, write_json
from reluscope.plots.initstudy import curves_figure, histograms_figure, variance_figure
from reluscope.plots.style import save
from reluscope.probe.stats import capture, probe, table
from reluscope.probe.theory import LayerMoments, predict
from reluscope.train import TrainConfig
from reluscope.train.ensemble import train_ensemble

SCHEMES = ("normal", "lecun", "xavier", "he", "orthogonal", "torch-default", "lsuv")
HISTOGRAM_SCHEMES = ("normal", "he")  # compared layer by layer, as in Glorot & Bengio (2010)


@dataclass
class InitStudyConfig:
    """What the study runs: every depth × scheme × seed is one training run."""

    dataset: str = "spirals"  # built-in name or CSV path
    n_samples: int = 1000  # points generated
    depths: tuple[int, ...] = (3, 11)  # numbers of linear layers
    schemes: tuple[str, ...] = SCHEMES  # names in reluscope.model.INITS
    seeds: int = 5  # seeds 0 .. seeds-1 (data, init, batches)
    width: int = 32  # hidden width
    activation: str = "relu"
    optimizer: str = "sgd"  # with momentum 0.9
    lr: float = 0.01  # the study's learning rate (see the module docstring)
    steps: int = 1500  # full-batch steps per run
    eval_every: int = 25  # history row every this many steps

    @classmethod
    def quick(cls, **overrides) -> "InitStudyConfig":
        """The small version for the report and the tests: 2 seeds, 300 steps, 500 points."""
        return cls(**{**dict(seeds=2, steps=300, n_samples=500, eval_every=20), **overrides})

    def train_config(self, depth: int, scheme: str, seed: int) -> TrainConfig:
        return TrainConfig(dataset=self.dataset, n_samples=self.n_samples, depth=depth, width=self.width,
                           activation=self.activation, init=scheme, optimizer=self.optimizer, lr=self.lr,
                           steps=self.steps, eval_every=self.eval_every, seed=seed)

    def validate(self) -> "InitStudyConfig":
        """Raise ``ReluscopeError`` naming the first impossible setting; return self."""
        if not self.depths or not self.schemes:
            raise ReluscopeError("need at least one depth and one scheme")
        if self.seeds < 1:
            raise ReluscopeError(f"seeds must be at least 1, got {self.seeds}")
        for name in ("depths", "schemes"):
            refuse_repeats(name, getattr(self, name))
        for scheme in self.schemes:
            check_init(scheme)
        for depth in self.depths:
            self.train_config(depth, self.schemes[0], 0).validate()
        return self

    @property
    def deepest(self) -> int:
        return max(self.depths)


@dataclass
class InitStudyResult:
    """Everything the study measured, as data (the figures are drawn from it)."""

    config: InitStudyConfig
    runs: list[dict]  # one per run: scheme, depth, seed, status, accuracies, diverged_*, unstable_layer_at_init
    layer_stats: list[dict]  # tidy: scheme, depth, seed, layer, quantity, measured stats, theory_{mean,var,m2}
    histories: dict[tuple[str, int, int], list[dict]]  # (scheme, depth, seed) -> training history rows
    activations: dict[str, list[np.ndarray]] = field(default_factory=dict)  # scheme -> per layer h at init

    def summary(self) -> list[dict]:
        """One row per depth × scheme: status counts and accuracies over seeds, the typical failing layer."""
        rows = []
        for depth in self.config.depths:
            for scheme in self.config.schemes:
                runs = [r for r in self.runs if r["depth"] == depth and r["scheme"] == scheme]
                status = Counter(r["status"] for r in runs)
                train = np.array([r["train_accuracy"] for r in runs])
                rows.append(dict(depth=depth, scheme=scheme, runs=len(runs), ok=status["ok"],
                                 stalled=status["stalled"], diverged=status["diverged"],
                                 train_accuracy=float(train.mean()), train_accuracy_min=float(train.min()),
                                 test_accuracy=float(np.mean([r["test_accuracy"] for r in runs])),
                                 unstable_layer_at_init=_most_common(r["unstable_layer_at_init"] for r in runs),
                                 diverged_layer=_most_common(r["diverged_layer"] for r in runs)))
        return rows


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
    grad_out = next(s.m2 for s in reversed(stats) if s.quantity == "grad_post")
    theory = predict(model, float(np.mean(np.square(X))), grad_out)
    return [{**row, **_theory_columns(row["quantity"], theory[row["layer"] - 1])}
            for row in table(stats, **columns)]


def run_init_study(cfg: InitStudyConfig, out: str | Path | None = None, *, force: bool = False,
                   progress: Callable[[], None] | None = None) -> InitStudyResult:
    """Run every depth × scheme × seed of ``cfg``; with ``out`` write the study directory atomically.

    For each seed and depth the schemes train together as one ensemble (``train_ensemble``: one batched
    matmul per layer; member k is what ``fit`` would train alone). ``progress()`` is called after each run.
    """
    cfg.validate()
    if out is not None:
        prepare_out_dir(out, force=force)
    runs, layer_stats, histories, activations = [], [], {}, {}
    for seed in range(cfg.seeds):
        data = load_dataset(cfg.dataset, cfg.n_samples, random_state=seed)
        X = data.X_train.astype(np.float32)  # (n_train, 2)
        for depth in cfg.depths:
            configs = [cfg.train_config(depth, scheme, seed) for scheme in cfg.schemes]
            results = train_ensemble(configs, data)
            for scheme, res in zip(cfg.schemes, results):
                initial = res.model_at(0)
                key = dict(scheme=scheme, depth=depth, seed=seed)
                layer_stats += probe_with_theory(initial, X, data.y_train, **key)
                if seed == 0 and depth == cfg.deepest > 1 and scheme in HISTOGRAM_SCHEMES:  # has hidden layers
                    activations[scheme] = hidden_activations(initial, X)
                m = res.metrics
                runs.append({**key, **{k: m[k] for k in ("status", "train_accuracy", "test_accuracy",
                                                         "chance_accuracy", "diverged_at_step", "diverged_layer",
                                                         "unstable_layer_at_init")}})
                histories[scheme, depth, seed] = res.history
                if progress is not None:
                    progress()
    result = InitStudyResult(cfg, runs, layer_stats, histories, activations)
    if out is not None:
        write_study(result, out)
    return result


@torch.no_grad()
def hidden_activations(model, X: np.ndarray) -> list[np.ndarray]:
    """Every hidden layer's activations ``h`` on ``X``, flattened (the logits layer left out)."""
    with capture(model) as rec:
        model(torch.as_tensor(X))
    return [h.flatten().numpy().copy() for h in rec.post[:-1]]


def _markdown(rows: list[dict]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r[k]) for k in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_study(result: InitStudyResult, out: str | Path) -> Path:
    """Write the study directory (tables and figures) atomically."""
    cfg = result.config
    with atomic_dir(out) as tmp:
        write_json(tmp / "config.json", asdict(cfg))
        write_csv(tmp / "runs.csv", result.runs)
        summary = result.summary()
        write_csv(tmp / "summary.csv", summary)
        (tmp / "summary.md").write_text(f"Init study on {cfg.dataset}, width {cfg.width}, {cfg.optimizer} lr "
                                        f"{cfg.lr}, {cfg.steps} steps, {cfg.seeds} seeds\n\n" + _markdown(summary))
        write_csv(tmp / "layer_stats.csv", result.layer_stats)
        write_csv(tmp / "curves.csv", [{"scheme": s, "depth": d, "seed": k, **row}
                                       for (s, d, k), rows in result.histories.items() for row in rows])
        save(variance_figure(result), tmp / "variance_by_layer.png")
        save(curves_figure(result), tmp / "training_curves.png")
        if result.activations:
            save(histograms_figure(result), tmp / "activation_histograms.png")
    return Path(out)
