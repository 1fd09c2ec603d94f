"""What the initialisation study is asked for (``InitStudyConfig``): depths × schemes × seeds and the training
every run shares.

It imports without torch or matplotlib: the command line checks a study before it loads the library that
runs it (``reluscope.studies.initstudy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from reluscope.errors import ReluscopeError, refuse_outside, refuse_repeats
from reluscope.model.names import check_init
from reluscope.train.config import TrainConfig

SCHEMES = ("normal", "lecun", "xavier", "he", "orthogonal", "torch-default", "torch-weights", "lsuv")


@dataclass
class InitStudyConfig:
    """What the study runs: every depth × scheme × seed is one training run with the settings of ``base``."""

    depths: tuple[int, ...] = (3, 11)  # numbers of linear layers
    schemes: tuple[str, ...] = SCHEMES  # names in reluscope.model.INITS
    seeds: int = 5  # seeds base.seed … base.seed + seeds − 1 (data, init, batches)
    # data set, points, width, activation, optimizer, lr, steps, eval_every of every run (depth, init, seed per run)
    base: TrainConfig = field(default_factory=lambda: TrainConfig(lr=0.01, steps=1500, eval_every=25))

    @classmethod
    def quick(cls) -> "InitStudyConfig":
        """The small version: 2 seeds, 300 steps, 500 points."""
        return cls(seeds=2, base=replace(cls().base, steps=300, n_samples=500, eval_every=20))

    def train_config(self, depth: int, scheme: str, seed: int) -> TrainConfig:
        return replace(self.base, depth=depth, init=scheme, seed=seed)

    @property
    def seed_values(self) -> range:
        return range(self.base.seed, self.base.seed + self.seeds)

    def validate(self) -> "InitStudyConfig":
        """Raise ``ReluscopeError`` naming the first impossible setting; return self."""
        if not self.depths or not self.schemes:
            raise ReluscopeError("need at least one depth and one scheme")
        if self.seeds < 1:
            raise ReluscopeError(f"seeds must be at least 1, got {self.seeds}")
        for name in ("depths", "schemes"):
            refuse_repeats(name, getattr(self, name))
        refuse_outside("depths", self.depths, lambda d: d >= 1, "at least 1")
        for scheme in self.schemes:
            check_init(scheme)
        for depth in self.depths:
            for seed in (self.seed_values[0], self.seed_values[-1]):  # TrainConfig bounds every seed
                self.train_config(depth, self.schemes[0], seed).validate()
        return self

    @property
    def deepest(self) -> int:
        return max(self.depths)
