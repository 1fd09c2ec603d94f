"""The user's own 2D data: a CSV with a header row and columns x1, x2, label."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.limits import check_memory

MIN_ROWS = 4
ROW_BYTES_PER_BYTE = 20  # memory of the parsed rows (lists of str) per byte of the file


def load_csv(path: str | Path):
    """Read ``x1, x2, label`` rows (a header row first) into ``X`` (n, 2) float64 and ``y`` (n,) int64.

    Labels may be any numbers or strings; they are mapped to 0..k−1 in sorted order.

    Raises
    ------
    ReluscopeError
        If the file is missing, empty or not UTF-8 text, a row does not have three columns, a coordinate is not a finite
        number, there are fewer than ``MIN_ROWS`` rows or fewer than two classes.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise ReluscopeError(f"CSV file not found: {path}")
        check_memory(ROW_BYTES_PER_BYTE * path.stat().st_size, f"reading {path}")
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if any(cell.strip() for cell in r)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise ReluscopeError(f"{path}: not a UTF-8 CSV text file ({e})") from None
    except OSError as e:
        raise ReluscopeError(f"cannot read {path}: {e.strerror or e}") from None
    if len(rows) < 2:
        raise ReluscopeError(f"{path}: empty (need a header row and at least {MIN_ROWS} data rows)")
    coords, labels = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise ReluscopeError(f"{path}, line {lineno}: expected 3 columns (x1, x2, label), got {len(row)}")
        try:
            xy = [float(row[0]), float(row[1])]
        except ValueError:
            raise ReluscopeError(f"{path}, line {lineno}: x1, x2 must be numbers, got {row[:2]}") from None
        if not np.all(np.isfinite(xy)):
            raise ReluscopeError(f"{path}, line {lineno}: x1, x2 must be finite, got {row[:2]}")
        coords.append(xy)
        labels.append(row[2].strip())
    if len(coords) < MIN_ROWS:
        raise ReluscopeError(f"{path}: {len(coords)} data rows; need at least {MIN_ROWS}")
    classes, y = np.unique(_numeric_if_possible(labels), return_inverse=True)
    if len(classes) < 2:
        raise ReluscopeError(f"{path}: only one class ({classes[0]!r}); need at least 2")
    return np.asarray(coords, dtype=np.float64), y.astype(np.int64)


def save_csv(path: str | Path, X: np.ndarray, y: np.ndarray) -> None:
    """Write ``X`` (n, 2) and ``y`` (n,) in the format ``load_csv`` reads."""
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x1", "x2", "label"])
        w.writerows([float(a), float(b), int(c)] for (a, b), c in zip(X, y))


def _numeric_if_possible(labels: list[str]) -> np.ndarray:
    """Labels as floats when all parse (so "10" sorts after "9"), else as strings."""
    try:
        return np.asarray([float(s) for s in labels])
    except ValueError:
        return np.asarray(labels)
