"""What ``reluscope study`` is asked for (``StudyConfig``) and how big it is (``Budget``).

One ``TrainConfig`` (``Budget.run``) holds the settings every run of the study shares; the study sets its data
set and seed (``StudyConfig.base``), and each stage the depth and the init of the runs it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from reluscope.data import is_csv
from reluscope.errors import ReluscopeError
from reluscope.report.pdf import require_chromium
from reluscope.report.texts import check_language
from reluscope.train import TrainConfig


@dataclass(frozen=True)
class Budget:
    """How big a study is: the full one answers the sheet, the quick one checks the pipeline end to end."""

    run: TrainConfig  # every run's points, width, steps and snapshots (full-batch SGD at TrainConfig's lr)
    grid: int  # points per side of the decision-boundary grids
    pixels: int  # pixels per side of the decision-cell images (one activation pattern per pixel centre)
    warp_grid: int  # grid points per side carried back by the back-projection (drawn as warped lines)
    exact_final: bool  # also count the trained network's cells exactly (seconds: tens of thousands of cells)
    shown_points: int = 200  # data points drawn in each back-projection and cells frame (they set its size)
    shallow: int = 3  # the sheet's first depth (linear layers)
    deep: int = 11  # the depth at which N(0, 1) fails
    # the mean-field section's trainability sweep: small ReLU nets, W ~ N(0, σ_w²/n), one seed per cell
    sweep_depths: tuple[int, ...] = (2, 6, 12, 20)  # linear layers
    sweep_sigma_w2: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
    sweep_steps: int = 60  # full-batch SGD steps of every net (Budget.run's lr and momentum)
    sweep_points: int = 150  # points of the sweep's data set
    sweep_width: int = 16

    @property
    def frames(self) -> int:
        """Training steps a slider offers: the snapshots, evenly spaced, step 0 and the last included."""
        return self.run.snapshots + 1


FULL = Budget(TrainConfig(n_samples=1000, steps=3000, snapshots=4), grid=140, pixels=130, warp_grid=20,
              exact_final=True)
QUICK = Budget(TrainConfig(n_samples=300, steps=300, snapshots=2), grid=50, pixels=80, warp_grid=20,
               exact_final=False, sweep_depths=(2, 10), sweep_sigma_w2=(1.0, 2.0, 3.0), sweep_steps=20,
               sweep_points=100)


@dataclass
class StudyConfig:
    """What ``reluscope study`` was asked for."""

    dataset: str = "spirals"  # built-in name or a CSV path
    seed: int = 0  # data, split, initial weights and batches of every run
    quick: bool = False  # the small budget (pipeline check, ~seconds)
    out: Path = Path("out/study")  # study directory: report.html, figures/, tables/, study.json
    lang: str = "en"  # the report's language: "en" or "de" (the sheet's questions are quoted in German in both)
    pdf: bool = False  # also print the report to report.pdf through headless Chromium

    @property
    def budget(self) -> Budget:
        return QUICK if self.quick else FULL

    @property
    def base(self) -> TrainConfig:
        """Every run's settings: the budget's, on this study's data set and seed."""
        return replace(self.budget.run, dataset=self.dataset, seed=self.seed)

    def train_config(self, depth: int, init: str) -> TrainConfig:
        """The run at ``depth`` with ``init``."""
        return replace(self.base, depth=depth, init=init)

    def validate(self) -> "StudyConfig":
        """Raise ``ReluscopeError`` for a missing CSV or a setting no run may have (an unknown data set, a seed
        outside [0, 2³²), a language other than en and de, a PDF with no Chromium to print it); return self."""
        check_language(self.lang)
        if self.pdf:
            require_chromium()
        if is_csv(self.dataset):
            try:
                found = Path(self.dataset).is_file()
            except OSError as e:  # e.g. a name longer than the file system allows
                raise ReluscopeError(f"data set file {self.dataset}: {e.strerror}") from None
            if not found:
                raise ReluscopeError(f"data set file not found: {self.dataset}")
        self.train_config(self.budget.deep, "he").validate()
        return self
