"""``reluscope regions``: the files it writes, agreement with the library, and exit 2 on bad input."""

import csv

import pytest

from reluscope.cli import main
from reluscope.errors import ReluscopeError
from reluscope.geometry.box import data_box
from reluscope.geometry.regions import linear_regions
from reluscope.studies.regions import regions_to_dir
from reluscope.train.rundir import load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "small"
    assert main(["train", "--dataset", "moons", "--depth", "3", "--width", "8", "--steps", "40",
                 "--snapshots", "2", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def plain_run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "plain"
    assert main(["train", "--dataset", "moons", "--depth", "2", "--width", "4", "--steps", "5",
                 "--out", str(out)]) == 0
    return out


def _rows(path):
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_exact_writes_counts_figures_and_animation(run_dir, tmp_path, capsys):
    out = tmp_path / "cells"
    assert main(["regions", str(run_dir), "--animate", "--out", str(out)]) == 0
    line = capsys.readouterr().out
    for name in ("cells.png", "decision_cells.png", "region_counts.png", "counts_over_training.png", "cells.gif"):
        assert (out / name).stat().st_size > 1000, name
    run = load_run(run_dir)
    want = [len(r) for r in linear_regions(run.model, data_box(run.data.X))]
    assert [int(r["count"]) for r in _rows(out / "region_counts.csv")] == want
    assert line.startswith(f"exact: {want[-1]} regions after layer 3") and "outside the box" not in line
    over = _rows(out / "counts_over_training.csv")
    assert [int(r["step"]) for r in over] == sorted(run.snapshots)


def test_a_box_that_misses_the_data_is_said_so(plain_run_dir, tmp_path, capsys):
    assert main(["regions", str(plain_run_dir), "--box", "100", "101", "100", "101", "--out", str(tmp_path / "o")]) == 0
    n = len(load_run(plain_run_dir).data.X)
    assert f"; {n} of {n} data points outside the box" in capsys.readouterr().out


def test_grid_counts_at_most_the_exact_ones(run_dir, tmp_path):
    exact, grid = tmp_path / "exact", tmp_path / "grid"
    box = ["--box", "-2", "2", "-2", "2"]
    assert main(["regions", str(run_dir), *box, "--out", str(exact)]) == 0
    assert main(["regions", str(run_dir), *box, "--grid", "64", "--colors", "random", "--out", str(grid)]) == 0
    assert (grid / "cells.png").is_file()
    n_exact = [int(r["count"]) for r in _rows(exact / "region_counts.csv")]
    n_grid = [int(r["count"]) for r in _rows(grid / "region_counts.csv")]
    assert all(0 < g <= e for g, e in zip(n_grid, n_exact))


def test_default_out_is_inside_the_run_and_needs_force_twice(plain_run_dir):
    assert main(["regions", str(plain_run_dir)]) == 0
    assert (plain_run_dir / "regions" / "cells.png").is_file()
    assert not (plain_run_dir / "regions" / "counts_over_training.csv").exists()  # no snapshots
    assert main(["regions", str(plain_run_dir)]) == 2
    assert main(["regions", str(plain_run_dir), "--force"]) == 0


BAD = {
    "not a run dir": lambda run, plain, tmp: [str(tmp)],
    "missing dir": lambda run, plain, tmp: [str(tmp / "nope")],
    "box x0 > x1": lambda run, plain, tmp: [str(run), "--box", "1", "0", "0", "1"],
    "box empty": lambda run, plain, tmp: [str(run), "--box", "0", "1", "2", "2"],
    "box not numbers": lambda run, plain, tmp: [str(run), "--box", "a", "b", "c", "d"],
    "box three numbers": lambda run, plain, tmp: [str(run), "--box", "0", "1", "0"],
    "grid too small": lambda run, plain, tmp: [str(run), "--grid", "1"],
    "grid too large": lambda run, plain, tmp: [str(run), "--grid", "3000000"],
    "box wider than float64": lambda run, plain, tmp: [str(run), "--box", "-1e308", "1e308", "0", "1"],
    "exact and grid": lambda run, plain, tmp: [str(run), "--exact", "--grid", "16"],
    "unknown colors": lambda run, plain, tmp: [str(run), "--colors", "rainbow"],
    "animate without snapshots": lambda run, plain, tmp: [str(plain), "--animate"],
    "negative margin": lambda run, plain, tmp: [str(run), "--margin", "-5"],
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_with_one_line(case, run_dir, plain_run_dir, tmp_path, capsys):
    args = BAD[case](run_dir, plain_run_dir, tmp_path)
    assert main(["regions", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluscope: error:") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_library_call_checks_input_and_returns_what_the_command_prints(plain_run_dir, tmp_path):
    run = load_run(plain_run_dir)
    for kwargs, message in [(dict(grid=1), "--grid must be at least 2"), (dict(animate=True), "no snapshots")]:
        with pytest.raises(ReluscopeError, match=message):
            regions_to_dir(run, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()
    result = regions_to_dir(run, tmp_path / "out", grid=32)
    assert result.out == tmp_path / "out" and result.grid == 32
    assert result.counts == [int(r["count"]) for r in _rows(tmp_path / "out" / "region_counts.csv")]
