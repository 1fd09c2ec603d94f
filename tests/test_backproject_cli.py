"""`reluscope backproject` end to end on an 11-layer He-initialised spirals run, and its one-line errors."""

import json

import pytest
from PIL import Image

from reluscope.cli import main
from reluscope.train import TrainConfig
from reluscope.train.artifacts import train_to_dir


@pytest.fixture(scope="module")
def run11(tmp_path_factory):
    cfg = TrainConfig(dataset="spirals", n_samples=200, depth=11, width=16, init="he", steps=20,
                      snapshot_every=10, seed=0)
    return train_to_dir(cfg, tmp_path_factory.mktemp("runs") / "spirals11").path


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
    (["--layers", "12"], "layer index 11 is out of range"),
    (["--layers", "one"], "comma-separated integers"),
    (["--grid", "1"], "--grid must be at least 2"),
])
def test_bad_options_exit_2_with_one_line(run11, tmp_path, capsys, args, message):
    assert main(["backproject", str(run11), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_not_a_run_dir_and_missing_snapshots_exit_2(run11, tmp_path, capsys):
    assert main(["backproject", str(tmp_path)]) == 2
    assert "is not a run directory" in capsys.readouterr().err
    plain = train_to_dir(TrainConfig(dataset="moons", n_samples=60, depth=2, steps=2), tmp_path / "plain").path
    assert main(["backproject", str(plain), "--animate", "--out", str(tmp_path / "o")]) == 2
    assert "has no snapshots" in capsys.readouterr().err
    assert main(["backproject", str(plain), "--out", str(plain)]) == 2  # non-empty, no --force
    assert "not empty" in capsys.readouterr().err
