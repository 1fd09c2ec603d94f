"""One task of a sweep: an ensemble of runs of one data set and depth, config in, rows out.

``train_task`` is a pure function of its ``SweepTask``: it loads the data set itself (generated from the
base seed, the same points on every machine), trains the members with ``train_ensemble`` and returns one row
per member. A member's numbers depend on its own config only — its ``torch.Generator`` is seeded with its
seed and draws its init and its batches, and the batched matmul keeps the members apart — so they do not
depend on which other members share its task (the chunking) nor on the process that runs it (the backend),
up to the float rounding of a batched matmul of another batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from reluscope.data import Dataset, load_dataset
from reluscope.progress import Progress, silent
from reluscope.studies.store import ERROR, KEY, METRICS
from reluscope.train.config import TrainConfig
from reluscope.train.ensemble import Member, StackedMLP, train_ensemble
from reluscope.train.loop import TrainResult


@dataclass(frozen=True)
class SweepTask:
    """The runs one ensemble trains: ``base`` (its data set, depth, the data's seed) × ``cells``."""

    base: TrainConfig  # shared settings; base.dataset, base.depth of the task; base.seed draws the data set
    cells: tuple[tuple[float, float, int], ...]  # (σ_w², σ_b², seed) of each member
    device: str = "cpu"  # where the ensemble trains

    def members(self) -> list[Member]:
        return [Member(replace(self.base, seed=seed), w, b) for w, b, seed in self.cells]

    def keys(self) -> list[tuple]:
        """Each member's key in the store: (data set, depth, σ_w², σ_b², seed)."""
        return [(self.base.dataset, self.base.depth, w, b, seed) for w, b, seed in self.cells]

    def error_rows(self, error: BaseException) -> list[dict]:
        """One row per member saying the task failed, and why (status ``error``, no numbers)."""
        message = f"{type(error).__name__}: {error}".strip()
        return [{**dict(zip(KEY, key)), **dict.fromkeys(METRICS), "status": ERROR, "q_in": None, "q_init": None,
                 "error": message} for key in self.keys()]


def train_task(task: SweepTask, progress: Progress = silent) -> list[dict]:
    """Train the task's members together; one row per member (``store.COLUMNS``); ``progress(1)`` per step."""
    base = task.base
    data = load_dataset(base.dataset, base.n_samples, noise=base.noise, random_state=base.seed)
    results = train_ensemble(task.members(), data, progress=progress, device=task.device)
    q_in, q_init = _init_lengths(results, data)
    return [dict(zip(KEY, key), **{k: r.metrics[k] for k in METRICS}, q_in=q_in, q_init=q, error=None)
            for key, r, q in zip(task.keys(), results, q_init)]


@torch.no_grad()
def _init_lengths(results: list[TrainResult], data: Dataset) -> tuple[float, list[float]]:
    """``q_in = E[x²]`` of the training points and each member's ``E[z_L²]`` (logits) at init (``snapshots[0]``)."""
    X = torch.as_tensor(data.X_train, dtype=torch.float32)  # (n, 2)
    net = StackedMLP([r.model_at(0) for r in results])
    z = net(X).double()  # (K, n, n_classes)
    return float(X.double().pow(2).mean()), z.pow(2).mean((1, 2)).tolist()
