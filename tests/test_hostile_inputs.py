"""Four classes of input that every command and every playground setting must take, or refuse in one line before
any work: path bytes that are not UTF-8, numbers beyond what training, geometry and plots carry, boxes float64
cannot cut exactly, and names beyond the file system's limits."""

import os
import shutil
import warnings
from dataclasses import fields

import click
import numpy as np
import pytest

from fuzzcases import alarm
from reluscope.cli import main, progress
from reluscope.cli.app import app
from reluscope.cli.options import Checked
from reluscope.errors import ReluscopeError
from reluscope.geometry.box import data_box
from reluscope.geometry.regions import linear_regions
from reluscope.outputs import printable
from reluscope.serve.config import ServeConfig
from reluscope.serve.settings import Settings
from reluscope.studies.regions import MAX_SPREAD, check_box_scale
from reluscope.train.rundir import load_run

LATIN1 = os.fsdecode("café".encode("latin-1"))  # "caf\udce9": how Python hands over the file name b"caf\xe9"
HUGE = ["1e308", "-1e308", str(10**40), str(10**400)]
LISTS = {"init-study": ["--depths"], "sweep": ["--depths", "--sigma-w2", "--sigma-b2"]}  # numbers parsed from text
NAMED = {"--sigma-w2": "σ_w²", "--sigma-b2": "σ_b²"}  # how a message may name an option instead
FAST = ["train", "init-study", "sweep", "backproject", "regions"]
EVERY = [*FAST, pytest.param("study", marks=pytest.mark.slow)]  # a study trains five runs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "moons"
    assert main(["train", "--dataset", "moons", "--depth", "3", "--width", "8", "--steps", "300", "--out",
                 str(out)]) == 0
    return out


def command_line(command: str, run_dir) -> list[str]:
    """A cheap valid command line of ``command`` (``--out`` left to the caller)."""
    small = ["--steps", "2", "--n-samples", "40", "--width", "3"]
    return {"train": ["train", "--depth", "2", *small],
            "init-study": ["init-study", "--depths", "2", "--schemes", "he", "--seeds", "1", *small],
            "sweep": ["sweep", "--depths", "2", "--sigma-w2", "2", "--seeds", "1", *small],
            "backproject": ["backproject", str(run_dir), "--grid", "4"], "regions": ["regions", str(run_dir)],
            "study": ["study", "--quick"]}[command]


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("reluscope: error: ") and err.count("\n") == 1, err
    return err


# ---- 1. path bytes that are not UTF-8 ------------------------------------------------------------------------
def test_printable_shows_the_bytes_that_are_not_utf8_as_escapes():
    assert printable(LATIN1) == "caf\\xe9" and printable("café") == "café" and printable("\ud800") == "\\ud800"


@pytest.mark.parametrize("command", EVERY)
def test_an_out_whose_bytes_are_not_utf8_is_written_there(command, run_dir, tmp_path, capsys, request):
    if command == "study":
        request.getfixturevalue("tiny_quick")  # the path is the point, not the quick study's numbers
    assert main([*command_line(command, run_dir), "--out", str(tmp_path / LATIN1)]) == 0
    assert os.listdir(os.fsencode(tmp_path)) == [b"caf\xe9"]  # under its own bytes
    assert "caf\\xe9" in capsys.readouterr().out  # the summary line shows them, whatever stdout's encoding


@pytest.mark.parametrize("command", ["backproject", "regions"])
def test_a_run_directory_whose_bytes_are_not_utf8_is_read(command, run_dir, tmp_path):
    copy = shutil.copytree(run_dir, tmp_path / LATIN1)
    assert main([command, str(copy), "--out", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize("command", ["train", "init-study", "sweep", "study"])
def test_a_csv_whose_name_is_not_utf8_is_refused_in_one_line(command, run_dir, tmp_path, capsys):
    """A CSV's path is its data set's name, recorded as text in configs, tables and titles."""
    csv = tmp_path / f"{LATIN1}.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40)))
    option = "--datasets" if command == "sweep" else "--dataset"
    argv = [*command_line(command, run_dir), option, str(csv), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert "caf\\xe9.csv: the name is not UTF-8" in one_line(capsys)


@pytest.mark.parametrize("name", [LATIN1, "n" * 256, "d/" * 2100 + "x"])
def test_serve_refuses_a_runs_dir_it_could_not_record_or_create(name, tmp_path):
    with pytest.raises(ReluscopeError, match="--runs-dir"):
        ServeConfig(port=0, runs_dir=tmp_path / name).validate()


# ---- 2. numbers that pass a check but break later ------------------------------------------------------------
def numeric_options() -> list[tuple[str, str]]:
    """Every (command, option) that takes a number: the checked click types, and the lists of numbers."""
    every = [(name, param.opts[0]) for name in sorted(app.list_commands(None))
             for param in app.get_command(None, name).params if isinstance(param.type, Checked)]
    return every + [(name, option) for name, options in LISTS.items() for option in options]


def test_every_command_has_its_numbers_checked():
    """No option takes click's plain INT or FLOAT, which let 10**40 and 1e308 through."""
    params = [p for name in app.list_commands(None) for p in app.get_command(None, name).params]
    assert not [p.opts for p in params if p.type in (click.INT, click.FLOAT)]
    assert {c for c, _ in numeric_options()} == set(app.list_commands(None))


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("command", "option"), numeric_options())
def test_every_number_beyond_float32_or_int64_is_refused_in_one_line(command, option, value, run_dir, tmp_path,
                                                                      capsys):
    base = command_line(command, run_dir) if command != "serve" else ["serve", "--port", "0"]
    argv = [*base, option, *[value] * (4 if option == "--box" else 1), "--out", str(tmp_path / "o")]
    if command == "serve":
        argv = argv[:-2]
    with alarm(60):  # a value let through would train, or serve, instead of ending here
        assert main(argv) == 2
    err = one_line(capsys)
    assert option in err or NAMED.get(option, option) in err


def test_a_lone_large_sigma_w2_is_trained_and_drawn(tmp_path):
    """1e38 is the largest order of magnitude float32 holds; the heat map's column keeps distinct edges."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["sweep", "--depths", "2", "--sigma-w2", "1e38", "--seeds", "1", "--steps", "2", "--n-samples",
                     "40", "--width", "3", "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "trainability.png").stat().st_size > 1000


@pytest.mark.parametrize("value", [10**40, -(10**40), 10**400, -(10**400), 1e308, -1e308, LATIN1, "x" * 5000])
@pytest.mark.parametrize("field", [f.name for f in fields(Settings)])
def test_every_playground_setting_refuses_each_extreme_in_one_line(field, value):
    with pytest.raises(ReluscopeError, match=f"setting '{field}'") as refused:
        Settings.from_dict({field: value})
    assert len(str(refused.value)) < 120 and "\n" not in str(refused.value)


# ---- 3. a box too large for float64 --------------------------------------------------------------------------
def test_region_counts_never_fall_as_the_box_grows_up_to_the_limit(run_dir):
    """A box inside another cuts every region at most once (both convex): the count can only grow with the margin.
    Too large a box once made it fall (tolerance RTOL·r swallowing the cells near the data): 197 regions at
    1e7, 34 at 1e12 on a 3×8 moons net."""
    run = load_run(run_dir)
    X = run.data.X
    largest = MAX_SPREAD * np.ptp(X, axis=0).min() - np.abs(X).max()  # the largest margin check_box_scale takes
    counts = [[len(r) for r in linear_regions(run.model, check_box_scale(data_box(X, m), X))]
              for m in [0.5, 3.0, 10.0, 100.0, 1e3, 0.99 * largest]]
    assert np.all(np.diff(counts, axis=0) >= 0), counts
    with pytest.raises(ReluscopeError, match="too large to cut exactly"):
        check_box_scale(data_box(X, 1.01 * largest + 1), X)


@pytest.mark.parametrize("method", [[], ["--grid", "64"]])
@pytest.mark.parametrize("where", [["--margin", "1e6"], ["--margin", "1e12"], ["--margin", "1e38"],
                                   ["--box", "1e9", "1000000001", "0", "1"], ["--box", "-1e12", "1e12", "-1", "1"]])
def test_regions_refuse_a_box_float64_cannot_resolve(where, method, run_dir, tmp_path, capsys):
    assert main(["regions", str(run_dir), *where, *method, "--out", str(tmp_path / "o")]) == 2
    assert "too large to cut exactly in float64" in one_line(capsys)


# ---- 4. names beyond the file system's limits ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["n" * 256, "\u00e9" * 128, LATIN1 * 64, "d/" * 2100 + "x"])
@pytest.mark.parametrize("command", [*FAST, "study"])
def test_an_out_name_too_long_is_refused_before_any_work(command, name, run_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)  # any step trained would print a progress line
    assert main([*command_line(command, run_dir), "--out", str(tmp_path / name)]) == 2
    assert "--out" in one_line(capsys) and os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", FAST)
def test_a_name_of_255_bytes_is_written(command, run_dir, tmp_path):
    """NAME_MAX itself is allowed, and the temporary sibling a directory is written in first fits as well."""
    assert main([*command_line(command, run_dir), "--out", str(tmp_path / ("\u00e9" * 127 + "n"))]) == 0
