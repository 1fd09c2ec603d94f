"""How a training run ended, and where in the network it went wrong: an outcome, never a crash.

Status of a finished run (``outcome``):

* ``diverged`` — the loss became non-finite at some step; the run stops there and names the first layer
  whose weights or pre-activations were non-finite (``diverged_layer``);
* ``collapsed`` — it learned (best train accuracy above chance + ``STALL_MARGIN``) and then lost it: the final
  train accuracy kept less than half of the best gain over chance. ``collapsed_at_step`` is the first evaluation
  after the best where the accuracy fell below that half-way mark; ``collapsed_layer`` is the first layer that
  passes nothing on at the end (every unit constant over the training points: a ReLU layer whose units are all
  off), if there is one;
* ``stalled`` — otherwise, if the final train accuracy is within ``STALL_MARGIN`` of guessing the majority
  class: it never learned;
* ``ok`` — otherwise.

The final accuracies and loss are those of the last evaluation (every ``eval_every`` steps and at the end),
``evaluated_at_step``: for a run whose loss turned non-finite during training the last one before that step;
for one whose last update overflowed, that step's own (non-finite).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from reluscope.model import forward_layers

STALL_MARGIN = 0.1  # a run that ends within this of chance, without having collapsed, is "stalled"
UNSTABLE_FACTOR = 100.0  # a layer whose E[z²] at init is this many times off the input's is "unstable"


def chance_accuracy(y: np.ndarray) -> float:
    """Accuracy of always guessing the most frequent class."""
    return float(np.bincount(y).max() / len(y))


def layer_name(layer) -> str:
    """``"layer 3 (6)"``: the 3rd Linear (1-based), module "6" of the Sequential."""
    return f"layer {layer.index + 1} ({layer.name})"


@torch.no_grad()
def first_nonfinite_layer(model: nn.Module, X: torch.Tensor) -> str | None:
    """Name of the first linear layer whose weights or pre-activations on ``X`` are not finite; ``None`` if none."""
    for layer, z, _ in forward_layers(model, X):
        if not (torch.isfinite(layer.linear.weight).all() and torch.isfinite(z).all()):
            return layer_name(layer)
    return None


@torch.no_grad()
def first_unstable_layer(model: nn.Module, X: torch.Tensor, factor: float = UNSTABLE_FACTOR) -> str | None:
    """Name of the first hidden layer whose pre-activation second moment on ``X`` is more than ``factor``
    times larger or smaller than the input's (where the activations blow up or die out); ``None`` if none.

    The logits layer is a read-out of a few units and is not judged. Inputs that are all zero (every point
    the same, after standardisation) give no reference: ``None``.
    """
    ref = float(X.double().pow(2).mean())
    if ref == 0.0:
        return None
    for layer, z, _ in forward_layers(model, X):
        ratio = float(z.double().pow(2).mean()) / ref
        if layer.activation is not None and not (1.0 / factor <= ratio <= factor):
            return layer_name(layer)
    return None


@torch.no_grad()
def first_dead_layer(model: nn.Module, X: torch.Tensor) -> str | None:
    """Name of the first hidden layer whose every unit is constant over the points ``X`` (n ≥ 2): it passes no
    information on, so the output is the same for every point. For ReLU: all units off on every point."""
    if len(X) < 2:
        return None
    for layer, _, h in forward_layers(model, X):
        if layer.activation is not None and bool((h == h[:1]).all()):
            return layer_name(layer)
    return None


def outcome(history: list[dict], chance: float, *, diverged_at: int | None, diverged_layer: str | None,
            dead_layer: str | None, steps_run: int) -> dict:
    """The metrics of a finished run from its ``history`` (one row per evaluation): status, final and best
    accuracies, divergence and collapse with their steps and layers (see the module docstring)."""
    last = history[-1]
    best = max(history, key=lambda row: row["train_accuracy"])  # the first of the best rows
    learned = best["train_accuracy"] > chance + STALL_MARGIN
    halfway = chance + (best["train_accuracy"] - chance) / 2
    collapsed_at = None
    if diverged_at is None and learned and last["train_accuracy"] < halfway:
        collapsed_at = next(row["step"] for row in history
                            if row["step"] > best["step"] and row["train_accuracy"] < halfway)
    if diverged_at is not None:
        status = "diverged"
    elif collapsed_at is not None:
        status = "collapsed"
    elif last["train_accuracy"] <= chance + STALL_MARGIN:
        status = "stalled"
    else:
        status = "ok"
    return dict(status=status, train_accuracy=last["train_accuracy"], test_accuracy=last["test_accuracy"],
                final_loss=last["train_loss"], evaluated_at_step=last["step"], steps_run=steps_run,
                chance_accuracy=chance,
                best_train_accuracy=best["train_accuracy"], best_step=best["step"],
                diverged_at_step=diverged_at, diverged_layer=diverged_layer,
                collapsed_at_step=collapsed_at, collapsed_layer=dead_layer if collapsed_at is not None else None)


def describe(metrics: dict) -> str:
    """The status in plain words, with its step and layer, e.g. ``"collapsed at step 500 (best train accuracy
    0.997 at step 450; layer 9 (16) passes nothing on)"``."""
    status = metrics["status"]
    if status == "diverged":
        return f"diverged at step {metrics['diverged_at_step']}: {metrics['diverged_layer']} overflowed"
    if status == "collapsed":
        where = f"; {metrics['collapsed_layer']} passes nothing on" if metrics.get("collapsed_layer") else ""
        return (f"collapsed at step {metrics['collapsed_at_step']} (best train accuracy "
                f"{metrics['best_train_accuracy']:.3f} at step {metrics['best_step']}{where})")
    if status == "stalled":
        return f"stalled (never learned: chance is {metrics['chance_accuracy']:.3f})"
    return status
