"""Training with cross-entropy: one loop for one network and for K networks trained together.

``train_model`` trains one ``nn.Sequential`` (any Linear + activation stack) and ``train_ensemble``
(``reluscope.train.ensemble``) K MLPs as stacked parameters; both hand ``train_nets`` a module whose logits are
(K, n, c) (``reluscope.train.stacked``), so every step — batches, loss, schedule, clipping, divergence,
evaluation, snapshots — is written once. Member k's loss is its mean cross-entropy; the loop steps the sum of
the members' losses, whose gradient in member k's parameters is member k's own, and the optimizers act
elementwise, so each member trains exactly as it would alone.

A member whose loss turns non-finite is frozen at that step (its parameters restored after every later
optimizer step, its loss no longer in the sum) and reported ``diverged``; how a run ended is
``reluscope.train.outcome``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from reluscope.data import Dataset, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import init_model_
from reluscope.progress import Progress, silent
from reluscope.train.budget import check_run_budget
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device
from reluscope.train.outcome import (chance_accuracy, first_dead_layer, first_nonfinite_layer,
                                     first_unstable_layer, outcome)
from reluscope.train.stacked import SingleNet, StackedMLP


@dataclass
class TrainResult:
    """What a training run produced: the trained model, its history and its outcome."""

    model: nn.Sequential
    history: list[dict]  # one row per evaluation: step, train_loss, train_accuracy, test_loss, test_accuracy
    metrics: dict  # reluscope.train.outcome.outcome's fields, and unstable_layer_at_init
    snapshots: dict[int, dict] = field(default_factory=dict)  # step -> state_dict (float32 copies)

    def model_at(self, step: int) -> nn.Sequential:
        """A copy of ``model`` with the parameters of snapshot ``step``, in eval mode."""
        model = copy.deepcopy(self.model)
        model.load_state_dict(snapshot(self.snapshots, step))
        return model.eval()


def snapshot(snapshots: dict[int, dict], step: int) -> dict:
    """The state_dict kept after ``step``, or a ``ReluscopeError`` listing the steps that were kept."""
    if step not in snapshots:
        kept = ", ".join(map(str, sorted(snapshots))) or "none (train with snapshots= or snapshot_every=)"
        raise ReluscopeError(f"no snapshot at step {step}; kept: {kept}")
    return snapshots[step]


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam, or SGD with momentum stepping all parameters in a few ``torch._foreach`` calls (the per-parameter
    loop, torch's default on the CPU, spends more on Python than on arithmetic for small nets; the same
    elementwise operations in the same order, so the same numbers)."""
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, foreach=True)


def make_schedule(opt: torch.optim.Optimizer, cfg: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The ``LambdaLR`` of ``lr_factor``, or None where the learning rate never changes (no warm-up, constant)."""
    if cfg.warmup_steps or cfg.schedule != "constant":
        return torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(cfg))
    return None


def lr_factor(cfg: TrainConfig) -> Callable[[int], float]:
    """The learning rate of step ``s + 1`` over ``cfg.lr``, for ``torch.optim.lr_scheduler.LambdaLR``.

    A linear warm-up ``(s + 1)/w`` over the first ``w = cfg.warmup_steps`` steps, then constant or (``cosine``)
    ``½(1 + cos(π·s/T))``, falling to 0 at the last of the ``T = cfg.steps`` steps.
    """
    def factor(s: int) -> float:
        warm = min(1.0, (s + 1) / cfg.warmup_steps) if cfg.warmup_steps else 1.0
        return warm * (0.5 * (1 + math.cos(math.pi * s / cfg.steps)) if cfg.schedule == "cosine" else 1.0)
    return factor


@torch.no_grad()
def evaluate(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-member mean cross-entropy and accuracy, each (K,), of ``net``'s (K, n, c) logits on ``X``, ``y`` (n,)."""
    logits = net(X)  # (K, n, c)
    return net.losses(logits, y.expand(len(logits), -1)), (logits.argmax(2) == y).float().mean(1)


def train_nets(net: SingleNet | StackedMLP, data: Dataset, cfg: TrainConfig,
               generators: Sequence[torch.Generator | None], *,
               progress: Progress = silent,
               data_source: Callable[[], Dataset | None] | None = None,
               ) -> list[tuple[list[dict], dict, dict[int, dict]]]:
    """Train the K members of ``net`` (already on its device) as ``cfg`` says; member k's mini-batches come from
    ``generators[k]`` (CPU generators; None: torch's global one). ``progress(1)`` after each step.
    ``data_source()``, asked before each step, may return a new ``Dataset`` (same inputs and classes) that
    replaces ``data`` from that step on (the playground's drawn points); None keeps it.

    Returns per member ``(history, metrics, snapshots)``; ``net.member(k)`` is the trained member k.
    """
    device = next(net.parameters()).device
    K = len(net)
    X_tr, y_tr, X_te, y_te = data.tensors(device)  # (n, 2), (n,), (m, 2), (m,)
    n = len(y_tr)
    batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
    opt = make_optimizer(net.parameters(), cfg)
    schedule = make_schedule(opt, cfg)
    histories: list[list[dict]] = [[] for _ in range(K)]
    snapshots: list[dict[int, dict]] = [{} for _ in range(K)]
    alive = torch.ones(K, dtype=torch.bool, device=device)
    all_alive = True  # alive.all(), kept here: no tensor operation per step while no member has diverged
    diverged_at: list[int | None] = [None] * K
    diverged_layer: list[str | None] = [None] * K
    steps_run = [cfg.steps] * K
    unstable = [first_unstable_layer(model, _beside(model, X_tr)) for model in map(net.member, range(K))]

    def record(step: int) -> None:
        tr_loss, tr_acc = evaluate(net, X_tr, y_tr)
        te_loss, te_acc = evaluate(net, X_te, y_te)
        for k in alive.nonzero().flatten().tolist():
            histories[k].append(dict(step=step, train_loss=float(tr_loss[k]), train_accuracy=float(tr_acc[k]),
                                     test_loss=float(te_loss[k]), test_accuracy=float(te_acc[k])))

    def snapshot(step: int) -> None:
        if cfg.is_snapshot_step(step):
            for k in alive.nonzero().flatten().tolist():
                state = net.member(k).state_dict()
                snapshots[k][step] = {name: v.detach().to("cpu", copy=True) for name, v in state.items()}

    record(0)
    snapshot(0)
    for step in range(1, cfg.steps + 1):
        if data_source is not None and (new := data_source()) is not None:
            data, (X_tr, y_tr, X_te, y_te) = new, new.tensors(device)
            n = len(y_tr)
            batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
        if batch < n:
            idx = torch.stack([torch.randint(n, (batch,), generator=g) for g in generators]).to(device)  # (K, b)
            xb, yb = X_tr[idx], y_tr[idx]  # (K, b, 2), (K, b)
        else:
            xb, yb = X_tr, y_tr.expand(K, n)  # (n, 2), (K, n)
        losses = net.losses(net(xb), yb)  # (K,)
        finite = torch.isfinite(losses)  # (K,)
        if not finite.all():  # a member's loss turned non-finite now, or had before
            for k in (alive & ~finite).nonzero().flatten().tolist():
                model_k = net.member(k)
                diverged_at[k], steps_run[k] = step, step
                diverged_layer[k] = first_nonfinite_layer(model_k,
                                                          _beside(model_k, xb[k] if xb.dim() == 3 else xb)) \
                    or "output (loss)"
                alive[k], all_alive = False, False
            if not alive.any():
                break
        opt.zero_grad(set_to_none=True)
        (losses.sum() if all_alive else losses[alive].sum()).backward()
        if cfg.clip_norm is not None:
            net.clip_grads_(cfg.clip_norm)
        frozen = None if all_alive else [p.detach().clone() for p in net.parameters()]
        opt.step()
        if schedule is not None:
            schedule.step()
        if frozen is not None:
            with torch.no_grad():
                for p, old in zip(net.parameters(), frozen):
                    p[~alive] = old[~alive]
        progress(1)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            record(step)
        snapshot(step)

    chance = chance_accuracy(data.y_train)
    results = []
    for k in range(K):
        model = net.member(k)
        X_k = _beside(model, X_tr)
        if diverged_at[k] is None and (layer := first_nonfinite_layer(model, X_k)) is not None:
            diverged_at[k], diverged_layer[k] = steps_run[k], layer  # the last step overflowed
        metrics = outcome(histories[k], chance, diverged_at=diverged_at[k], diverged_layer=diverged_layer[k],
                          dead_layer=first_dead_layer(model, X_k) if diverged_at[k] is None else None,
                          steps_run=steps_run[k])
        metrics["unstable_layer_at_init"] = unstable[k]
        results.append((histories[k], metrics, snapshots[k]))
    return results


def _beside(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """``X`` on the device of ``model``'s parameters (a stacked member lives on the CPU, its points may not)."""
    return X.to(next(model.parameters()).device)


def train_model(model: nn.Sequential, data: Dataset, cfg: TrainConfig, *,
                generator: torch.Generator | None = None,
                progress: Progress = silent, device: str | torch.device = "cpu",
                data_source: Callable[[], Dataset | None] | None = None) -> TrainResult:
    """Train ``model`` in place on ``data`` as ``cfg`` says (optimizer, schedule, steps, batches, evaluation).

    ``generator`` (a CPU generator) draws the mini-batches (full batch needs none); ``progress(1)`` is called
    after each step (``reluscope.progress``). ``device`` is where the steps run; the trained model and snapshots
    come back on the CPU. ``data_source``: new data between steps (``train_nets``).
    """
    device = check_device(device)
    [(history, metrics, snapshots)] = train_nets(SingleNet(model).to(device), data, cfg, [generator],
                                                 progress=progress, data_source=data_source)
    return TrainResult(model.to("cpu"), history, metrics, snapshots)


def build_model(cfg: TrainConfig, n_classes: int, generator: torch.Generator,
                X: torch.Tensor | None = None, *, n_features: int = 2) -> nn.Sequential:
    """The configured MLP on ``n_features`` inputs, initialised with ``cfg.init`` from ``generator``
    (``X``: batch for ``lsuv``)."""
    return init_model_(cfg.architecture(n_classes, n_features), cfg.init, generator=generator, bias=cfg.bias_init, X=X)


def fit(cfg: TrainConfig, *, data: Dataset | None = None,
        progress: Progress = silent, device: str | torch.device = "cpu") -> tuple[Dataset, TrainResult]:
    """Load the data, build and initialise the model, train it: the whole run for ``cfg``.

    One ``torch.Generator`` seeded with ``cfg.seed`` draws the initial weights, then the mini-batches,
    so the same config gives the same numbers.
    """
    cfg.validate()
    data = data or load_dataset(cfg.dataset, cfg.n_samples, noise=cfg.noise, random_state=cfg.seed)
    check_run_budget(cfg, data.n_classes, data.n_features, len(data.X_train) + len(data.X_test))  # the data's sizes
    gen = torch.Generator().manual_seed(cfg.seed)
    model = build_model(cfg, data.n_classes, gen, X=torch.as_tensor(data.X_train, dtype=torch.float32),
                        n_features=data.n_features)
    return data, train_model(model, data, cfg, generator=gen, progress=progress, device=device)
