"""Trainability sweeps: depth × σ_w² (× σ_b², × data set) × seeds, trained as ensembles, resumable.

One ensemble per (data set, depth) trains every σ_w², σ_b² and seed of that depth together. Its rows are
appended to ``OUT/runs.csv`` (rewritten atomically by ``reluscope.outputs.atomic_file``) as soon as it
finishes, so a killed sweep loses at most the ensemble it was training; run again with the same ``--out``
it skips every run already in ``runs.csv``. Layout::

    OUT/sweep.json         the SweepConfig (a rerun must keep its ``base`` training settings)
    OUT/runs.csv           one row per run: grid coordinates, seed, outcome, E[z_L²] at init
    OUT/trainability.png   final train accuracy and layer-L variance at init over (σ_w², depth), with theory
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from itertools import product
from pathlib import Path

import torch

from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError, refuse_repeats
from reluscope.outputs import atomic_file, write_json
from reluscope.plots.style import save
from reluscope.plots.sweep import plot_sweep
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device
from reluscope.train.ensemble import Member, StackedMLP, train_ensemble
from reluscope.train.loop import TrainResult

KEY = ("dataset", "depth", "sigma_w2", "sigma_b2", "seed")  # one run of the grid
METRICS = ("status", "train_accuracy", "test_accuracy", "chance_accuracy", "final_loss", "steps_run",
           "diverged_at_step")  # from TrainResult.metrics
COLUMNS = (*KEY, *METRICS, "q_in", "q_init")  # q_in = E[x²] of the points, q_init = E[z_L²] of the logits at init
GRID_FIELDS = ("dataset", "depth", "seed", "init", "bias_init")  # of TrainConfig: set by the grid, not by base


@dataclass
class SweepConfig:
    """The grid and the training settings every run shares."""

    depths: list[int] = field(default_factory=lambda: [2, 5, 10, 20, 30, 40, 50])  # linear layers
    sigma_w2: list[float] = field(default_factory=lambda: [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    sigma_b2: list[float] = field(default_factory=lambda: [0.0])
    datasets: list[str] = field(default_factory=lambda: ["moons"])
    seeds: int = 2  # seeds 0 … seeds−1 in every cell
    # width, activation, optimizer, lr, steps, n_samples, noise of every run (the grid sets GRID_FIELDS)
    base: TrainConfig = field(default_factory=lambda: TrainConfig(n_samples=500, lr=0.01, steps=600))

    def validate(self) -> "SweepConfig":
        for name in ("depths", "sigma_w2", "sigma_b2", "datasets"):
            if not getattr(self, name):
                raise ReluscopeError(f"the sweep needs at least one value of {name}")
            refuse_repeats(name, getattr(self, name))
        if self.seeds < 1:
            raise ReluscopeError(f"seeds must be at least 1, got {self.seeds}")
        for w in self.sigma_w2:
            if not 0 < w < math.inf:
                raise ReluscopeError(f"σ_w² must be positive and finite, got {w}")
        for b in self.sigma_b2:
            if not 0 <= b < math.inf:
                raise ReluscopeError(f"σ_b² must be 0 or more and finite, got {b}")
        for d in self.datasets:
            for depth in self.depths:
                replace(self.base, dataset=d, depth=depth).validate()
        return self

    @classmethod
    def quick(cls) -> "SweepConfig":
        """A small grid that trains in seconds: depths 2, 10, 20, σ_w² 1, 2, 3, one seed, 100 steps, 200 points."""
        return cls(depths=[2, 10, 20], sigma_w2=[1.0, 2.0, 3.0], seeds=1,
                   base=replace(cls().base, steps=100, n_samples=200))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SweepConfig":
        return cls(**{**d, "base": TrainConfig.from_dict(d["base"])})

    def runs(self) -> list[tuple]:
        """Every run of the grid as its ``KEY`` (data set, depth, σ_w², σ_b², seed)."""
        return list(product(self.datasets, self.depths, map(float, self.sigma_w2), map(float, self.sigma_b2),
                            range(self.seeds)))


@dataclass
class SweepResult:
    """What ``run_sweep`` did and what the sweep holds now."""

    rows: list[dict]  # every run of this sweep's grid, from runs.csv
    trained: int  # runs trained by this call (the others were already in runs.csv)
    seconds: float  # wall time of this call
    figure: Path


def pending(cfg: SweepConfig, out: str | Path) -> dict[tuple[str, int], list[Member]]:
    """The runs not yet in ``OUT/runs.csv``, grouped into one ensemble per (data set, depth)."""
    done = {_key(r) for r in read_rows(Path(out) / "runs.csv")}
    groups: dict[tuple[str, int], list[Member]] = {}
    for dataset, depth, w, b, seed in cfg.runs():
        if (dataset, depth, w, b, seed) not in done:
            run_cfg = replace(cfg.base, dataset=dataset, depth=depth, seed=seed)
            groups.setdefault((dataset, depth), []).append(Member(run_cfg, w, b))
    return groups


def total_units(cfg: SweepConfig, out: str | Path, *, force: bool = False) -> int:
    """The progress units ``run_sweep(cfg, out, force=force)`` reports: a training step of each ensemble it
    trains (every (data set, depth) with ``force``, else those with a run not yet in ``OUT/runs.csv``)."""
    ensembles = {(dataset, depth) for dataset, depth, *_ in cfg.runs()} if force else pending(cfg, out)
    return len(ensembles) * cfg.base.steps


def run_sweep(cfg: SweepConfig, out: str | Path, *, force: bool = False,
              progress: Callable[[int], None] | None = None, device: str = "cpu") -> SweepResult:
    """Train every pending run of ``cfg`` (see ``pending``), appending to ``OUT/runs.csv``; draw the figure.

    ``force`` starts over in an ``OUT`` that holds another sweep; ``progress(step)`` is called after every
    training step of every ensemble; ``device`` is where the ensembles train (e.g. "cuda").

    Raises
    ------
    ReluscopeError
        If ``OUT`` holds a sweep with other base training settings (and not ``force``).
    """
    device = check_device(device)
    out = open_sweep(cfg, out, force=force)
    start, trained = time.perf_counter(), 0
    for (dataset, _), members in pending(cfg, out).items():
        base = members[0].config
        data = load_dataset(dataset, base.n_samples, noise=base.noise, random_state=cfg.base.seed)
        results = train_ensemble(members, data, progress=progress, device=device)
        q_in, q_init = _init_lengths(results, data)
        new = [dict(dataset=dataset, depth=m.config.depth, sigma_w2=m.sigma_w2, sigma_b2=m.sigma_b2,
                    seed=m.config.seed, **{k: r.metrics[k] for k in METRICS}, q_in=q_in, q_init=q)
               for m, r, q in zip(members, results, q_init)]
        _write_rows(out / "runs.csv", read_rows(out / "runs.csv") + new)
        trained += len(members)
    grid = set(cfg.runs())
    rows = [r for r in read_rows(out / "runs.csv") if _key(r) in grid]
    figure = out / "trainability.png"
    with atomic_file(figure) as tmp:
        save(plot_sweep(rows, activation=cfg.base.activation), tmp)
    return SweepResult(rows, trained, time.perf_counter() - start, figure)


@torch.no_grad()
def _init_lengths(results: list[TrainResult], data) -> tuple[float, list[float]]:
    """``q_in = E[x²]`` of the training points and each member's ``E[z_L²]`` (logits) at init (``snapshots[0]``)."""
    X = torch.as_tensor(data.X_train, dtype=torch.float32)  # (n, 2)
    net = StackedMLP([r.model_at(0) for r in results])
    z = net(X).double()  # (K, n, n_classes)
    return float(X.double().pow(2).mean()), z.pow(2).mean((1, 2)).tolist()


def open_sweep(cfg: SweepConfig, out: str | Path, *, force: bool = False) -> Path:
    """Validate ``cfg`` and write ``OUT/sweep.json``; refuse an ``OUT`` whose runs were trained with other base
    settings unless ``force``, which deletes its ``runs.csv``."""
    cfg.validate()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    meta = out / "sweep.json"
    if force:
        (out / "runs.csv").unlink(missing_ok=True)
    elif meta.is_file() and _training(_read_config(meta).base) != _training(cfg.base):
        raise ReluscopeError(f"{out} holds a sweep with other training settings; use --force to start over "
                             "or another --out")
    out.mkdir(parents=True, exist_ok=True)
    with atomic_file(meta) as tmp:
        write_json(tmp, cfg.to_dict())
    return out


def _read_config(meta: Path) -> SweepConfig:
    try:
        return SweepConfig.from_dict(json.loads(meta.read_text()))
    except (ValueError, KeyError, TypeError) as e:
        raise ReluscopeError(f"{meta}: not a sweep's settings ({e}); use --force to start over") from None


def read_rows(path: Path) -> list[dict]:
    """``runs.csv`` as dicts with numbers parsed (empty cells: None); [] when there is no file yet.

    Raises
    ------
    ReluscopeError
        If the file lacks a column of ``COLUMNS`` or holds a cell that is not a number where one belongs.
    """
    if not path.is_file():
        return []
    ints = {"depth", "seed", "steps_run", "diverged_at_step"}
    text = {"dataset", "status"}

    def parse(k: str, v: str):
        if k in text:
            return v
        if v == "":
            return None
        return int(v) if k in ints else float(v)

    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            missing = set(COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"no column {', '.join(sorted(missing))}")
            return [{k: parse(k, v) for k, v in row.items()} for row in reader]
        except ValueError as e:
            raise ReluscopeError(f"{path}: not a sweep's table ({e}); use --force to start over") from None


def _write_rows(path: Path, rows: list[dict]) -> None:
    """Write all rows to a temporary file and rename it over ``path``: runs.csv is never half written."""
    with atomic_file(path) as tmp, tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows({k: ("" if r[k] is None else r[k]) for k in COLUMNS} for r in rows)
        fh.flush()
        os.fsync(fh.fileno())


def _training(base: TrainConfig) -> dict:
    """The settings every run of a sweep shares (what a resumed sweep must not change)."""
    return {k: v for k, v in base.to_dict().items() if k not in GRID_FIELDS}


def _key(row: dict) -> tuple:
    return tuple(row[k] for k in KEY)
