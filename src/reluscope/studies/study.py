"""The whole sheet as one study: every task's runs, numbers and figures, written as one offline report.

``run_study(cfg)`` goes through the stages in the sheet's order — Task 0 (baseline), Task 1 (initialisation),
Task 2 (back-projection), decision cells — each a module of ``reluscope.report`` that calls the analysis
library and returns a ``Part``: its report section and its rows of the summary table. ``write_study`` renders
the page into ``cfg.out`` atomically. One ``progress(n)`` callback advances over all stages together.

Every run of a study shares one data set and one seed (``cfg.seed`` draws the data, the split, the initial
weights); runs used by several stages (the 11-layer He run) are trained once, by ``StudyContext.run``.
"""

from __future__ import annotations

import platform
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import torch

from reluscope.data import DATASETS, Dataset, is_csv, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_dir, write_json
from reluscope.report import cells, task0, task1, task2
from reluscope.report.document import Report, Section, Table
from reluscope.report.html import write_report
from reluscope.train import TrainConfig, TrainResult, fit

MARKER = "study.json"  # written into every study directory; only such a directory is overwritten


@dataclass(frozen=True)
class Budget:
    """How big a study is: the full one answers the sheet, the quick one checks the pipeline end to end."""

    n_samples: int  # points generated for a built-in data set
    steps: int  # optimisation steps of every run
    frames: int  # training steps a slider offers (snapshots, evenly spaced, first and last included)
    grid: int  # points per side of the decision-boundary grids
    pixels: int  # pixels per side of the decision-cell images (one activation pattern per pixel centre)
    warp_grid: int  # grid points per side carried back by the back-projection (drawn as warped lines)
    exact_final: bool  # also count the trained network's cells exactly (seconds: tens of thousands of cells)
    width: int = 32  # hidden width of every network
    shallow: int = 3  # the sheet's first depth (linear layers)
    deep: int = 11  # the depth at which N(0, 1) fails


FULL = Budget(n_samples=1000, steps=3000, frames=7, grid=140, pixels=180, warp_grid=40, exact_final=True)
QUICK = Budget(n_samples=300, steps=300, frames=3, grid=50, pixels=80, warp_grid=20, exact_final=False)


@dataclass
class StudyConfig:
    """What ``reluscope study`` was asked for."""

    dataset: str = "spirals"  # built-in name or a CSV path
    seed: int = 0  # data, split, initial weights and batches of every run
    quick: bool = False  # the small budget (pipeline check, ~seconds)
    out: Path = Path("out/study")  # study directory: report.html, figures/, tables/, study.json

    @property
    def budget(self) -> Budget:
        return QUICK if self.quick else FULL

    def validate(self) -> "StudyConfig":
        """Raise ``ReluscopeError`` for an unknown data set or a missing CSV; return self."""
        if is_csv(self.dataset):
            if not Path(self.dataset).is_file():
                raise ReluscopeError(f"data set file not found: {self.dataset}")
        elif self.dataset not in DATASETS:
            raise ReluscopeError(f"unknown data set {self.dataset!r}; choose one of {', '.join(DATASETS)} "
                                 "or a .csv path")
        if self.seed < 0:
            raise ReluscopeError(f"seed must be 0 or more, got {self.seed}")
        return self


@dataclass
class StudyContext:
    """What every stage shares: the config, the data, the runs trained so far, the progress callback."""

    cfg: StudyConfig
    data: Dataset
    advance: Callable[[int], None]
    runs: dict[tuple[int, str], TrainResult] = field(default_factory=dict)

    @property
    def budget(self) -> Budget:
        return self.cfg.budget

    def train_config(self, depth: int, init: str) -> TrainConfig:
        b = self.budget
        return TrainConfig(dataset=self.cfg.dataset, n_samples=b.n_samples, depth=depth, width=b.width,
                           init=init, steps=b.steps, snapshots=b.frames - 1,
                           seed=self.cfg.seed)

    def run(self, depth: int, init: str) -> TrainResult:
        """The run at ``depth`` with ``init`` (trained on first use, with snapshots; advances per step)."""
        if (depth, init) not in self.runs:
            _, result = fit(self.train_config(depth, init), data=self.data, progress=lambda _: self.advance(1))
            self.runs[depth, init] = result
        return self.runs[depth, init]


def stages() -> list[ModuleType]:
    """The study's stages in the sheet's order.

    A stage is a module of ``reluscope.report`` with ``runs(budget) -> [(depth, init)]`` (the runs it reads),
    ``units(budget) -> int`` (the progress units it reports) and ``build(ctx) -> Part``; its runs are trained
    (if no earlier stage did) before it is built.
    """
    return [task0, task1, task2, cells]


SUMMARY_COLUMNS = ["task", "setting", "measured", "expected"]
LEAD = """\
The course sheet *Modellierung 2, LE12: Initialisierung & noch eine Visualisierung*, answered task by task in
its order: each section quotes the sheet's question, gives the derivation (from `docs/theory.md`) and the
tables and figures of this run. Sliders, drop-downs and toggles choose among pre-rendered frames; the page
loads nothing from the network. Every figure and table is also a file in `figures/` and `tables/` beside it.
"""


def _plan(b: Budget) -> list[tuple[ModuleType, list[tuple[int, str]]]]:
    """Each stage with the runs trained just before it (those no earlier stage needed)."""
    seen, plan = set(), []
    for stage in stages():
        new = [r for r in stage.runs(b) if r not in seen]
        seen.update(new)
        plan.append((stage, new))
    return plan


def _units(stage: ModuleType, new: list[tuple[int, str]], b: Budget) -> int:
    """The progress units of ``stage``: its own, and a training step of each run trained just before it."""
    return stage.units(b) + len(new) * b.steps


def total_units(cfg: StudyConfig) -> int:
    """The progress units ``run_study`` reports over all stages: training steps, frames, analyses."""
    return sum(_units(stage, new, cfg.budget) for stage, new in _plan(cfg.budget))


def run_study(cfg: StudyConfig, progress: Callable[[int], None] | None = None) -> Report:
    """Run every stage and compose the report (nothing is written).

    Torch runs on one thread meanwhile: the networks are small, and on a shared machine several threads
    per process oversubscribe the cores (ten times slower measured under load).
    """
    cfg.validate()
    start = time.perf_counter()
    tick = progress or (lambda n=1: None)
    data = load_dataset(cfg.dataset, cfg.budget.n_samples, random_state=cfg.seed)
    if not (data.X_train.std(axis=0) > 0).any():  # every activation would be constant, every variance 0
        raise ReluscopeError(f"{data.name}: all training points coincide; the study needs points spread in the plane")
    ctx = StudyContext(cfg, data, tick)
    sections, summary = [], []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for stage, new in _plan(cfg.budget):
            done = 0

            def advance(n: int = 1) -> None:
                nonlocal done
                done += n
                tick(n)

            ctx.advance = advance
            for depth, init in new:
                ctx.run(depth, init)
            part = stage.build(ctx)
            tick(max(0, _units(stage, new, cfg.budget) - done))  # a run that diverged stopped early
            sections.append(part.section)
            summary += part.summary
    finally:
        torch.set_num_threads(threads)
    sections.append(Section("summary", "Summary", "Every number on this page comes from this run of the study.",
                            blocks=[Table(SUMMARY_COLUMNS, summary, name="summary")]))
    provenance = _provenance(cfg, data, time.perf_counter() - start)
    return Report(f"reluscope study: {data.name}", provenance, sections, LEAD)


def prepare_study_dir(out: Path) -> None:
    """``out`` may be written if it is absent, empty, or an earlier study (it holds ``study.json``)."""
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ReluscopeError(f"--out {out} is a non-empty directory that holds no earlier study; "
                             "choose another --out")


def write_study(cfg: StudyConfig, progress: Callable[[int], None] | None = None) -> Path:
    """Run the study and write ``cfg.out`` (replacing an earlier study there atomically); return report.html."""
    cfg.validate()
    out = Path(cfg.out)
    prepare_study_dir(out)
    report = run_study(cfg, progress)
    with atomic_dir(out) as tmp:
        write_report(report, tmp)
        write_json(tmp / MARKER, dict(config={**asdict(cfg), "out": str(cfg.out)}, provenance=report.provenance))
    return out / "report.html"


def _provenance(cfg: StudyConfig, data: Dataset, seconds: float) -> dict[str, str]:
    b = cfg.budget
    command = ["reluscope", "study", "--dataset", cfg.dataset, "--seed", str(cfg.seed), *(["--quick"] * cfg.quick),
               "--out", str(cfg.out)]
    packages = ("reluscope", "torch", "numpy", "scikit-learn", "matplotlib")
    return {
        "data set": f"{data.name}: {len(data.y_train)} train / {len(data.y_test)} test points, "
                    f"{data.n_classes} classes, standardised with the training split's mean and std",
        "seeds": f"{cfg.seed} (data, split, initial weights and batches of every run)",
        "training": f"{b.steps} full-batch SGD steps (momentum 0.9, lr {TrainConfig.lr}), width {b.width}, "
                    f"depths {b.shallow} and {b.deep}" + (" — quick budget" if cfg.quick else ""),
        "versions": ", ".join(f"{p} {version(p)}" for p in packages) + f", Python {platform.python_version()}",
        "command": shlex.join(command),
        "created": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {seconds:.1f} s",
    }

