"""A run directory: everything one training run produced, written atomically (``reluscope.outputs``).

Layout::

    RUN/config.json          the TrainConfig (enough to rerun)
    RUN/metrics.json         status, accuracies, final_loss, steps_run, diverged_at_step, diverged_layer
    RUN/history.csv          step, train_loss, train_accuracy, test_loss, test_accuracy
    RUN/data.npz             the standardised train/test points and the scaler's mean/std
    RUN/model.pt             the final state_dict
    RUN/snapshots.pt         {step: state_dict} when snapshots were kept
    RUN/decision_boundary.png   (2D inputs; a slice through the data: ``reluscope regions --through``)

``load_run(RUN)`` rebuilds the trained model (``run.model``), its snapshots and data.
"""

from __future__ import annotations

import csv
import json
import pickle
import zipfile
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
from reluscope.train.loop import TrainResult, snapshot
from reluscope.train.runfiles import check_run_dir

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
        model = self.config.architecture(self.data.n_classes, self.data.n_features)
        model.load_state_dict(snapshot(self.snapshots, step))
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

    Every file is checked against the others before a model is built: ``config.json`` must be a JSON object
    whose depth and width match the layers in ``model.pt``, ``data.npz`` must hold (n, d) finite points with
    labels 0 … k−1 for the k logits of the last layer, and every snapshot must have the model's shapes.

    Raises
    ------
    ReluscopeError
        If ``path`` is not a directory, lacks one of the run files, or a file is unreadable or does not fit.
    """
    path = check_run_dir(path)
    try:
        cfg = TrainConfig.from_dict(_json_object(path / "config.json"))
        metrics = _json_object(path / "metrics.json")
        with (path / "history.csv").open() as fh:
            history = [{k: float(v or "nan") for k, v in row.items()} for row in csv.DictReader(fh)]
        with (path / "data.npz").open("rb") as fh, np.load(fh) as npz:  # closed even when the zip is broken
            data = _dataset(npz)
        state = _state_dict(torch.load(path / "model.pt", weights_only=True), "model.pt")
        _check_layers(cfg, data, state)
        model = cfg.architecture(data.n_classes, data.n_features)
        model.load_state_dict(state)
        snap_file = path / "snapshots.pt"
        snapshots = torch.load(snap_file, weights_only=True) if snap_file.is_file() else {}
        if not isinstance(snapshots, dict) or not all(isinstance(k, int) for k in snapshots):
            raise ReluscopeError("snapshots.pt is not a {step: state_dict} mapping")
        shapes = {k: v.shape for k, v in state.items()}
        for step, snap in snapshots.items():
            if {k: v.shape for k, v in _state_dict(snap, f"snapshots.pt (step {step})").items()} != shapes:
                raise ReluscopeError(f"snapshots.pt: step {step} does not have model.pt's parameters")
    except UNREADABLE as e:
        raise ReluscopeError(f"{path}: unreadable run directory ({' '.join(str(e).split())[:300]})") from None
    return Run(path, cfg, metrics, history, data, model.eval(), snapshots)


UNREADABLE = (OSError, ValueError, KeyError, IndexError, RuntimeError, TypeError, AttributeError, EOFError,
              csv.Error, pickle.UnpicklingError, zipfile.BadZipFile)  # what a damaged run file raises when read


def _json_object(path: Path) -> dict:
    obj = json.loads(path.read_text())
    if not isinstance(obj, dict):
        raise ReluscopeError(f"{path.name} is not a JSON object")
    return obj


def _dataset(npz) -> Dataset:
    """The standardised points of ``data.npz``, checked: (n, d) finite floats (the same d ≥ 2 in both parts),
    integer labels from 0."""
    parts = {k: np.asarray(npz[k]) for k in ("X_train", "y_train", "X_test", "y_test", "mean", "std")}
    d = parts["X_train"].shape[1] if parts["X_train"].ndim == 2 else 0
    for x, y in (("X_train", "y_train"), ("X_test", "y_test")):
        X, labels = parts[x], parts[y]
        if X.ndim != 2 or X.shape[1] != d or d < 2 or len(X) == 0 or labels.shape != (len(X),):
            raise ReluscopeError(f"data.npz: {x} {X.shape} and {y} {labels.shape} are not (n, d ≥ 2) and (n,)")
        if not (np.issubdtype(X.dtype, np.floating) and np.isfinite(X).all()):
            raise ReluscopeError(f"data.npz: {x} is not finite floating-point numbers")
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise ReluscopeError(f"data.npz: {y} is not class numbers 0, 1, …")
    if parts["mean"].shape != (d,) or parts["std"].shape != (d,):
        raise ReluscopeError(f"data.npz: mean and std are not {d} numbers each")
    return Dataset(str(npz["name"]), parts["X_train"], parts["y_train"], parts["X_test"], parts["y_test"],
                   Standardizer(parts["mean"], parts["std"]))


def _state_dict(obj, name: str) -> dict:
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ReluscopeError(f"{name} is not a state_dict of tensors")
    return obj


def _check_layers(cfg: TrainConfig, data: Dataset, state: dict) -> None:
    """The linear layers in ``state`` (its 2-D weights, in order) must be the configured MLP's,
    ``data.n_features`` inputs to ``data.n_classes`` logits — checked before the (possibly huge) configured model
    is built."""
    shapes = [tuple(v.shape) for k, v in state.items() if k.endswith("weight") and v.dim() == 2]  # (out, in)
    fits = len(shapes) == cfg.depth and isinstance(cfg.widths, (list, type(None)))  # before listing the widths
    dims = [data.n_features, *cfg.hidden_widths, data.n_classes] if fits else []
    if not fits or shapes != list(zip(dims[1:], dims[:-1])):
        widths = cfg.width if cfg.widths is None else cfg.widths
        raise ReluscopeError(f"config.json (depth {cfg.depth}, width {widths}) and data.npz ({data.n_classes} classes)"
                             f" do not match the {len(shapes)} layers in model.pt")


def _finite(row: dict) -> dict:
    """Non-finite floats as None (JSON has no NaN) — a diverged run's loss is ``null``, not an error.

    In ``history.csv`` None is an empty cell, which ``load_run`` reads back as NaN.
    """
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
