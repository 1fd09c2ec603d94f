"""`reluscope backproject` and the figure functions end to end on an 11-layer He-initialised spirals run."""

import json

import numpy as np
import pytest
from PIL import Image

from reluscope.cli import main
from reluscope.errors import ReluscopeError
from reluscope.plots.backprojection import backprojection_frames, plot_backprojection, plot_layers
from reluscope.plots.style import plt
from reluscope.studies.backprojection import backproject_to_dir
from reluscope.train.rundir import load_run
from reluscope.train import TrainConfig
from reluscope.studies.training import train_to_dir


@pytest.fixture(scope="module")
def run11(tmp_path_factory):
    cfg = TrainConfig(dataset="spirals", n_samples=200, depth=11, width=16, init="he", steps=20,
                      snapshot_every=10, seed=0)
    return train_to_dir(cfg, tmp_path_factory.mktemp("runs") / "spirals11").path


@pytest.mark.slow
def test_writes_per_layer_figures_summary_and_gif(run11, tmp_path, capsys):
    out = tmp_path / "bp"
    assert main(["backproject", str(run11), "--animate", "--grid", "16", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {f"layer{i:02d}.png" for i in range(1, 12)} | {"layers.png", "summary.json",
                                                          "backprojection.gif"} == names
    with Image.open(out / "backprojection.gif") as gif:
        assert gif.n_frames == 3  # snapshots at steps 0, 10, 20
    summary = json.loads((out / "summary.json").read_text())
    assert summary["view"] == "input" and [r["layer"] for r in summary["layers"]] == list(range(1, 12))
    assert summary["layers"][0]["act_from_backprojection_residual"] < 1e-8  # Theorem A(c), per region
    assert all(r["backprojection_from_act_residual"] < 1e-8 for r in summary["layers"])
    assert "11 layers, input view" in capsys.readouterr().out


def test_embedded_view_selected_layers(run11, tmp_path):
    out = tmp_path / "emb"
    assert main(["backproject", str(run11), "--view", "embedded", "--layers", "1,-1", "--grid", "12",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"layer01.png", "layer11.png", "layers.png", "summary.json"}
    rows = json.loads((out / "summary.json").read_text())["layers"]
    assert [r["layer"] for r in rows] == [1, 11]
    assert all(0 < sum(r["explained_variance_ratio"]) <= 1 + 1e-12 for r in rows)
    assert rows[0]["act_from_backprojection_residual"] < 1e-8  # embedded: globally equivalent


@pytest.mark.parametrize("args, message", [
    (["--view", "sideways"], "unknown view 'sideways'"),
    (["--layers", "0"], "--layers counts from 1"),
    (["--layers", "12"], "--layers: layer 12 is out of range for 11 linear layers (1 … 11, or -11 … -1)"),
    (["--layers", "-12"], "--layers: layer -12 is out of range for 11 linear layers"),
    (["--images", "--layers", "12"], "--layers: layer 12 is out of range"),
    (["--layers", "one"], "comma-separated integers"),
    (["--grid", "1"], "--grid must be at least 2"),
    (["--grid", "100000"], "at most 1000"),
    (["--max-cond", "0.5"], "--max-cond must be 1 or more (inf: no limit), got 0.5"),
    (["--max-cond", "nan"], "Invalid value for '--max-cond'"),
    (["--max-cond", "1"], "has rank 2 of 2 and condition number"),  # every W is refused at 1, the first named
])
def test_bad_options_exit_2_with_one_line(run11, tmp_path, capsys, args, message):
    assert main(["backproject", str(run11), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_refused_inverse_is_said_with_the_commands_options(run11, tmp_path, capsys):
    assert main(["backproject", str(run11), "--max-cond", "1", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluscope: error: layer 1 (module '0'): W (2×16)") and err.count("\n") == 1
    assert "(--max-cond inf inverts it anyway; --layers chooses the layers before it)" in err
    assert "max_cond=" not in err
    assert main(["backproject", str(run11), "--max-cond", "inf", "--layers", "1,2", "--grid", "4",
                 "--out", str(tmp_path / "b")]) == 0


def test_not_a_run_dir_and_missing_snapshots_exit_2(run11, tmp_path, capsys):
    assert main(["backproject", str(tmp_path)]) == 2
    assert "is not a run directory" in capsys.readouterr().err
    plain = train_to_dir(TrainConfig(dataset="moons", n_samples=60, depth=2, steps=2), tmp_path / "plain").path
    assert main(["backproject", str(plain), "--animate", "--out", str(tmp_path / "o")]) == 2
    assert "has no snapshots" in capsys.readouterr().err
    assert main(["backproject", str(plain), "--out", str(plain)]) == 2  # non-empty, no --force
    assert "not empty" in capsys.readouterr().err


def test_mp4_without_any_ffmpeg_exits_2(run11, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert main(["backproject", str(run11), "--animate", "--mp4", "--out", str(tmp_path / "o")]) == 2
    assert "--mp4 needs an ffmpeg" in capsys.readouterr().err


def test_frames_hold_the_grid_and_the_data_and_draw_on_a_given_axes(run11):
    run = load_run(run11)
    X, y = run.data.X, run.data.y
    frames = backprojection_frames(run.model, X, y, view="input", layers=[0, 10], grid=9)
    assert list(frames) == [0, 10]
    f = frames[0]
    assert f.grid.shape == (9, 9, 2) and f.grid_class.shape == (9, 9) and f.data.shape == X.shape
    assert set(np.unique(f.grid_class)) <= {0, 1} and f.explained is None
    _, ax = plt.subplots()
    assert plot_backprojection(f, ax=ax) is ax
    fig = plot_layers(frames, ncols=2)
    assert len(fig.axes) == 2
    plt.close("all")
    emb = backprojection_frames(run.model, X, y, view="embedded", layers=[1], grid=5)[1]
    assert emb.explained.shape == (2,) and "PC 1" in emb.xlabel


def test_library_call_checks_input_and_returns_the_summary_it_wrote(run11, tmp_path):
    run = load_run(run11)
    plain = train_to_dir(TrainConfig(dataset="moons", n_samples=60, depth=2, steps=2), tmp_path / "plain")
    for r, kwargs, message in [(run, dict(view="sideways"), "unknown view"), (run, dict(grid=1), "at least 2"),
                               (plain, dict(animate=True), "no snapshots")]:
        with pytest.raises(ReluscopeError, match=message):
            backproject_to_dir(r, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()
    result = backproject_to_dir(run, tmp_path / "out", layers=[0, -1], grid=8)
    assert result.out == tmp_path / "out" and result.per_region  # ReLU net, input view
    assert {"view": "input", "layers": result.layers} == json.loads((result.out / "summary.json").read_text())
    assert result.worst_residual == max(r["act_from_backprojection_residual"] for r in result.layers)
    assert all(0 < r["points"] <= len(run.data.X) for r in result.layers) and result.unchecked == []
    assert backproject_to_dir(plain, grid=8).out == plain.path / "backproject-input"  # the default out


def test_mp4_through_imageio_ffmpeg(run11, tmp_path):
    """The `video` extra's ffmpeg binary (installed with the test extras) writes an MP4 of the snapshots."""
    pytest.importorskip("imageio_ffmpeg", reason="the 'video' extra (imageio-ffmpeg) is not installed")
    out = backproject_to_dir(load_run(run11), tmp_path / "mp4", layers=[0, -1], mp4=True, grid=8).out
    video = (out / "backprojection.mp4").read_bytes()
    assert len(video) > 1000 and video[4:8] == b"ftyp"  # an ISO base media (MP4) file
