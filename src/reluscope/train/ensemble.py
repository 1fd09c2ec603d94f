"""K MLPs of one architecture trained together: one batched matmul per layer for all members.

Member ``k`` of ``train_ensemble(members, data)`` is what ``fit(members[k], data=data)`` trains alone:

* the same initial weights — its own ``torch.Generator`` seeded with its seed draws them in the same order;
* the same mini-batches — that generator then draws its batch indices, as in ``train_model``;
* the same optimizer math — ``torch.optim.SGD``/``Adam`` act elementwise, so on stacked parameters
  ``(K, out, in)`` each member's slice gets exactly its own update;
* the same loss — the sum of the members' mean cross-entropies, whose gradient in member k's parameters is
  the gradient of member k's loss alone.

Divergence is per member: a member whose loss turns non-finite is frozen at that step (its parameters are
restored after every later optimizer step) and its gradient no longer enters the sum, so a NaN member cannot
reach the others — the batched matmul keeps the members' slices apart.

Members may differ in seed, init scheme, bias init, and in mean-field weight scales (``Member.sigma_w2``,
``sigma_b2``: ``W ~ N(0, σ_w²/fan_in)``, ``b ~ N(0, σ_b²)``); everything else must agree (``SHARED``).
The batched forward is ``torch.baddbmm``: ``benchmarks/ensemble.py`` measures it against ``torch.func``
(``stack_module_state`` + ``vmap`` + ``functional_call``) and against a loop over members.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from reluscope.data import Dataset, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import linear_layers
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device
from reluscope.train.loop import (TrainResult, build_model, first_nonfinite_layer, first_unstable_layer,
                                  make_optimizer, outcome)

SHARED = ("depth", "width", "activation", "optimizer", "lr", "momentum", "steps", "batch_size", "eval_every")


@dataclass(frozen=True)
class Member:
    """One network of an ensemble: its config, optionally with mean-field weight scales."""

    config: TrainConfig
    sigma_w2: float | None = None  # None: config.init / config.bias_init; else W ~ N(0, σ_w² / fan_in)
    sigma_b2: float = 0.0  # with sigma_w2: b ~ N(0, σ_b²) (0: zero biases)


def with_seeds(cfg: TrainConfig, seeds: Sequence[int]) -> list[TrainConfig]:
    """``cfg`` once per seed: the usual ensemble of an init study."""
    return [replace(cfg, seed=int(s)) for s in seeds]


@torch.no_grad()
def init_member(member: Member, n_classes: int,
                X: torch.Tensor | None = None) -> tuple[nn.Sequential, torch.Generator]:
    """The member's initial model and its generator, advanced past the init draws (it draws batches next).

    Without weight scales this is exactly ``fit``'s model (``X``: the training points, for data-dependent
    schemes such as ``lsuv``); with them, every layer draws its weight ``N(0, σ_w²/fan_in)`` and then
    (σ_b² > 0) its bias ``N(0, σ_b²)`` from the same generator.
    """
    cfg = member.config
    gen = torch.Generator().manual_seed(cfg.seed)
    if member.sigma_w2 is None:
        return build_model(cfg, n_classes, gen, X=X), gen
    if not (member.sigma_w2 > 0 and member.sigma_b2 >= 0):
        raise ReluscopeError(f"need σ_w² > 0 and σ_b² ≥ 0, got {member.sigma_w2}, {member.sigma_b2}")
    model = cfg.architecture(n_classes)
    for layer in linear_layers(model):
        w, b = layer.linear.weight, layer.linear.bias  # (out, in), (out,)
        w.normal_(0.0, math.sqrt(member.sigma_w2 / w.shape[1]), generator=gen)
        if member.sigma_b2 > 0:
            b.normal_(0.0, math.sqrt(member.sigma_b2), generator=gen)
        else:
            b.zero_()
    return model, gen


class StackedMLP(nn.Module):
    """K MLPs of one architecture as stacked parameters: ``weights[l]`` (K, out, in), ``biases[l]`` (K, out)."""

    def __init__(self, models: Sequence[nn.Sequential]):
        super().__init__()
        per_model = [linear_layers(m) for m in models]
        shapes = {tuple((ly.linear.weight.shape, ly.kind) for ly in layers) for layers in per_model}
        if len(shapes) != 1:
            raise ReluscopeError("ensemble members must share one architecture")
        if any(ly.linear.bias is None for ly in per_model[0]):
            raise ReluscopeError("ensemble members need a bias in every Linear layer")
        self.activations = [ly.activation for ly in per_model[0]]
        self.weights = nn.ParameterList(torch.stack([layers[i].linear.weight.detach() for layers in per_model])
                                        for i in range(len(per_model[0])))
        self.biases = nn.ParameterList(torch.stack([layers[i].linear.bias.detach() for layers in per_model])
                                       for i in range(len(per_model[0])))

    def __len__(self) -> int:
        return self.weights[0].shape[0]

    def preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's pre-activation, each (K, n, out), for shared points ``X`` (n, d) or per-member (K, n, d)."""
        h = X.expand(len(self), *X.shape) if X.dim() == 2 else X  # (K, n, d)
        zs = []
        for w, b, act in zip(self.weights, self.biases, self.activations):
            z = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))  # (K, n, out)
            zs.append(z)
            h = z if act is None else act(z)
        return zs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (K, n, n_classes)."""
        return self.preactivations(X)[-1]

    @torch.no_grad()
    def write_member_(self, k: int, model: nn.Sequential) -> nn.Sequential:
        """Copy member ``k``'s parameters into ``model`` (an MLP of the same architecture); return it."""
        for layer, w, b in zip(linear_layers(model), self.weights, self.biases, strict=True):
            layer.linear.weight.copy_(w[k])
            layer.linear.bias.copy_(b[k])
        return model


@torch.no_grad()
def _evaluate(net: StackedMLP, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-member mean cross-entropy and accuracy, each (K,)."""
    logits = net(X)  # (K, n, c)
    loss = nn.functional.cross_entropy(logits.transpose(1, 2), y.expand(len(net), -1), reduction="none")
    return loss.mean(1), (logits.argmax(2) == y).float().mean(1)


def _check(members: Sequence[Member]) -> TrainConfig:
    if not members:
        raise ReluscopeError("an ensemble needs at least one member")
    first = members[0].config.validate()
    for m in members[1:]:
        m.config.validate()
        for name in SHARED:
            if getattr(m.config, name) != getattr(first, name):
                raise ReluscopeError(f"ensemble members must share {name}: {getattr(first, name)!r} vs "
                                     f"{getattr(m.config, name)!r}")
    if any(m.config.n_snapshots for m in members):
        raise ReluscopeError("ensembles keep only the initial state (snapshots and snapshot_every must be 0); "
                             "train with fit() for snapshots")
    return first


def train_ensemble(members: Sequence[TrainConfig | Member], data: Dataset | None = None, *,
                   progress: Callable[[int], None] | None = None,
                   device: str | torch.device = "cpu") -> list[TrainResult]:
    """Train all members together on ``data``; result ``k`` equals ``fit(members[k], data=data)[1]``.

    Parameters
    ----------
    members : configs or ``Member``s; they must agree on every field in ``SHARED``.
    data : the one data set every member trains on; None loads the first member's (its seed).
    progress : called with the step number after each step.
    device : where the batched steps run (e.g. "cuda"); initialisation and the returned models stay on the CPU.

    Returns
    -------
    One ``TrainResult`` per member (model, history, metrics with per-member status and divergence); its
    ``snapshots`` hold the initial state only, ``{0: state_dict}`` (``result.model_at(0)``).
    """
    members = [m if isinstance(m, Member) else Member(m) for m in members]
    cfg = _check(members)
    device = check_device(device)
    data = data or load_dataset(cfg.dataset, cfg.n_samples, noise=cfg.noise, random_state=cfg.seed)
    X_tr = torch.as_tensor(data.X_train, dtype=torch.float32)  # (n, 2), CPU: init is drawn there
    inits = [init_member(m, data.n_classes, X_tr) for m in members]
    unstable = [first_unstable_layer(model, X_tr) for model, _ in inits]
    models = [model for model, _ in inits]  # reused for the results: write_member_ fills them
    initial = [{k: v.clone() for k, v in model.state_dict().items()} for model in models]  # snapshots[0]
    net = StackedMLP(models).to(device)
    gens = [gen for _, gen in inits]
    K = len(members)
    X_tr, y_tr, X_te, y_te = data.tensors(device)  # (n, 2), (n,), (m, 2), (m,)
    n = len(y_tr)
    batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
    opt = make_optimizer(net, cfg)
    histories: list[list[dict]] = [[] for _ in range(K)]
    alive = torch.ones(K, dtype=torch.bool, device=device)
    diverged_at: list[int | None] = [None] * K
    diverged_layer: list[str | None] = [None] * K
    steps_run = [cfg.steps] * K

    def record(step: int) -> None:
        tr_loss, tr_acc = _evaluate(net, X_tr, y_tr)
        te_loss, te_acc = _evaluate(net, X_te, y_te)
        for k in alive.nonzero().flatten().tolist():
            histories[k].append(dict(step=step, train_loss=float(tr_loss[k]), train_accuracy=float(tr_acc[k]),
                                     test_loss=float(te_loss[k]), test_accuracy=float(te_acc[k])))

    record(0)
    for step in range(1, cfg.steps + 1):
        if batch < n:
            idx = torch.stack([torch.randint(n, (batch,), generator=g) for g in gens]).to(device)  # (K, batch)
            xb, yb = X_tr[idx], y_tr[idx]  # (K, batch, 2), (K, batch)
        else:
            xb, yb = X_tr, y_tr.expand(K, n)
        logits = net(xb)  # (K, batch, c)
        losses = nn.functional.cross_entropy(logits.transpose(1, 2), yb, reduction="none").mean(1)  # (K,)
        for k in (alive & ~torch.isfinite(losses)).nonzero().flatten().tolist():
            x_k = xb[k] if xb.dim() == 3 else xb
            diverged_at[k], steps_run[k] = step, step
            model_k = net.write_member_(k, models[k])
            diverged_layer[k] = first_nonfinite_layer(model_k, x_k.cpu()) or "output (loss)"
            alive[k] = False
        if not alive.any():
            break
        opt.zero_grad(set_to_none=True)
        losses[alive].sum().backward()
        frozen = None if alive.all() else [p.detach().clone() for p in net.parameters()]
        opt.step()
        if frozen is not None:
            with torch.no_grad():
                for p, old in zip(net.parameters(), frozen):
                    p[~alive] = old[~alive]
        if progress is not None:
            progress(step)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            record(step)

    results = []
    for k in range(K):
        model = net.write_member_(k, models[k])
        if diverged_at[k] is None and (layer := first_nonfinite_layer(model, X_tr.cpu())) is not None:
            diverged_at[k], diverged_layer[k] = steps_run[k], layer  # the last step overflowed
        metrics = outcome(histories[k], data, diverged_at[k], diverged_layer[k], steps_run=steps_run[k])
        metrics["unstable_layer_at_init"] = unstable[k]
        results.append(TrainResult(model, histories[k], metrics, {0: initial[k]}))
    return results
