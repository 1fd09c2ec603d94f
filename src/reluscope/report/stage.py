"""A stage of the study: one section of the report, built from the study's runs.

The study (``reluscope.report.study``) goes through its stages in the sheet's order. Before a stage is built,
the runs it reads (``Stage.runs``) are trained, unless an earlier stage's were the same; ``Stage.build``
then calls the analysis library and returns a ``Part`` (its section of the page and its rows of the summary
table), reporting ``Stage.units`` progress units through ``StudyContext.advance`` on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from typing import Protocol

from reluscope.data import Dataset
from reluscope.progress import Progress
from reluscope.report.config import Budget, StudyConfig
from reluscope.report.document import Part
from reluscope.train import TrainResult, fit


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

    def run(self, depth: int, init: str) -> TrainResult:
        """The run at ``depth`` with ``init`` (trained on first use, with snapshots; one unit per step)."""
        if (depth, init) not in self.runs:
            cfg = self.cfg.train_config(depth, init)
            _, self.runs[depth, init] = fit(cfg, data=self.data, progress=self.advance)
        return self.runs[depth, init]


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
