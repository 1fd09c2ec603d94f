"""The sweep's results store: one row per grid key whatever is inserted twice, NaN kept, exported, fast at 10⁵."""

import math
import sqlite3
import time

import pytest

from reluscope.errors import ReluscopeError
from reluscope.studies.store import COLUMNS, ERROR, KEY, RunStore, read_rows


def row(seed: int, *, depth: int = 2, status: str = "ok", loss: float = 0.5, error: str | None = None) -> dict:
    numbers = None if status == ERROR else 1.0
    return dict(dataset="moons", depth=depth, sigma_w2=2.0, sigma_b2=0.0, seed=seed, status=status,
                train_accuracy=numbers, test_accuracy=numbers, chance_accuracy=numbers,
                final_loss=None if status == ERROR else loss, steps_run=None if status == ERROR else 10,
                diverged_at_step=None, q_in=numbers, q_init=numbers, error=error)


def same(a: dict, b: dict) -> bool:
    """Equal rows, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_inserts_are_idempotent_and_the_first_finished_row_stays(tmp_path):
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert store.add([row(0), row(1)]) == 2
        assert store.add([row(0), row(1)]) == 0  # a retried task: nothing written
        assert store.add([row(1, loss=9.0), row(2)]) == 1  # the same key with other numbers: the first stays
        assert len(store) == 3
        assert [r["final_loss"] for r in store.rows()] == [0.5, 0.5, 0.5]
        assert store.done() == {("moons", 2, 2.0, 0.0, s) for s in range(3)}


def test_an_error_row_gives_way_to_the_next_attempt_but_never_replaces_a_result(tmp_path):
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.add([row(0, status=ERROR, error="RuntimeError: boom"), row(1)])
        assert store.done() == {("moons", 2, 2.0, 0.0, 1)}
        assert store.add([row(1, status=ERROR, error="late")]) == 0  # a finished run stays finished
        assert store.add([row(0, status=ERROR, error="again")]) == 1  # a second failure replaces the first
        assert store.add([row(0)]) == 1
        assert [(r["status"], r["error"]) for r in store.rows()] == [("ok", None), ("ok", None)]


def test_nan_survives_and_an_error_row_has_no_numbers(tmp_path):
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.add([row(0, status="diverged", loss=math.nan), row(1, status=ERROR, error="x")])
        diverged, failed = store.rows()
    assert math.isnan(diverged["final_loss"]) and diverged["diverged_at_step"] is None
    assert failed["final_loss"] is None and failed["q_init"] is None and failed["error"] == "x"


def test_the_export_reads_back_as_the_store_and_two_writers_double_nothing(tmp_path):
    path = tmp_path / "runs.sqlite"
    with RunStore(path) as first, RunStore(path) as second:
        first.add([row(s) for s in range(0, 6)])
        second.add([row(s) for s in range(3, 9)] + [row(0, status="diverged", loss=math.inf)])
        rows = first.rows()
        assert [r["seed"] for r in rows] == list(range(9))
        first.export_csv(tmp_path / "runs.csv")
    back = read_rows(tmp_path / "runs.csv")
    assert len(back) == 9 and all(same(a, b) for a, b in zip(rows, back))
    assert list(back[0]) == list(COLUMNS)


def test_an_empty_store_exports_a_header(tmp_path):
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.export_csv(tmp_path / "runs.csv")
    assert (tmp_path / "runs.csv").read_text().strip() == ",".join(COLUMNS)
    assert read_rows(tmp_path / "runs.csv") == []


def test_a_store_of_100k_rows_inserts_and_resumes_in_seconds(tmp_path):
    rows = [row(s % 1000, depth=2 + s // 1000) for s in range(100_000)]
    start = time.perf_counter()
    with RunStore(tmp_path / "runs.sqlite") as store:
        for i in range(0, len(rows), 1000):  # one transaction per finished task of 1000 runs
            store.add(rows[i:i + 1000])
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    with RunStore(tmp_path / "runs.sqlite") as store:
        done = store.done()
    resumed = time.perf_counter() - start
    assert len(done) == 100_000 and ("moons", 101, 2.0, 0.0, 999) in done
    assert inserted < 20 and resumed < 5  # measured about 1 s and 0.1 s on 2 busy cores


@pytest.mark.parametrize("content", [b"not a database at all, just some bytes" * 50, None])
def test_a_foreign_file_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "runs.sqlite"
    if content is None:  # a database, not a sweep's: another table layout
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE runs (a INTEGER)")
        db.close()
    else:
        path.write_bytes(content)
    with pytest.raises(ReluscopeError, match="not a sweep's store.*--force"):
        RunStore(path)


def test_a_csv_written_before_the_error_column_reads_with_error_none(tmp_path):
    path = tmp_path / "runs.csv"
    old = [c for c in COLUMNS if c != "error"]
    path.write_text(",".join(old) + "\n" + "moons,2,2.0,0.0,0,ok,1,1,0.5,nan,10,,1,1\n")
    (r,) = read_rows(path)
    assert r["error"] is None and math.isnan(r["final_loss"]) and r["diverged_at_step"] is None
    assert tuple(r[k] for k in KEY) == ("moons", 2, 2.0, 0.0, 0)
