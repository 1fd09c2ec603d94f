"""The typed configuration of one training run; ``config.json`` in a run directory is this, as JSON.

It imports without torch: the command line checks a configuration before it loads the library.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields

from typing import TYPE_CHECKING

from reluscope.data import check_dataset_name
from reluscope.errors import ReluscopeError
from reluscope.limits import check_number
from reluscope.model.names import check_activation, check_init
from reluscope.outputs import check_text_name
from reluscope.train.budget import MAX_DEPTH, check_run_budget

if TYPE_CHECKING:
    from torch import nn

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig:
    """Everything needed to rerun a training run bit for bit."""

    dataset: str = "spirals"  # built-in name (reluscope.data.DATASETS, .FIXED) or a CSV path
    n_samples: int = 1000  # points generated (ignored for a CSV and the fixed digits)
    noise: float | None = None  # None: the generator's default noise
    depth: int = 3  # number of nn.Linear layers
    width: int = 32  # hidden width
    widths: list[int] | None = None  # or one width per hidden layer; given, they set depth and width (the widest)
    activation: str = "relu"  # reluscope.model.ACTIVATIONS
    init: str = "he"  # reluscope.model.INITS
    bias_init: float = 0.0  # every bias starts at this value
    optimizer: str = "sgd"  # "sgd" (with momentum) or "adam"
    lr: float = 0.01  # learning rate; 0.05 collapses He at depth 11 (benchmarks/depth11_seeds.py)
    momentum: float = 0.9  # SGD momentum (ignored by Adam)
    warmup_steps: int = 0  # the learning rate rises linearly over this many steps (0: none)
    schedule: str = "constant"  # after the warm-up: "constant", or "cosine" (down to 0 at the last step)
    clip_norm: float | None = None  # clip the gradient's norm to this before each step (None: no clipping)
    steps: int = 5000  # optimisation steps (checkerboard's 16 tiles need them: docs/training.md)
    batch_size: int | None = None  # None: full batch
    eval_every: int = 50  # history row every this many steps
    snapshots: int = 0  # keep the parameters at this many evenly spaced steps, the last included, and step 0
    snapshot_every: int = 0  # or: keep them every this many steps, and the last (0: none)
    seed: int = 0  # seeds data, split, init and batches

    def __post_init__(self) -> None:
        if isinstance(self.widths, (list, tuple)) and all(type(w) is int for w in self.widths):
            self.widths = list(self.widths)
            self.depth, self.width = len(self.widths) + 1, max(self.widths, default=self.width)

    @property
    def hidden_widths(self) -> list[int]:
        """The ``depth − 1`` hidden widths: ``widths``, or ``width`` for each hidden layer."""
        return list(self.widths) if self.widths is not None else [self.width] * (self.depth - 1)

    def validate(self) -> "TrainConfig":
        """Raise ``ReluscopeError`` naming the first impossible setting; return self."""
        self._check_types()
        if self.widths is not None and not (isinstance(self.widths, list) and len(self.widths) < MAX_DEPTH
                                            and all(type(w) is int and 1 <= w for w in self.widths)):
            raise ReluscopeError(f"widths must be a list of fewer than {MAX_DEPTH} whole numbers of at least 1 "
                                 "(one per hidden layer)")
        for w in self.widths or ():
            check_number(w, "widths")
        check_dataset_name(self.dataset)
        check_text_name(self.dataset, "data set")
        check_activation(self.activation)
        check_init(self.init, self.bias_init)
        if self.optimizer not in OPTIMIZERS:
            raise ReluscopeError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        for name, low in (("depth", 1), ("width", 1), ("steps", 1), ("n_samples", 8), ("eval_every", 1)):
            if getattr(self, name) < low:
                raise ReluscopeError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if not 0 < self.lr < math.inf:
            raise ReluscopeError(f"lr must be positive and finite, got {self.lr}")
        if self.schedule not in SCHEDULES:
            raise ReluscopeError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.warmup_steps < 0:
            raise ReluscopeError(f"warmup_steps must be 0 or more, got {self.warmup_steps}")
        if self.clip_norm is not None and not 0 < self.clip_norm < math.inf:
            raise ReluscopeError(f"clip_norm must be positive and finite, got {self.clip_norm}")
        if not 0 <= self.momentum < 1:
            raise ReluscopeError(f"momentum must be in [0, 1), got {self.momentum}")
        if not math.isfinite(self.bias_init):
            raise ReluscopeError(f"bias_init must be finite, got {self.bias_init}")
        if not 0 <= self.seed < 2**32:
            raise ReluscopeError(f"seed must be in [0, 2³²), got {self.seed}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ReluscopeError(f"batch_size must be at least 1, got {self.batch_size}")
        for name in ("snapshots", "snapshot_every"):
            if getattr(self, name) < 0:
                raise ReluscopeError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.snapshots and self.snapshot_every:
            raise ReluscopeError("give snapshots (a count) or snapshot_every (a period), not both")
        if self.noise is not None and not 0 <= self.noise < math.inf:
            raise ReluscopeError(f"noise must be 0 or more and finite, got {self.noise}")
        for f in fields(self):  # every number within what float32 training and int64 sizes hold
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                check_number(value, f.name)
        check_run_budget(self)
        return self

    def _check_types(self) -> None:
        """Each field of its annotated kind: an ``int`` field a whole number (``True`` is not one; a NumPy integer
        is kept as an ``int``), a ``float`` field a real number, a ``str`` field text; ``None`` where allowed."""
        for f in fields(self):
            kind, value = f.type.removesuffix(" | None"), getattr(self, f.name)
            if value is None and kind != f.type:
                continue
            shown = repr(value) if isinstance(value, str) else value
            if kind == "int":
                if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                    raise ReluscopeError(f"{f.name} must be a whole number, got {shown}")
                setattr(self, f.name, int(value))
            elif kind == "float" and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
                raise ReluscopeError(f"{f.name} must be a number, got {shown}")
            elif kind == "str" and not isinstance(value, str):
                raise ReluscopeError(f"{f.name} must be text, got {shown}")

    def is_snapshot_step(self, step: int) -> bool:
        """Whether the parameters after ``step`` (0: at init) are kept.

        With ``snapshots = K``: step 0 and, for i = 1 … K, the first step s ≥ i·steps/K — K evenly spaced
        steps ending at the last (every step when K ≥ steps). With ``snapshot_every = N``: every N-th step and
        the last.
        """
        if self.snapshot_every:
            return step % self.snapshot_every == 0 or step == self.steps
        if self.snapshots:
            return step == 0 or step * self.snapshots // self.steps > (step - 1) * self.snapshots // self.steps
        return False

    @property
    def n_snapshots(self) -> int:
        """How many snapshots a run that takes all its steps keeps (0: none)."""
        if self.snapshot_every:
            return self.steps // self.snapshot_every + 1 + (self.steps % self.snapshot_every != 0)
        return min(self.snapshots, self.steps) + 1 if self.snapshots else 0

    def architecture(self, n_classes: int, n_features: int = 2) -> nn.Sequential:
        """The configured MLP on ``n_features`` inputs with ``n_classes`` logits, not yet initialised
        (PyTorch's default)."""
        from reluscope.model.mlp import build_mlp  # torch: not needed to check a configuration

        return build_mlp(n_features, self.hidden_widths, self.depth, n_classes, activation=self.activation)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
