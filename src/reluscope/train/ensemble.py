"""K MLPs of one architecture trained together: one batched matmul per layer for all members.

Member ``k`` of ``train_ensemble(members, data)`` is what ``fit(members[k], data=data)`` trains alone:

* the same initial weights — its own ``torch.Generator`` seeded with its seed draws them in the same order;
* the same mini-batches — that generator then draws its batch indices, as in ``train_model``;
* the same optimizer math — ``torch.optim.SGD``/``Adam`` act elementwise, so on stacked parameters
  ``(K, out, in)`` each member's slice gets exactly its own update;
* the same loss — the sum of the members' mean cross-entropies, whose gradient in member k's parameters is
  the gradient of member k's loss alone;
* the same loop — both run ``reluscope.train.loop.train_nets``, here on a ``StackedMLP``.

Divergence is per member: a member whose loss turns non-finite is frozen at that step, so a NaN member cannot
reach the others — the batched matmul keeps the members' slices apart.

Members may differ in seed, init scheme, bias init, and in mean-field weight scales (``Member.sigma_w2``,
``sigma_b2``: ``W ~ N(0, σ_w²/fan_in)``, ``b ~ N(0, σ_b²)``); everything else must agree (``SHARED``).
The batched forward is ``torch.baddbmm``: ``benchmarks/ensemble.py`` measures it against ``torch.func``
(``stack_module_state`` + ``vmap`` + ``functional_call``) and against a loop over members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from reluscope.data import Dataset, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import init_model_
from reluscope.progress import Progress, silent
from reluscope.train.budget import check_run_budget
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device
from reluscope.train.loop import TrainResult, build_model, train_nets
from reluscope.train.stacked import StackedMLP

SHARED = ("depth", "width", "activation", "optimizer", "lr", "momentum", "warmup_steps", "schedule", "clip_norm",
          "steps", "batch_size", "eval_every")


@dataclass(frozen=True)
class Member:
    """One network of an ensemble: its config, optionally with mean-field weight scales."""

    config: TrainConfig
    sigma_w2: float | None = None  # None: config.init / config.bias_init; else W ~ N(0, σ_w² / fan_in)
    sigma_b2: float = 0.0  # with sigma_w2: b ~ N(0, σ_b²) (0: zero biases)


@torch.no_grad()
def init_member(member: Member, n_classes: int, X: torch.Tensor | None = None, *,
                n_features: int = 2) -> tuple[nn.Sequential, torch.Generator]:
    """The member's initial model and its generator, advanced past the init draws (it draws batches next).

    Without weight scales this is exactly ``fit``'s model (``X``: the training points, for data-dependent
    schemes such as ``lsuv``) on ``n_features`` inputs; with them, the ``mean-field`` scheme: every layer draws
    its weight ``N(0, σ_w²/fan_in)`` and then (σ_b² > 0) its bias ``N(0, σ_b²)`` from the same generator.
    """
    cfg = member.config
    gen = torch.Generator().manual_seed(cfg.seed)
    if member.sigma_w2 is None:
        return build_model(cfg, n_classes, gen, X=X, n_features=n_features), gen
    model = init_model_(cfg.architecture(n_classes, n_features), "mean-field", generator=gen, sigma_w2=member.sigma_w2,
                        sigma_b2=member.sigma_b2)
    return model, gen


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
                   progress: Progress = silent,
                   device: str | torch.device = "cpu") -> list[TrainResult]:
    """Train all members together on ``data``; result ``k`` is ``fit(members[k], data=data)[1]`` up to rounding
    (the batched product rounds differently from one member's; within 1e-5 after 100 steps, tests/test_ensemble.py).

    Parameters
    ----------
    members : configs or ``Member``s; they must agree on every field in ``SHARED``.
    data : the one data set every member trains on; None loads the first member's (its seed).
    progress : ``progress(1)`` after each step (``reluscope.progress``).
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
    check_run_budget(cfg, data.n_classes, data.n_features, len(data.X_train) + len(data.X_test),
                     members=len(members))  # the data's sizes, every member
    X_tr = torch.as_tensor(data.X_train, dtype=torch.float32)  # (n, d), CPU: init is drawn there
    models, generators = zip(*(init_member(m, data.n_classes, X_tr, n_features=data.n_features)
                               for m in members))
    initial = [{k: v.clone() for k, v in model.state_dict().items()} for model in models]  # snapshots[0]
    net = StackedMLP(models).to(device)  # member(k) writes the trained parameters back into models[k]
    runs = train_nets(net, data, cfg, generators, progress=progress)
    return [TrainResult(net.member(k), history, metrics, {0: initial[k]})
            for k, (history, metrics, _) in enumerate(runs)]
