"""The user's own data: a CSV with a header row and columns x1, x2, …, xd, label (d = 2 for the plane)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.limits import check_memory

MIN_ROWS = 4
ROW_BYTES_PER_BYTE = 20  # memory of the parsed rows (lists of str) per byte of the file


class CsvError(ReluscopeError):
    """A CSV that cannot be read as data: the message names the file; ``reason`` (``encoding``, ``empty``,
    ``header``, ``columns``, ``number``, ``finite``, ``rows``, ``classes``; and ``split``, ``scale``, which
    ``load_dataset`` raises after the file was read) and ``values`` (``line``, ``columns``, ``rows``, ``need``,
    ``header``) say what is wrong without it, for a page to say in its own words."""

    def __init__(self, message: str, reason: str, **values):
        super().__init__(message, reason)
        self.values = values


def load_csv(path: str | Path, *, n_features: int | None = 2):
    """Read ``x1, …, xd, label`` rows (a header row first, which may not be all numbers) into ``X`` (n, d) float64 and
    ``y`` (n,) int64.

    ``n_features=2`` reads the plane's ``x1, x2, label``; ``None`` reads any ``d ≥ 2`` feature columns, as
    many as the header names. Labels may be any numbers or strings; they are mapped to 0..k−1 in sorted order.

    Raises
    ------
    ReluscopeError
        If the file is missing, empty or not UTF-8 text, its first line is all numbers (no header), a row does not have
        the header's (or ``n_features + 1``) columns, a coordinate is not a finite number, there are fewer than
        ``MIN_ROWS`` rows or fewer than two classes.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise ReluscopeError(f"CSV file not found: {path}")
        check_memory(ROW_BYTES_PER_BYTE * path.stat().st_size, f"reading {path}")
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if any(cell.strip() for cell in r)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise CsvError(f"{path}: not a UTF-8 CSV text file ({e})", "encoding") from None
    except OSError as e:
        raise ReluscopeError(f"cannot read {path}: {e.strerror or e}") from None
    if len(rows) < 2:
        raise CsvError(f"{path}: empty (need a header row and at least {MIN_ROWS} data rows)", "empty", need=MIN_ROWS)
    d = max(len(rows[0]) - 1, 2) if n_features is None else n_features
    names = "x1, x2" if d == 2 else f"x1 … x{d}"
    if all(_is_number(cell) for cell in rows[0]):
        header = ",".join([f"x{i + 1}" for i in range(d)] + ["label"]) if d <= 3 else f"x1,…,x{d},label"
        raise CsvError(f"{path}, line 1: the first line is data, not a header; add a header line {header}",
                       "header", line=1, header=header)
    coords, labels = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != d + 1:
            raise CsvError(f"{path}, line {lineno}: expected {d + 1} columns ({names}, label), got {len(row)}",
                           "columns", line=lineno, columns=d + 1)
        try:
            x = [float(v) for v in row[:d]]
        except ValueError:
            raise CsvError(f"{path}, line {lineno}: {names} must be numbers, got {row[:d]}", "number",
                           line=lineno) from None
        if not np.all(np.isfinite(x)):
            raise CsvError(f"{path}, line {lineno}: {names} must be finite, got {row[:d]}", "finite", line=lineno)
        coords.append(x)
        labels.append(row[d].strip())
    if len(coords) < MIN_ROWS:
        raise CsvError(f"{path}: {len(coords)} data rows; need at least {MIN_ROWS}", "rows", rows=len(coords),
                       need=MIN_ROWS)
    classes, y = np.unique(_numeric_if_possible(labels), return_inverse=True)
    if len(classes) < 2:
        raise CsvError(f"{path}: only one class ({classes[0]!r}); need at least 2", "classes")
    return np.asarray(coords, dtype=np.float64), y.astype(np.int64)


def save_csv(path: str | Path, X: np.ndarray, y: np.ndarray) -> None:
    """Write ``X`` (n, d) and ``y`` (n,) in the format ``load_csv`` reads."""
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*(f"x{i + 1}" for i in range(X.shape[1])), "label"])
        w.writerows([*map(float, x), int(c)] for x, c in zip(X, y))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _numeric_if_possible(labels: list[str]) -> np.ndarray:
    """Labels as floats when all parse (so "10" sorts after "9"), else as strings."""
    try:
        return np.asarray([float(s) for s in labels])
    except ValueError:
        return np.asarray(labels)
