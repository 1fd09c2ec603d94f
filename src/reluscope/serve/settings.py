"""The playground's settings: one typed record, checked field by field, that builds the data, the model and the
``TrainConfig`` of a live run with the library's own functions.

``widths`` (a list of hidden widths, or None) overrides ``depth`` and ``width``: given, it sets them (its count + 1,
its widest). ``points`` are the class's own: up to ``MAX_POINTS`` ``(x1, x2, label)`` in the standardised plane
(``|x| ≤ POINT_RANGE``), added to the training split; changing only them keeps the run going (the session hands the
new data to its trainer). The data set ``"drawn"`` is an empty plane: its data are the drawn points alone
(``data.drawn_dataset``), and while they hold fewer than two classes the run ``waits``. ``through`` picks the plane
that the views of an input with more than two dimensions (the digits, an n-column CSV) show: ``"auto"``
(``geometry.plane.auto_indices``) or three data indices ``"i,j,k"``; changing only it keeps the run going as well
(the session draws on the new plane); a 2-D data set ignores it. Every scheme of ``INITS`` is offered; the
registry's ``mean-field`` scheme (``W_ij ~ N(0, σ_w²/fan_in)``, ``b_i ~ N(0, σ_b²)``, the parametrisation of
``probe.meanfield``) takes the page's σ_w², σ_b² sliders.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import torch
from torch import nn

from reluscope.data import DATASETS, FIXED, Dataset, drawn_dataset, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.model import ACTIVATIONS, INITS, init_model_
from reluscope.serve.notice import Notice, label
from reluscope.train.config import OPTIMIZERS, TrainConfig
from reluscope.train.loop import build_model

MEANFIELD = "mean-field"  # the init scheme with σ_w², σ_b² sliders
UPLOADED = "csv"  # the data set name that means "the CSV this session uploaded"
DRAWN = "drawn"  # the data set name that means "an empty plane: only the drawn points"
DRAWN_CORNERS = np.array([[-2.5, -2.5], [2.5, 2.5]])  # the drawn plane covers at least this box (and its margin)
SNAPSHOTS = 10  # parameter snapshots kept over a run (for a saved run's animations)

# field -> (allowed values or (low, high) bounds, inclusive); None bounds: any value of the type
CHOICES = {"dataset": (*DATASETS, *FIXED, UPLOADED, DRAWN), "activation": tuple(ACTIVATIONS), "init": tuple(INITS),
           "optimizer": OPTIMIZERS}
BOUNDS = {"n_samples": (16, 5000), "noise": (0.0, 3.0), "depth": (1, 30), "width": (2, 128),
          "sigma_w2": (0.01, 16.0), "sigma_b2": (0.0, 4.0), "lr": (1e-6, 10.0), "batch_size": (1, 5000),
          "steps": (1, 100_000), "seed": (0, 2**32 - 1)}
KINDS = {"str": str, "int": int, "float": float, "int | None": int, "float | None": float,
         "tuple[int, ...] | None": list, "tuple[tuple[float, float, int], ...]": tuple}  # annotation -> type
NULLABLE = ("noise", "batch_size", "widths")  # None: the generator's noise, full batch, depth × width
MAX_FLOAT_INT = int(sys.float_info.max)  # a JSON integer beyond this has no float
MAX_POINTS = 200  # drawn points a run may hold (they travel in the URL)
POINT_RANGE = 10.0  # a drawn coordinate's bound, in the standardised plane
MAX_LABEL = 7  # a drawn point's label at most (8 classes)
AUTO = "auto"  # the plane through typical points of three classes
MAX_INDEX = 10**7  # a data index at most (a CSV of MAX_UPLOAD bytes has fewer rows)


@dataclass(frozen=True)
class Settings:
    """Everything that defines a live run; changing any field starts a new run."""

    dataset: str = "spirals"  # a built-in name, "csv" (the session's upload) or "drawn" (only the drawn points)
    n_samples: int = 1000  # points generated
    noise: float | None = None  # None: the generator's default
    depth: int = 3  # linear layers
    width: int = 16  # hidden width
    widths: tuple[int, ...] | None = None  # or one width per hidden layer (each within width's bounds)
    activation: str = "relu"
    init: str = "he"  # a scheme of INITS
    sigma_w2: float = 2.0  # mean-field: Var(W) = σ_w²/fan_in
    sigma_b2: float = 0.0  # mean-field: Var(b) = σ_b²
    optimizer: str = "sgd"
    lr: float = TrainConfig.lr  # the library's: He at depth 11 collapses at 0.05 (benchmarks/depth11_seeds.py)
    batch_size: int | None = None  # None: full batch
    steps: int = 5000  # the run stops here (the library's default)
    seed: int = 0
    points: tuple[tuple[float, float, int], ...] = ()  # the class's own (x1, x2, label), added to training
    through: str = AUTO  # n > 2 inputs: the plane through data points "i,j,k" (indices into train, then test)

    def __post_init__(self) -> None:
        if self.widths is not None:
            object.__setattr__(self, "widths", tuple(self.widths))
            object.__setattr__(self, "depth", len(self.widths) + 1)
            object.__setattr__(self, "width", max(self.widths, default=self.width))

    @classmethod
    def from_dict(cls, d: dict) -> Settings:
        """Settings from a client's dict: unknown fields, wrong types and values out of range are refused."""
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ReluscopeError(f"unknown setting {sorted(unknown)[0]!r}")
        return cls(**{f.name: _check(f.name, d[f.name], KINDS[f.type]) for f in fields(cls) if f.name in d})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = None if self.widths is None else list(self.widths)
        d["points"] = [list(p) for p in self.points]
        return d

    @property
    def plane(self) -> str | tuple[int, int, int]:
        """``through`` as ``slice_through`` takes it: ``"auto"`` or the three indices."""
        return AUTO if self.through == AUTO else tuple(int(i) for i in self.through.split(","))

    def train_config(self, dataset_name: str, steps: int | None = None) -> TrainConfig:
        """The ``TrainConfig`` of this run (``steps`` of them, default ``self.steps``); ``dataset_name`` is the
        built-in name or the CSV's path. It keeps ``SNAPSHOTS`` evenly spaced snapshots."""
        return TrainConfig(dataset=dataset_name, n_samples=self.n_samples, noise=self.noise, depth=self.depth,
                           width=self.width, widths=None if self.widths is None else list(self.widths),
                           activation=self.activation, init=self.init,
                           optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size,
                           steps=self.steps if steps is None else steps, snapshots=SNAPSHOTS, seed=self.seed)

    @property
    def waits(self) -> bool:
        """Whether the run waits for points: the drawn plane holds points of fewer than two classes."""
        return self.dataset == DRAWN and len({p[2] for p in self.points}) < 2

    def load_data(self, csv_path: str | None) -> Dataset:
        """The run's standardised, split data: the built-in set, or the uploaded CSV at ``csv_path``, with the
        drawn ``points`` added to its training split; the drawn plane: only the points (``drawn_dataset``)."""
        if self.dataset == DRAWN:
            return drawn_dataset(self.points)
        if self.dataset == UPLOADED:
            if csv_path is None:
                raise Notice("no CSV uploaded in this session; drop a file on the page first", "no_csv")
            return self.with_points(load_dataset(csv_path, random_state=self.seed))
        return self.with_points(load_dataset(self.dataset, self.n_samples, noise=self.noise, random_state=self.seed))

    def with_points(self, data: Dataset) -> Dataset:
        """``data`` (without drawn points) with ``points`` appended to its training split; a label beyond the data
        set's classes is refused."""
        if self.dataset == DRAWN:
            return drawn_dataset(self.points)
        if not self.points:
            return data
        P = np.array([p[:2] for p in self.points], dtype=data.X_train.dtype)  # (p, 2)
        labels = np.array([p[2] for p in self.points], dtype=data.y_train.dtype)  # (p,)
        if data.n_features != 2:
            raise Notice("points can be drawn on a plane only", "points_plane")
        if labels.max() >= data.n_classes:
            raise Notice(f"a drawn point's label must be below the data set's {data.n_classes} classes, "
                         f"got {int(labels.max())}", "point_class", n=data.n_classes)
        return replace(data, X_train=np.concatenate([data.X_train, P]), y_train=np.concatenate([data.y_train, labels]))

    def build_model(self, data: Dataset) -> tuple[nn.Sequential, torch.Generator]:
        """The initialised model and the generator that then draws the mini-batches (as ``train.fit`` does)."""
        gen = torch.Generator().manual_seed(self.seed)
        cfg = self.train_config(data.name)
        if self.init == MEANFIELD:
            model = init_model_(cfg.architecture(data.n_classes, data.n_features), MEANFIELD, generator=gen,
                                sigma_w2=self.sigma_w2, sigma_b2=self.sigma_b2)
            return model, gen
        X = torch.as_tensor(data.X_train, dtype=torch.float32)  # (n, d), for lsuv
        return build_model(cfg, data.n_classes, gen, X=X, n_features=data.n_features), gen


def schema() -> dict:
    """Every field's type, nullability, default and choices or bounds, for a client to build and read its
    controls without guessing from the defaults: ``{name: {"type": "int" | "float" | "str", "nullable": bool,
    "default": …, "choices": […] | "bounds": [low, high]}}``; a list (``widths``) has ``"type": "list"``,
    ``"items": "int"``, ``"length": [low, high]`` and its items' ``"bounds"``; ``points`` has ``"items": "point"``
(``[x1, x2, label]``), the coordinates' ``"bounds"`` and the ``"labels"`` bounds."""
    out = {}
    for f in fields(Settings):
        entry = dict(type=KINDS[f.type].__name__, nullable=f.name in NULLABLE, default=f.default)
        if f.name in CHOICES:
            entry["choices"] = list(CHOICES[f.name])
        if f.name in BOUNDS:
            entry["bounds"] = list(BOUNDS[f.name])
        if f.name == "points":
            entry.update(type="list", default=[], items="point", length=[0, MAX_POINTS],
                         bounds=[-POINT_RANGE, POINT_RANGE], labels=[0, MAX_LABEL])
        if f.name == "through":
            entry.update(format="auto | i,j,k", bounds=[0, MAX_INDEX])
        if f.name == "widths":
            entry.update(items="int", length=[BOUNDS["depth"][0] - 1, BOUNDS["depth"][1] - 1],
                         bounds=list(BOUNDS["width"]))
        out[f.name] = entry
    return out


def json_type(value) -> str:
    """How JSON names the type of a decoded ``value``: null, boolean, number, string, array, object."""
    return {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def _check(name: str, value, kind: type):
    """``value`` if it is a ``kind`` within ``name``'s choices or bounds (``None`` where allowed)."""
    if value is None and name in NULLABLE:
        return None
    if kind is list:
        return _widths(name, value)
    if kind is tuple:
        return _points(name, value)
    if name == "through":
        return _through(name, value)
    given = value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value) if abs(value) <= MAX_FLOAT_INT else math.inf if value > 0 else -math.inf  # 10**400
    if not isinstance(value, kind) or isinstance(value, bool):
        what = {int: "a whole number", float: "a number", str: "a string"}[kind]
        got = _short(value) if type(value) in (int, float) else json_type(value)
        raise Notice(f"setting {name!r} must be {what}, got {got}", f"setting_{kind.__name__}", setting=label(name))
    if name in CHOICES and value not in CHOICES[name]:
        raise Notice(f"setting {name!r}: unknown value {str(value)[:40]!r}", "setting_choice", setting=label(name))
    if name in BOUNDS:
        low, high = BOUNDS[name]
        if not low <= value <= high:  # NaN fails too; an int is compared exactly, however large
            raise Notice(f"setting {name!r} must be in [{low}, {high}], got {_short(given)}", "setting_bounds",
                         setting=label(name), low=low, high=high)
    return value


def _widths(name: str, value) -> tuple[int, ...]:
    """``value`` as hidden widths: a list of at most ``depth``'s upper bound − 1 whole numbers in ``width``'s
    bounds."""
    most = BOUNDS["depth"][1] - 1
    if not isinstance(value, list) or len(value) > most:
        got = f"{len(value)} of them" if isinstance(value, list) else json_type(value)
        raise Notice(f"setting {name!r} must be a list of at most {most} hidden widths, got {got}", "setting_widths",
                     most=most, low=BOUNDS["width"][0], high=BOUNDS["width"][1])
    low, high = BOUNDS["width"]
    for w in value:
        if type(w) is not int or not low <= w <= high:
            got = _short(w) if type(w) in (int, float) else json_type(w)
            raise Notice(f"setting {name!r}: each hidden width must be a whole number in [{low}, {high}], got {got}",
                         "setting_widths", most=most, low=low, high=high)
    return tuple(value)


def _points(name: str, value) -> tuple[tuple[float, float, int], ...]:
    """``value`` as drawn points: a list of at most ``MAX_POINTS`` ``[x1, x2, label]``, finite coordinates within
    ``±POINT_RANGE``, labels whole numbers in ``[0, MAX_LABEL]``."""
    if not isinstance(value, list) or len(value) > MAX_POINTS:
        got = f"{len(value)} of them" if isinstance(value, list) else json_type(value)
        raise Notice(f"setting {name!r} must be a list of at most {MAX_POINTS} points, got {got}", "setting_points",
                     most=MAX_POINTS, low=-POINT_RANGE, high=POINT_RANGE, labels=MAX_LABEL)
    out = []
    for p in value:
        if not (isinstance(p, list) and len(p) == 3 and all(_coordinate(x) for x in p[:2])
                and type(p[2]) is int and 0 <= p[2] <= MAX_LABEL):
            raise Notice(f"setting {name!r}: each point must be [x1, x2, label] with x1, x2 in "
                         f"[{-POINT_RANGE:g}, {POINT_RANGE:g}] and a label in [0, {MAX_LABEL}]", "setting_points",
                         most=MAX_POINTS, low=-POINT_RANGE, high=POINT_RANGE, labels=MAX_LABEL)
        out.append((float(p[0]), float(p[1]), p[2]))
    return tuple(out)


def _through(name: str, value) -> str:
    """``value`` as a plane: ``"auto"`` or three different whole numbers in ``[0, MAX_INDEX]`` joined by commas
    (written back without spaces); whether they index the data is checked when the plane is built."""
    parts = value.split(",") if isinstance(value, str) and len(value) <= 40 else []
    if value == AUTO:
        return AUTO
    if not (len(parts) == 3 and all(p.strip().isascii() and p.strip().isdigit() for p in parts)
            and len({int(p) for p in parts}) == 3 and all(int(p) <= MAX_INDEX for p in parts)):
        got = _short(value) if type(value) in (int, float) else repr(value[:40]) if isinstance(value, str) \
            else json_type(value)
        raise Notice(f"setting {name!r} must be {AUTO!r} or three different data indices i,j,k, got {got}",
                     "setting_through", most=MAX_INDEX)
    return ",".join(str(int(p)) for p in parts)


def _coordinate(x) -> bool:
    """Whether ``x`` is a JSON number within ``±POINT_RANGE`` (an integer is compared exactly, however large)."""
    return type(x) in (int, float) and -POINT_RANGE <= x <= POINT_RANGE


def _short(number) -> str:
    """A number as the message shows it: at most 24 characters (an integer of 400 digits is cut)."""
    text = repr(number)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"
