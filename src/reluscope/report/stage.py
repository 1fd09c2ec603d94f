"""A stage of the study: one section of the report, built from the study's runs.

The study (``reluscope.report.study``) goes through its stages in the sheet's order. Before a stage is built,
the runs it reads (``Stage.runs``) are trained, unless an earlier stage's were the same; ``Stage.build``
then calls the analysis library and returns a ``Part`` (its section of the page and its rows of the summary
table), reporting ``Stage.units`` progress units through ``StudyContext.advance`` on the way.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from reluscope.data import Dataset
from reluscope.progress import Progress
from reluscope.report.config import Budget, StudyConfig
from reluscope.report.document import Part
from reluscope.report.figures import CAN_FORK, WORKERS
from reluscope.train import TrainConfig, TrainResult, fit


@dataclass
class StudyContext:
    """What every stage shares: the config, the data, the runs trained so far, the progress."""

    cfg: StudyConfig
    data: Dataset
    advance: Progress
    runs: dict[tuple[int, str], TrainResult] = field(default_factory=dict)  # (depth, init) -> run

    @property
    def budget(self) -> Budget:
        return self.cfg.budget

    def shown_indices(self) -> np.ndarray:
        """Indices (k,) into ``data.X`` of the points a frame draws: at most ``Budget.shown_points``, evenly
        spaced over the data set (every point enters the numbers; a frame's file grows with the points it draws)."""
        n = len(self.data.X)
        return np.linspace(0, n - 1, min(n, self.budget.shown_points)).round().astype(int)

    def shown(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)``: the points a frame draws (``shown_indices``)."""
        idx = self.shown_indices()  # (k,)
        return self.data.X[idx], self.data.y[idx]

    def train(self, runs: Sequence[tuple[int, str]], *, workers: int = WORKERS) -> None:
        """Train the ``runs`` (depth, init) not trained yet, at once in ``workers`` forked processes (Linux; torch
        on one thread in each), the deepest first; ``advance(steps)`` as each ends. The same numbers as one after
        another: every run draws from its own generator seeded with the study's seed."""
        todo = sorted((r for r in dict.fromkeys(runs) if r not in self.runs), key=lambda r: -r[0])
        if not (CAN_FORK and workers > 1 and len(todo) > 1):
            for depth, init in todo:
                self.run(depth, init)
            return
        configs = [self.cfg.train_config(depth, init) for depth, init in todo]
        _JOB.update(data=self.data)
        try:
            with multiprocessing.get_context("fork").Pool(min(workers, len(todo)), initializer=torch.set_num_threads,
                                                          initargs=(1,)) as pool:
                for key, result in zip(todo, pool.imap(_fit, configs)):
                    self.runs[key] = result
                    self.advance(self.budget.run.steps)
        finally:
            _JOB.clear()

    def run(self, depth: int, init: str) -> TrainResult:
        """The run at ``depth`` with ``init`` (trained on first use, with snapshots; one unit per step, all of
        its steps even where it stopped early)."""
        if (depth, init) not in self.runs:
            done = 0

            def tick(n: int = 1, /) -> None:
                nonlocal done
                done += n
                self.advance(n)

            _, self.runs[depth, init] = fit(self.cfg.train_config(depth, init), data=self.data, progress=tick)
            self.advance(max(0, self.budget.run.steps - done))
        return self.runs[depth, init]


_JOB: dict = {}  # the data set the forked training processes share


def _fit(cfg: TrainConfig) -> TrainResult:
    """One run of ``StudyContext.train`` in a worker (the data reach it by ``fork``)."""
    return fit(cfg, data=_JOB["data"])[1]


class Stage(Protocol):
    """One section of the study's report."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        """The (depth, init) of every run the stage reads."""
        ...

    def units(self, b: Budget) -> int:
        """The progress units ``build`` reports (the training steps of its runs not included)."""
        ...

    def build(self, ctx: StudyContext) -> Part:
        """Its section of the page and its rows of the summary table."""
        ...
