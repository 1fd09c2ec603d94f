"""What a trainability sweep is asked for (``SweepConfig``): the grid and the training every run shares.

It imports without torch or matplotlib: the command line checks a sweep before it loads the library that
trains it (``reluscope.studies.sweep``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from itertools import product

from reluscope.errors import ReluscopeError, refuse_outside, refuse_repeats
from reluscope.limits import MAX_FLOPS, check_work
from reluscope.train.budget import run_work
from reluscope.train.config import TrainConfig

GRID_FIELDS = ("dataset", "depth", "seed", "init", "bias_init")  # of TrainConfig: set by the grid, not by base


@dataclass
class SweepConfig:
    """The grid and the training settings every run shares."""

    depths: list[int] = field(default_factory=lambda: [2, 5, 10, 20, 30, 40, 50])  # linear layers
    sigma_w2: list[float] = field(default_factory=lambda: [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    sigma_b2: list[float] = field(default_factory=lambda: [0.0])
    datasets: list[str] = field(default_factory=lambda: ["moons"])
    seeds: int = 2  # seeds 0 … seeds−1 in every cell
    # width, activation, optimizer, lr, steps, n_samples, noise of every run (the grid sets GRID_FIELDS);
    # base.seed draws the data set's points
    base: TrainConfig = field(default_factory=lambda: TrainConfig(n_samples=500, lr=0.01, steps=600))

    def validate(self) -> "SweepConfig":
        for name in ("depths", "sigma_w2", "sigma_b2", "datasets"):
            if not getattr(self, name):
                raise ReluscopeError(f"the sweep needs at least one value of {name}")
            refuse_repeats(name, getattr(self, name))
        if self.seeds < 1:
            raise ReluscopeError(f"seeds must be at least 1, got {self.seeds}")
        refuse_outside("depths", self.depths, lambda d: d >= 1, "at least 1")
        refuse_outside("sigma_w2", self.sigma_w2, lambda w: 0 < w < math.inf, "positive and finite")
        refuse_outside("sigma_b2", self.sigma_b2, lambda b: 0 <= b < math.inf, "0 or more and finite")
        for d in self.datasets:
            for depth in self.depths:
                replace(self.base, dataset=d, depth=depth).validate()
        members = len(self.sigma_w2) * len(self.sigma_b2) * self.seeds  # one ensemble per data set and depth
        work = len(self.datasets) * sum(run_work(replace(self.base, depth=d), members=members) for d in self.depths)
        check_work(work, MAX_FLOPS, f"a sweep of {members * len(self.datasets) * len(self.depths)} runs")
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
