"""A stage of the study: one section of the report, built from the study's runs.

The study (``reluscope.report.study``) starts the runs of every stage at once (``StudyContext.start``) and builds
each stage as soon as the runs it reads (``Stage.runs``) have ended; ``Stage.build`` then calls the analysis
library and returns a ``Part`` (its section of the page and its rows of the summary table), reporting
``Stage.units`` progress units through ``StudyContext.advance`` on the way.
"""

from __future__ import annotations

import functools
import multiprocessing
import pickle
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
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
    readers: dict[tuple[int, str], int] = field(default_factory=dict)  # (depth, init) -> stages reading it
    pending: dict[tuple[int, str], AsyncResult] = field(default_factory=dict)  # runs training in ``_pool``
    progress: Progress = field(init=False)  # the study's: training steps count there, not in a stage's units
    _pool: Pool | None = field(default=None, init=False, repr=False)  # the training processes of ``start``
    _ended: set[tuple[int, str]] = field(default_factory=set, init=False, repr=False)  # runs the pool says ended
    _news: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0), init=False, repr=False)

    def __post_init__(self) -> None:
        self.progress = self.advance

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

    def start(self, runs: Sequence[tuple[int, str]], *, workers: int = WORKERS) -> None:
        """Start training the ``runs`` (depth, init) not trained yet, at once in ``workers`` forked processes
        (Linux; torch on one thread in each), and return: ``run`` waits for one, ``ready`` says whether they have
        ended, ``wait`` waits for the next to end. The runs read by the most stages go first (the 11-layer He run:
        Task 1, Task 2, the cells), then the deepest. ``progress(steps)`` as each is taken in, or as each step ends
        where they are trained here, one after another, before this returns (no fork: macOS, Windows). The same
        numbers either way: every run draws from its own generator seeded with the study's seed."""
        todo = sorted((r for r in dict.fromkeys(runs) if r not in self.runs and r not in self.pending),
                      key=lambda r: (-self.readers.get(r, 0), -r[0]))
        if not (CAN_FORK and workers > 1 and (len(todo) > 1 or self._pool is not None and todo)):
            for depth, init in todo:  # one run alone, if none is training, is trained here
                self.run(depth, init)
            return
        if self._pool is None:  # else the runs join those still training
            import_optimizers()  # once here, not once in every worker
            _JOB.update(data=self.data)  # reaches the workers by fork
            self._pool = multiprocessing.get_context("fork").Pool(min(workers, len(todo)),
                                                                  initializer=torch.set_num_threads, initargs=(1,))
        for key in todo:
            end = functools.partial(self._end, key)
            self.pending[key] = self._pool.apply_async(_fit, (self.cfg.train_config(*key),), callback=end,
                                                       error_callback=end)

    def train(self, runs: Sequence[tuple[int, str]], *, workers: int = WORKERS) -> None:
        """Train the ``runs`` (depth, init) not trained yet (``start``) and wait for all of them."""
        self.start(runs, workers=workers)
        for key in list(self.pending):
            self.run(*key)

    def ready(self, runs: Sequence[tuple[int, str]]) -> bool:
        """Whether ``run`` returns each of ``runs`` without waiting for a run that ``start`` began; takes in every
        run that has ended (its steps counted in ``progress`` as soon as it is seen)."""
        for key in [key for key in self.pending if key in self._ended]:
            self.run(*key)
        return not any(r in self.pending for r in runs)

    def wait(self) -> None:
        """Wait until a run that ``start`` began ends: one call per run that ended (at once if it already has, or
        if none is pending)."""
        if self.pending:
            self._news.acquire()

    def _end(self, key: tuple[int, str], _) -> None:
        """In the pool's result thread, as the run ``key`` ends or fails: before its result says it is ready, so
        ``ready`` goes by ``_ended`` (the result's ``get`` then waits a moment at most)."""
        self._ended.add(key)
        self._news.release()

    def close(self) -> None:
        """End the training processes (those still training are stopped)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
        self.pending.clear()
        self._ended.clear()
        _JOB.clear()

    def run(self, depth: int, init: str) -> TrainResult:
        """The run at ``depth`` with ``init``: waited for if ``start`` began it, else trained here on first use
        (with snapshots; one unit per step, all of its steps even where it stopped early)."""
        key = (depth, init)
        if key in self.pending:
            self.runs[key] = pickle.loads(self.pending.pop(key).get())
            self.progress(self.budget.run.steps)
            if not self.pending:
                self.close()
        if key not in self.runs:
            done = 0

            def tick(n: int = 1, /) -> None:
                nonlocal done
                done += n
                self.progress(n)

            _, self.runs[key] = fit(self.cfg.train_config(depth, init), data=self.data, progress=tick)
            self.progress(max(0, self.budget.run.steps - done))
        return self.runs[key]


_JOB: dict = {}  # the data set the forked training processes share


def import_optimizers() -> None:
    """Make a torch optimizer once: the first one imports ``torch._dynamo`` (about 800 modules, 1.5 CPU-s), which
    a process forked after this inherits instead of importing it again."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)])


def _fit(cfg: TrainConfig) -> bytes:
    """One run of ``StudyContext.start`` in a worker (the data reach it by ``fork``), pickled here by the plain
    pickler: the pool's own pickler would hand each tensor over as a shared-memory file descriptor, fetched from
    this process over a socket, and one fetch that fails ends the pool's result thread without a word."""
    return pickle.dumps(fit(cfg, data=_JOB["data"])[1], protocol=pickle.HIGHEST_PROTOCOL)


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
