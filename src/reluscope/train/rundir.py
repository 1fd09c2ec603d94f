"""A run directory: everything one training run produced, written atomically (``reluscope.outputs``).

Layout::

    RUN/config.json          the TrainConfig (enough to rerun)
    RUN/metrics.json         status, accuracies, final_loss, steps_run, diverged_at_step, diverged_layer
    RUN/history.csv          step, train_loss, train_accuracy, test_loss, test_accuracy
    RUN/data.npz             the standardised train/test points and the scaler's mean/std
    RUN/model.pt             the final state_dict
    RUN/snapshots.pt         {step: state_dict} when snapshots were kept
    RUN/decision_boundary.png

``load_run(RUN)`` rebuilds the trained model (``run.model``), its snapshots and data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from reluscope.data import Dataset, Standardizer
from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_dir, write_csv, write_json
from reluscope.train.config import TrainConfig
from reluscope.train.loop import TrainResult

REQUIRED = ("config.json", "metrics.json", "model.pt", "data.npz")


@dataclass
class Run:
    """A training run read back from its directory."""

    path: Path
    config: TrainConfig
    metrics: dict
    history: list[dict]
    data: Dataset
    model: nn.Sequential  # the final model, float32, in eval mode
    snapshots: dict[int, dict] = field(default_factory=dict)  # step -> state_dict

    def model_at(self, step: int) -> nn.Sequential:
        """A fresh copy of the model with the parameters of snapshot ``step``."""
        model = self.config.architecture(self.data.n_classes)
        model.load_state_dict(self.snapshots[step])
        return model.eval()


def save_run(out: str | Path, cfg: TrainConfig, data: Dataset, result: TrainResult,
             figures: Callable[[Path], None] | None = None) -> Path:
    """Write a complete run directory atomically; ``figures(tmpdir)`` may add figures before the rename."""
    with atomic_dir(out) as tmp:
        write_json(tmp / "config.json", cfg.to_dict())
        write_json(tmp / "metrics.json", _finite(result.metrics))
        write_csv(tmp / "history.csv", [_finite(r) for r in result.history])
        np.savez(tmp / "data.npz", X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
                 y_test=data.y_test, mean=data.scaler.mean, std=data.scaler.std, name=np.array(data.name))
        torch.save(result.model.state_dict(), tmp / "model.pt")
        if result.snapshots:
            torch.save(result.snapshots, tmp / "snapshots.pt")
        if figures is not None:
            figures(tmp)
    return Path(out)


def load_run(path: str | Path) -> Run:
    """Read a run directory written by ``save_run`` (``reluscope train``).

    Raises
    ------
    ReluscopeError
        If ``path`` is not a directory or lacks one of the run files.
    """
    path = Path(path)
    if not path.is_dir():
        raise ReluscopeError(f"run directory not found: {path}")
    missing = [f for f in REQUIRED if not (path / f).is_file()]
    if missing:
        raise ReluscopeError(f"{path} is not a run directory (missing {', '.join(missing)})")
    try:
        cfg = TrainConfig.from_dict(json.loads((path / "config.json").read_text()))
        metrics = json.loads((path / "metrics.json").read_text())
        with (path / "history.csv").open() as fh:
            history = [{k: float(v or "nan") for k, v in row.items()} for row in csv.DictReader(fh)]
        npz = np.load(path / "data.npz")
        data = Dataset(str(npz["name"]), npz["X_train"], npz["y_train"], npz["X_test"], npz["y_test"],
                       Standardizer(npz["mean"], npz["std"]))
        model = cfg.architecture(data.n_classes)
        model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
        snap_file = path / "snapshots.pt"
        snapshots = torch.load(snap_file, weights_only=True) if snap_file.is_file() else {}
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise ReluscopeError(f"{path}: unreadable run directory ({e})") from None
    return Run(path, cfg, metrics, history, data, model.eval(), snapshots)


def _finite(row: dict) -> dict:
    """Non-finite floats as None (JSON has no NaN) — a diverged run's loss is ``null``, not an error.

    In ``history.csv`` None is an empty cell, which ``load_run`` reads back as NaN.
    """
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
