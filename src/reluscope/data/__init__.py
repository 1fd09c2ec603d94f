"""Stage 1 of the pipeline: 2D toy data sets, the 8×8 digits, the user's CSV, standardisation, the split.

``DATASETS`` (the generated 2D sets) and ``FIXED`` (sets that ship as they are: the 64-pixel digits) are the
one place that knows the built-in names; ``load_dataset`` takes a name or a CSV path and returns a
standardised, split ``Dataset`` with any number of features.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reluscope.data.csv import CsvError, load_csv, save_csv
from reluscope.data.digits import IMAGE_SHAPE, load_digits
from reluscope.data.scaling import Standardizer, split
from reluscope.data.toy import (Points, Seed, make_checkerboard, make_circles, make_gaussians, make_moons,
                                make_spirals, make_xor)
from reluscope.errors import ReluscopeError
from reluscope.limits import check_memory

DATASETS = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "gaussians": make_gaussians,
    "checkerboard": make_checkerboard,
}
FIXED = {"digits": load_digits}  # fixed data sets: n_samples does not apply
POINT_BYTES = 200  # memory per generated point: X, y and the generators' temporaries, split, standardised


@dataclass
class Dataset:
    """A standardised classification problem with ``n_features`` inputs, split into train and test."""

    name: str  # built-in name or the CSV's path
    X_train: np.ndarray  # (n_train, d), standardised
    y_train: np.ndarray  # (n_train,)
    X_test: np.ndarray  # (n_test, d), standardised
    y_test: np.ndarray  # (n_test,)
    scaler: Standardizer  # maps raw coordinates to the standardised ones

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    @property
    def n_features(self) -> int:
        """The input dimension ``d`` (2 for the toy sets, 64 for the digits)."""
        return int(self.X_train.shape[1])

    def tensors(self, device="cpu"):
        """``X_train, y_train, X_test, y_test`` as float32/int64 tensors on ``device`` (a name or a
        ``torch.device``), for training."""
        import torch  # here: the data stage needs no torch until training

        return (torch.as_tensor(self.X_train, dtype=torch.float32, device=device),
                torch.as_tensor(self.y_train, device=device),
                torch.as_tensor(self.X_test, dtype=torch.float32, device=device),
                torch.as_tensor(self.y_test, device=device))

    @property
    def X(self) -> np.ndarray:
        """All points, train then test, standardised: (n, d)."""
        return np.concatenate([self.X_train, self.X_test])

    @property
    def y(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])


def is_csv(name: str) -> bool:
    return str(name).lower().endswith(".csv")


def check_dataset_name(name: str) -> str:
    """``name`` if it is a built-in data set or a ``.csv`` path; else ``ReluscopeError`` listing the names."""
    if not is_csv(name) and name not in DATASETS and name not in FIXED:
        raise _unknown(name)
    return name


def _unknown(name: str) -> ReluscopeError:
    return ReluscopeError(f"unknown data set {name!r}; choose one of {', '.join([*DATASETS, *FIXED])} "
                          "or a .csv path")


def generate(name: str, n_samples: int = 1000, *, noise: float | None = None, random_state: Seed = 0) -> Points:
    """Raw ``X, y`` of a built-in data set; ``noise=None`` keeps the generator's default.

    A fixed set (``FIXED``: the digits) has its own size and ignores ``n_samples``.
    """
    kwargs = {} if noise is None else {"noise": noise}
    if name in FIXED:
        return FIXED[name](random_state=random_state, **kwargs)
    if name not in DATASETS:
        raise _unknown(name)
    if n_samples < 8:
        raise ReluscopeError(f"n_samples must be at least 8, got {n_samples}")
    check_memory(POINT_BYTES * n_samples, f"{n_samples} points of {name}")
    return DATASETS[name](n_samples, random_state=random_state, **kwargs)


def load_dataset(name: str, n_samples: int = 1000, *, noise: float | None = None, test_size: float = 0.25,
                 random_state: Seed = 0) -> Dataset:
    """A built-in data set (by name) or a CSV (by path, any number of feature columns), standardised with
    train statistics per feature, split.

    The standardiser is fitted on the training part only, so test points are mapped as new points would be.
    """
    if is_csv(name):
        X, y = load_csv(name, n_features=None)
        name = str(Path(name))
    else:
        X, y = generate(name, n_samples, noise=noise, random_state=random_state)
    if np.bincount(y).min() < 2:
        raise CsvError(f"{name}: every class needs at least 2 points to be split into train and test", "split")
    X_tr, X_te, y_tr, y_te = split(X, y, test_size=test_size, random_state=random_state)
    with np.errstate(over="ignore", invalid="ignore"):
        scaler = Standardizer.fit(X_tr)
    if not (np.all(np.isfinite(scaler.mean)) and np.all(np.isfinite(scaler.std))):
        raise CsvError(f"{name}: coordinates too large to standardise (their variance overflows float64)", "scale")
    return Dataset(name, scaler.transform(X_tr), y_tr, scaler.transform(X_te), y_te, scaler)


def drawn_dataset(points) -> Dataset:
    """The points ``(x1, x2, label)`` someone drew, already on the standardised plane (the identity scaler), as a
    data set named ``"drawn"``. Nothing is held out of so few points: the test split is the training split. With
    no points both are empty (an empty plane to draw on; it has no classes yet)."""
    P = np.array([p[:2] for p in points], dtype=np.float64).reshape(-1, 2)  # (p, 2)
    y = np.array([p[2] for p in points], dtype=np.int64)  # (p,)
    return Dataset("drawn", P, y, P.copy(), y.copy(), Standardizer(mean=np.zeros(2), std=np.ones(2)))


__all__ = ["DATASETS", "FIXED", "IMAGE_SHAPE", "CsvError", "Dataset", "Standardizer", "check_dataset_name",
           "drawn_dataset", "generate", "is_csv", "load_csv", "load_dataset", "load_digits", "make_checkerboard",
           "make_circles", "make_gaussians", "make_moons", "make_spirals", "make_xor", "save_csv", "split"]
