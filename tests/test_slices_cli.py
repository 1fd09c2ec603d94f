"""``reluscope regions --through`` on a digits run and on a plane run: files, agreement with the library,
exit 2 on bad input."""

import csv
import json
import math

import pytest

from reluscope.cli import main
from reluscope.geometry.plane import plane_through
from reluscope.geometry.regions import linear_regions
from reluscope.train.rundir import load_run


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert main(["train", "--dataset", "digits", "--depth", "3", "--width", "16", "--steps", "60",
                 "--snapshots", "2", "--out", str(out)]) == 0
    return out


def test_a_digits_run_is_sliced_through_three_typical_digits_by_default(digits_run, tmp_path, capsys):
    out = tmp_path / "slice"
    assert main(["regions", str(digits_run), "--out", str(out)]) == 0
    line = capsys.readouterr().out
    summary = json.loads((out / "slice.json").read_text())
    assert summary["classes"] == [0, 1, 2] and len(summary["directions"][0]) == 64
    run = load_run(digits_run)
    want = [len(r) for r in linear_regions(run.model, plane=plane_through(run.data.X, summary["indices"]))]
    assert summary["counts"] == want
    with (out / "region_counts.csv").open() as fh:
        assert [int(r["count"]) for r in csv.DictReader(fh)] == want
    for name in ("cells.png", "decision_regions.png", "region_counts.png", "counts_over_training.png"):
        assert (out / name).stat().st_size > 1000, name
    assert len(summary["near"]) == math.ceil(0.05 * len(run.data.X))
    assert line.startswith(f"slice through {','.join(map(str, summary['indices']))} (classes 0,1,2) in R^64: "
                           f"{want[-1]} cells after layer 3")


def test_chosen_indices_and_a_plane_run(digits_run, tmp_path, capsys):
    assert main(["regions", str(digits_run), "--through", "5,17,-1", "--near", "0.2",
                 "--out", str(tmp_path / "a")]) == 0
    summary = json.loads((tmp_path / "a" / "slice.json").read_text())
    n = len(load_run(digits_run).data.X)
    assert summary["indices"] == [5, 17, n - 1] and len(summary["near"]) == math.ceil(0.2 * n)
    moons = tmp_path / "moons"
    assert main(["train", "--dataset", "moons", "--depth", "2", "--width", "4", "--steps", "5",
                 "--out", str(moons)]) == 0
    assert main(["regions", str(moons), "--through", "0,1,2", "--out", str(tmp_path / "b")]) == 0
    assert "in R^2:" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--through", "1,2"], "three data indices"),
    (["--through", "x"], "three data indices"),
    (["--through", "1,1,2"], "must differ"),
    (["--through", "0,1,99999"], "must lie in"),
    (["--through", "auto", "--grid", "20"], "no --grid"),
    (["--through", "auto", "--box", "0", "1", "0", "1"], "no --grid, --box"),
    (["--near", "0"], "--near (the fraction of points shown) must be in (0, 1], got 0"),
    (["--margin", "-5"], "--margin must be 0 or more and finite, got -5"),
])
def test_bad_slices_exit_2_with_one_line(digits_run, tmp_path, capsys, args, message):
    assert main(["regions", str(digits_run), *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and not (tmp_path / "o").exists()


def test_the_plane_view_is_refused_for_64_inputs_in_the_library(digits_run):
    from reluscope.errors import ReluscopeError
    from reluscope.studies.regions import regions_to_dir

    with pytest.raises(ReluscopeError, match="64 dimensions; cut a slice"):
        regions_to_dir(load_run(digits_run))
