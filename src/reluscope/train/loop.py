"""Training one MLP classifier with cross-entropy; divergence and stalling are outcomes, not crashes.

Status of a finished run:

* ``diverged`` — the loss became non-finite at some step; the run stops there and names the first layer
  whose weights or pre-activations were non-finite (``diverged_layer``);
* ``stalled`` — the final train accuracy is within ``STALL_MARGIN`` of guessing the majority class;
* ``ok`` — otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from reluscope.data import Dataset, load_dataset
from reluscope.model import init_model_, linear_layers
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device

STALL_MARGIN = 0.1  # a run whose train accuracy is ≤ chance + this is "stalled"
UNSTABLE_FACTOR = 100.0  # a layer whose E[z²] at init is this many times off the input's is "unstable"


@dataclass
class TrainResult:
    """What a training run produced: the trained model, its history and its outcome."""

    model: nn.Sequential
    history: list[dict]  # one row per evaluation: step, train_loss, train_accuracy, test_loss, test_accuracy
    metrics: dict  # status, accuracies, final_loss, steps_run, diverged_at_step, diverged_layer, chance,
    #                unstable_layer_at_init
    snapshots: dict[int, dict] = field(default_factory=dict)  # step -> state_dict (float32 copies)

    def model_at(self, step: int) -> nn.Sequential:
        """A copy of ``model`` with the parameters of snapshot ``step``, in eval mode."""
        model = copy.deepcopy(self.model)
        model.load_state_dict(self.snapshots[step])
        return model.eval()


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)


def chance_accuracy(y: np.ndarray) -> float:
    """Accuracy of always guessing the most frequent class."""
    return float(np.bincount(y).max() / len(y))


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``X`` (n, d), ``y`` (n,)."""
    logits = model(X)  # (n, k)
    return float(nn.functional.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


@torch.no_grad()
def first_nonfinite_layer(model: nn.Module, X: torch.Tensor) -> str | None:
    """Name of the first linear layer whose weights or pre-activations on ``X`` are not finite.

    Returns ``None`` if every layer is finite. Layers are named by their module name, e.g. ``"layer 3 (6)"``
    for the 3rd Linear (1-based), module "6".
    """
    h = X
    for layer in linear_layers(model):
        z = layer.linear(h)  # (n, width)
        if not (torch.isfinite(layer.linear.weight).all() and torch.isfinite(z).all()):
            return f"layer {layer.index + 1} ({layer.name})"
        h = layer.act(z)
    return None


@torch.no_grad()
def first_unstable_layer(model: nn.Module, X: torch.Tensor, factor: float = UNSTABLE_FACTOR) -> str | None:
    """Name of the first hidden layer whose pre-activation second moment on ``X`` is more than ``factor``
    times larger or smaller than the input's (where the activations blow up or die out); ``None`` if none.

    The logits layer is a read-out of a few units and is not judged. Inputs that are all zero (every point
    the same, after standardisation) give no reference: ``None``.
    """
    h = X
    ref = float(X.double().pow(2).mean())
    if ref == 0.0:
        return None
    for layer in linear_layers(model):
        z = layer.linear(h)  # (n, width)
        ratio = float(z.double().pow(2).mean()) / ref
        if layer.activation is not None and not (1.0 / factor <= ratio <= factor):
            return f"layer {layer.index + 1} ({layer.name})"
        h = layer.act(z)
    return None


def train_model(model: nn.Sequential, data: Dataset, cfg: TrainConfig, *,
                generator: torch.Generator | None = None,
                progress: Callable[[int], None] | None = None, device: str | torch.device = "cpu") -> TrainResult:
    """Train ``model`` in place on ``data`` as ``cfg`` says (optimizer, lr, steps, batches, evaluation).

    ``generator`` (a CPU generator) draws the mini-batches (full batch needs none); ``progress(step)`` is called
    after each step. ``device`` is where the steps run; the trained model and snapshots come back on the CPU.
    """
    device = check_device(device)
    model.to(device)
    X_tr, y_tr, X_te, y_te = data.tensors(device)  # (n, 2), (n,), (m, 2), (m,)
    n = len(y_tr)
    batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
    opt = make_optimizer(model, cfg)
    history, snapshots = [], {}

    def record(step: int) -> None:
        tr_loss, tr_acc = evaluate(model, X_tr, y_tr)
        te_loss, te_acc = evaluate(model, X_te, y_te)
        history.append(dict(step=step, train_loss=tr_loss, train_accuracy=tr_acc, test_loss=te_loss,
                            test_accuracy=te_acc))

    def snapshot(step: int) -> None:
        if cfg.is_snapshot_step(step):
            snapshots[step] = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}

    unstable_layer = first_unstable_layer(model, X_tr)
    record(0)
    snapshot(0)
    diverged_at = diverged_layer = None
    step = 0
    for step in range(1, cfg.steps + 1):
        if batch < n:
            idx = torch.randint(n, (batch,), generator=generator).to(device)  # (batch,)
            xb, yb = X_tr[idx], y_tr[idx]
        else:
            xb, yb = X_tr, y_tr
        loss = nn.functional.cross_entropy(model(xb), yb)
        if not torch.isfinite(loss):
            diverged_at, diverged_layer = step, first_nonfinite_layer(model, xb) or "output (loss)"
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if progress is not None:
            progress(step)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            record(step)
        snapshot(step)
    if diverged_at is None and (layer := first_nonfinite_layer(model, X_tr)) is not None:
        diverged_at, diverged_layer = step, layer  # the last step overflowed the weights or the forward pass

    metrics = outcome(history, data, diverged_at, diverged_layer, steps_run=step)
    metrics["unstable_layer_at_init"] = unstable_layer
    return TrainResult(model.to("cpu"), history, metrics, snapshots)


def outcome(history: list[dict], data: Dataset, diverged_at: int | None, diverged_layer: str | None,
            steps_run: int) -> dict:
    """The metrics of a finished run: status (ok, stalled, diverged), final accuracies and loss, divergence."""
    last = history[-1]
    chance = chance_accuracy(data.y_train)
    if diverged_at is not None:
        status = "diverged"
    elif last["train_accuracy"] <= chance + STALL_MARGIN:
        status = "stalled"
    else:
        status = "ok"
    return dict(status=status, train_accuracy=last["train_accuracy"], test_accuracy=last["test_accuracy"],
                final_loss=last["train_loss"], steps_run=steps_run, diverged_at_step=diverged_at,
                diverged_layer=diverged_layer, chance_accuracy=chance)


def build_model(cfg: TrainConfig, n_classes: int, generator: torch.Generator,
                X: torch.Tensor | None = None) -> nn.Sequential:
    """The configured MLP, initialised with ``cfg.init`` from ``generator`` (``X``: batch for ``lsuv``)."""
    return init_model_(cfg.architecture(n_classes), cfg.init, generator=generator, bias=cfg.bias_init, X=X)


def fit(cfg: TrainConfig, *, data: Dataset | None = None,
        progress: Callable[[int], None] | None = None,
        device: str | torch.device = "cpu") -> tuple[Dataset, TrainResult]:
    """Load the data, build and initialise the model, train it: the whole run for ``cfg``.

    One ``torch.Generator`` seeded with ``cfg.seed`` draws the initial weights, then the mini-batches,
    so the same config gives the same numbers.
    """
    cfg.validate()
    data = data or load_dataset(cfg.dataset, cfg.n_samples, noise=cfg.noise, random_state=cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = build_model(cfg, data.n_classes, gen, X=torch.as_tensor(data.X_train, dtype=torch.float32))
    return data, train_model(model, data, cfg, generator=gen, progress=progress, device=device)
