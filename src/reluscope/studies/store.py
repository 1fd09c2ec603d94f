"""A sweep's results store: one SQLite table ``runs``, one row per run, the grid key unique.

``OUT/runs.sqlite`` is written by the sweep's driver only, one transaction per finished ensemble, so a killed
driver leaves every ensemble stored whole or not at all (WAL mode: readers never block the writer, and a
crash mid-transaction rolls back). Inserts are idempotent::

    INSERT … ON CONFLICT (dataset, depth, sigma_w2, sigma_b2, seed) DO UPDATE … WHERE runs.status = 'error'

a run that finished is never written twice (a retried task, a rerun after a crash, a second driver: the
first row stays), and a run recorded as ``error`` gives way to its next attempt. ``runs.csv`` is an export
(``export_csv``), never read back except once, to import a sweep written before the store existed.

SQLite has no NaN: it stores a NaN as NULL. A finished run has every number, so a NULL number there reads
back as NaN; an ``error`` row has no numbers, and its NULLs read back as None.
"""

from __future__ import annotations

import csv
import math
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_file, write_csv

KEY = ("dataset", "depth", "sigma_w2", "sigma_b2", "seed")  # one run of the grid
METRICS = ("status", "train_accuracy", "test_accuracy", "chance_accuracy", "final_loss", "steps_run",
           "diverged_at_step")  # from TrainResult.metrics
# q_in = E[x²] of the points, q_init = E[z_L²] of the logits at init; error: why a run has no result
COLUMNS = (*KEY, *METRICS, "q_in", "q_init", "error")
INTS = frozenset({"depth", "seed", "steps_run", "diverged_at_step"})
TEXT = frozenset({"dataset", "status", "error"})
FLOATS = tuple(c for c in COLUMNS if c not in INTS | TEXT)
ERROR = "error"  # the status of a run whose task raised or whose worker died past its retries


def _sql_type(column: str) -> str:
    return "INTEGER" if column in INTS else "TEXT" if column in TEXT else "REAL"


_CREATE = (f"CREATE TABLE IF NOT EXISTS runs ({', '.join(f'{c} {_sql_type(c)}' for c in COLUMNS)}, "
           f"UNIQUE ({', '.join(KEY)}))")
_INSERT = (f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
           f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
           f"{', '.join(f'{c} = excluded.{c}' for c in COLUMNS if c not in KEY)} WHERE runs.status = '{ERROR}'")


class RunStore:
    """``OUT/runs.sqlite``: ``add`` rows, ask what is ``done``, read ``rows``, ``export_csv``. A context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = None
        try:
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash of the process loses no commit
            with self._db:
                self._db.execute(_CREATE)
            names = [r[1] for r in self._db.execute("PRAGMA table_info(runs)")]
        except sqlite3.DatabaseError as e:
            if self._db is not None:
                self._db.close()
            raise ReluscopeError(f"{self.path}: not a sweep's store ({e}); use --force to start over") from None
        if tuple(names) != COLUMNS:
            self._db.close()
            raise ReluscopeError(f"{self.path}: not a sweep's store (columns {', '.join(names)}); "
                                 "use --force to start over")

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def add(self, rows: Iterable[dict]) -> int:
        """Insert ``rows`` (dicts with every column of ``COLUMNS``) in one transaction; return how many rows
        were written (new runs, and error rows replaced by a new attempt)."""
        before = self._db.total_changes
        with self._db:
            self._db.executemany(_INSERT, ([r[c] for c in COLUMNS] for r in rows))
        return self._db.total_changes - before

    def done(self) -> set[tuple]:
        """The ``KEY`` of every run that finished (any status but ``error``)."""
        return set(self._db.execute(f"SELECT {', '.join(KEY)} FROM runs WHERE status != ?", (ERROR,)))

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def rows(self) -> list[dict]:
        """Every row, ordered by ``KEY`` (whatever order the runs finished in)."""
        cursor = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY {', '.join(KEY)}")
        return [_decode(dict(zip(COLUMNS, values))) for values in cursor]

    def export_csv(self, path: str | Path) -> Path:
        """Write every row to ``path`` (CSV, header ``COLUMNS``; None as an empty cell), atomically."""
        path = Path(path)
        rows = self.rows()
        with atomic_file(path) as tmp:
            if rows:
                write_csv(tmp, rows)
            else:
                tmp.write_text(",".join(COLUMNS) + "\n")
        return path


def _decode(row: dict) -> dict:
    if row["status"] != ERROR:
        for c in FLOATS:
            if row[c] is None:
                row[c] = math.nan
    return row


def read_rows(path: str | Path) -> list[dict]:
    """A sweep's ``runs.csv`` as dicts with numbers parsed (empty cells: None); [] when there is no file.

    Raises
    ------
    ReluscopeError
        If the file lacks a column of ``COLUMNS`` (``error`` may be missing: then None) or holds a cell
        that is not a number where one belongs.
    """
    path = Path(path)
    if not path.is_file():
        return []

    def parse(k: str, v: str):
        if k in TEXT:
            return v or None
        if v == "":
            return None
        return int(v) if k in INTS else float(v)

    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            missing = set(COLUMNS) - {"error"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"no column {', '.join(sorted(missing))}")
            return [{k: parse(k, row.get(k) or "") for k in COLUMNS} for row in reader]
        except ValueError as e:
            raise ReluscopeError(f"{path}: not a sweep's table ({e}); use --force to start over") from None
