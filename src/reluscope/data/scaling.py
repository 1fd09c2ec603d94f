"""Standardisation to zero mean / unit variance per feature, and a seeded train/test split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reluscope.data.toy import Seed


@dataclass(frozen=True)
class Standardizer:
    """``x ↦ (x − mean) / std`` per feature, with the statistics kept so a grid maps the same way."""

    mean: np.ndarray  # (d,)
    std: np.ndarray  # (d,)

    @classmethod
    def fit(cls, X: np.ndarray) -> "Standardizer":
        std = X.std(axis=0)
        return cls(mean=X.mean(axis=0), std=np.where(std > 0, std, 1.0))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return Z * self.std + self.mean

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        return cls(mean=np.asarray(d["mean"], float), std=np.asarray(d["std"], float))


def split(X: np.ndarray, y: np.ndarray, *, test_size: float = 0.25,
          random_state: Seed = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified, seeded train/test split (``sklearn.model_selection.train_test_split``).

    The test part holds ``test_size`` of the points but at least one per class (tiny CSVs).
    Returns ``X_train, X_test, y_train, y_test``.
    """
    from sklearn.model_selection import train_test_split  # here: ``import reluscope`` stays light

    n_classes = len(np.unique(y))
    n_test = min(max(round(test_size * len(y)), n_classes), len(y) - n_classes)
    return train_test_split(X, y, test_size=n_test, random_state=random_state, stratify=y)
