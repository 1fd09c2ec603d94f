"""The command line: a complete run, and every bad input → exit 2 with one line and no traceback."""

import subprocess
import sys

import pytest
import torch

from reluscope.cli import main, progress
from reluscope.plots.animation import MAX_ANIMATION_PANELS


def test_train_writes_a_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--steps", "50", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("ok: train accuracy") and (out / "metrics.json").is_file()
    assert (out / "decision_boundary.png").stat().st_size > 1000


def test_diverging_run_exits_zero(tmp_path, capsys):
    assert main(["train", "--lr", "1e6", "--depth", "11", "--init", "normal", "--steps", "20",
                 "--out", str(tmp_path / "r")]) == 0
    assert capsys.readouterr().out.startswith("diverged")


def _csv(tmp_path, text):
    p = tmp_path / "d.csv"
    p.write_text(text)
    return str(p)


BAD = {
    "unknown dataset": lambda t: ["--dataset", "spiralz"],
    "unknown activation": lambda t: ["--activation", "swish"],
    "unknown init": lambda t: ["--init", "magic"],
    "unknown optimizer": lambda t: ["--optimizer", "lbfgs"],
    "depth 0": lambda t: ["--depth", "0"],
    "width 0": lambda t: ["--width", "0"],
    "lr 0": lambda t: ["--lr", "0"],
    "lr negative": lambda t: ["--lr", "-1"],
    "lr inf": lambda t: ["--lr", "inf"],
    "noise nan": lambda t: ["--noise", "nan"],
    "noise inf": lambda t: ["--noise", "inf"],
    "negative seed": lambda t: ["--seed", "-1"],
    "seed 2**32": lambda t: ["--seed", str(2**32)],
    "steps 0": lambda t: ["--steps", "0"],
    "not a number": lambda t: ["--depth", "three"],
    "widths not whole": lambda t: ["--widths", "8,2.5"],
    "widths zero": lambda t: ["--widths", "8,0,4"],
    "widths junk": lambda t: ["--widths", "8;x"],
    "widths huge": lambda t: ["--widths", f"8,{10**40}"],
    "unknown option": lambda t: ["--dept", "3"],
    "missing csv": lambda t: ["--dataset", str(t / "none.csv")],
    "empty csv": lambda t: ["--dataset", _csv(t, "")],
    "non-numeric csv": lambda t: ["--dataset", _csv(t, "x1,x2,label\n0,a,0\n1,1,1\n2,2,0\n3,3,1\n")],
    "nan csv": lambda t: ["--dataset", _csv(t, "x1,x2,label\n0,nan,0\n1,1,1\n2,2,0\n3,3,1\n")],
    "column count": lambda t: ["--dataset", _csv(t, "x1,x2\n0,0\n1,1\n2,2\n3,3\n")],
    "one class": lambda t: ["--dataset", _csv(t, "x1,x2,label\n0,0,1\n1,1,1\n2,2,1\n3,3,1\n")],
    "three rows": lambda t: ["--dataset", _csv(t, "x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n")],
    "no header": lambda t: ["--dataset", _csv(t, "0,0,0\n1,1,1\n2,2,0\n3,3,1\n4,4,0\n")],
}


def test_train_takes_per_layer_widths(tmp_path):
    import reluscope as rs
    assert main(["train", "--widths", "8,8,4", "--steps", "5", "--out", str(tmp_path / "run")]) == 0
    run = rs.load_run(tmp_path / "run")
    assert run.config.widths == [8, 8, 4] and run.config.depth == 4
    assert [tuple(lay.linear.weight.shape) for lay in rs.linear_layers(run.model)] == [(8, 2), (8, 8), (4, 8), (2, 4)]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exit_2_one_line(tmp_path, capsys, case):
    assert main(["train", "--steps", "5", "--out", str(tmp_path / "o"), *BAD[case](tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluscope: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_non_empty_out_needs_force(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["train", "--steps", "5", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["train", "--steps", "5", "--out", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists() and (out / "model.pt").exists()


def test_real_subprocess_bad_input():
    proc = subprocess.run([sys.executable, "-m", "reluscope", "train", "--depth", "0"], capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "reluscope: error: --depth must be at least 1, got 0"  # the option, as typed


@pytest.mark.parametrize("args, line", [
    (["train", "--n-samples", "4"], "--n-samples must be at least 8, got 4"),
    (["train", "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["train", "--warmup-steps", "-1"], "--warmup-steps must be 0 or more, got -1"),
    (["init-study", "--depths", "3,0"], "--depths must be at least 1, got 0"),  # one of the list's
    (["sweep", "--depths", "0"], "--depths must be at least 1, got 0"),
    (["sweep", "--sigma-w2", "1,0"], "--sigma-w2 must be positive and finite, got 0.0"),
    (["sweep", "--sigma-b2", "-1"], "--sigma-b2 must be 0 or more and finite, got -1.0"),
])
def test_a_refused_setting_is_named_by_the_option_that_set_it(args, line, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"reluscope: error: {line}\n"


@pytest.mark.parametrize("device", ["cuda:7" if torch.cuda.is_available() else "cuda", "tpu", "gpu0"])
def test_unavailable_device_exit_2(tmp_path, capsys, device):
    assert main(["train", "--steps", "5", "--device", device, "--out", str(tmp_path / "o")]) == 2
    assert "device" in capsys.readouterr().err


def test_progress_off_a_terminal_prints_a_line_per_tenth(capsys, monkeypatch):
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    with progress.progress_bar(250, "training") as advance:
        for _ in range(250):
            advance()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"training: {p}% ({p * 250 // 100}/250)" for p in range(10, 101, 10)]


def test_short_job_off_a_terminal_is_silent(capsys):
    with progress.progress_bar(10, "training") as advance:
        for _ in range(10):
            advance()
    assert capsys.readouterr().err == ""


@pytest.fixture(scope="module")
def snap_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "snap"
    assert main(["train", "--dataset", "moons", "--depth", "2", "--width", "4", "--steps", "6",
                 "--snapshots", "3", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("command", ["backproject", "regions"])
def test_animation_says_how_many_frames(snap_run, tmp_path, capsys, command):
    one_layer = ["--layers", "1"] if command == "backproject" else []  # a frame per snapshot whatever its panels
    assert main([command, str(snap_run), "--animate", *one_layer, "--out", str(tmp_path / "a")]) == 0
    name = "backprojection.gif" if command == "backproject" else "cells.gif"
    assert f"{name}: 4 frames to draw" in capsys.readouterr().err.splitlines()  # steps 0, 2, 4, 6


LONG_FRAMES = MAX_ANIMATION_PANELS // 2 + 1  # two panels a frame: over the limit


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """A run with a snapshot at each of its ``LONG_FRAMES - 1`` steps: ``LONG_FRAMES`` frames with step 0."""
    out = tmp_path_factory.mktemp("runs") / "long"
    assert main(["train", "--dataset", "moons", "--depth", "2", "--width", "2", "--steps", str(LONG_FRAMES - 1),
                 "--snapshots", str(LONG_FRAMES - 1), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("command", ["backproject", "regions"])
def test_animation_too_long_is_refused_naming_the_limit(long_run, tmp_path, capsys, command):
    capsys.readouterr()
    assert main([command, str(long_run), "--animate", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{LONG_FRAMES} frames × 2 panels" in err
    assert f"limit of {MAX_ANIMATION_PANELS}" in err
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("command", ["train", "study"])
def test_the_dataset_help_names_the_csv_header(command, capsys):
    assert main([command, "--help"]) == 0
    assert "a header line x1,…,xd,label" in " ".join(capsys.readouterr().out.split())


def _help(capsys, *command) -> str:
    assert main([*command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command, option, says", [
    ("train", "--n-samples", "at least 8"), ("train", "--depth", "1 … 10000"), ("train", "--width", "at least 1"),
    ("train", "--lr", "> 0"), ("train", "--momentum", "in [0, 1)"), ("train", "--batch-size", "at least 1"),
    ("train", "--noise", "≥ 0, in the generator's units before standardising"),
    ("regions", "--margin", "≥ 0, in standardised data units"), ("regions", "--near", "in (0, 1]"),
    ("sweep", "--sigma-w2", "> 0, W ~ N(0, σ_w²/fan_in): 'a,b,c' or 'start:stop:count'"),
    ("sweep", "--sigma-b2", "≥ 0"),
])
def test_the_help_states_each_options_range_or_unit(command, option, says, capsys):
    text = _help(capsys, command)
    assert says in text.split(f" {option} ")[1][:160]  # its own help, before the next option


@pytest.mark.parametrize("field, outside, inside", [("n_samples", 7, 8), ("momentum", 1.0, 0.0), ("lr", 0.0, 1e-6),
                                                    ("batch_size", 0, 1), ("width", 0, 1), ("noise", -0.1, 0.0)])
def test_the_stated_ranges_are_the_ones_refused(field, outside, inside):
    from reluscope.errors import ReluscopeError
    from reluscope.train import TrainConfig
    with pytest.raises(ReluscopeError, match=field):
        TrainConfig(dataset="moons", **{field: outside}).validate()
    TrainConfig(dataset="moons", **{field: inside}).validate()


def test_the_noise_help_names_each_generators_own_default(capsys):
    import numpy as np
    from reluscope.data import DATASETS, generate
    text = _help(capsys, "train")
    for name, value in [part.rsplit(" ", 1) for part in text.split("data set's own: ")[1].split(")")[0].split(", ")]:
        assert name in DATASETS
        X, _ = generate(name, 50)
        np.testing.assert_array_equal(X, generate(name, 50, noise=float(value))[0])
