"""What each layer keeps of a digit: layer 1's back-projection x̂ = (h − b)W⁺ in R^64 against linear algebra,
``reluscope backproject --images`` files and exit codes."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from reluscope.cli import main
from reluscope.data import load_dataset, save_csv
from reluscope.geometry.backproject import backproject
from reluscope.plots.backprojection import backprojection_frames


@pytest.fixture(scope="module")
def X():
    return load_dataset("digits").X[:200]  # (200, 64) standardised digits


def all_active_layer(width, seed=0):
    """One ReLU layer 64 → width whose biases (+100) keep every unit on for the digits, then 10 logits."""
    g = torch.Generator().manual_seed(seed)
    net = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.randn(width, 64, generator=g, dtype=torch.float64) / 8)
        net[0].bias.fill_(100.0)
    return net


@pytest.mark.parametrize("width", [64, 128])
def test_layer_one_reproduces_the_input_when_every_unit_is_on_and_w_has_full_row_rank(X, width):
    net = all_active_layer(width)
    with torch.no_grad():
        assert (net[0](torch.from_numpy(X)) > 0).all()
    xhat = backproject(net, X, view="input", layers=[0]).points[0]  # (200, 64)
    np.testing.assert_allclose(xhat, X, atol=1e-9)


@pytest.mark.parametrize("width", [10, 32, 63])
def test_with_fewer_units_layer_one_keeps_the_projection_onto_what_it_sees(X, width):
    """x̂ = x W W⁺ = x P, P the orthogonal projector onto the span of the units' weight vectors (QR here)."""
    net = all_active_layer(width)
    Q, _ = np.linalg.qr(net[0].weight.detach().numpy().T)  # (64, width) orthonormal basis of the weights' span
    xhat = backproject(net, X, view="input", layers=[0]).points[0]
    np.testing.assert_allclose(xhat, X @ Q @ Q.T, atol=1e-9)
    assert np.linalg.norm(X - xhat) > 0.1 * np.linalg.norm(X)  # it is a projection, not the input


def test_an_off_unit_sends_its_share_to_minus_b(X):
    """Where unit k is off, h_k = 0 is back-projected as if z_k = −b_k: x̂ differs from x exactly by the
    missing pre-activation z_k carried back through W⁺."""
    net = all_active_layer(64)
    with torch.no_grad():
        net[0].bias[0] = -1e3  # unit 0 off for every digit
        z = net[0](torch.from_numpy(X)).numpy()  # (200, 64)
    W_pinv = np.linalg.pinv(net[0].weight.detach().numpy().T)  # (64, 64)
    xhat = backproject(net, X, view="input", layers=[0]).points[0]
    np.testing.assert_allclose(X - xhat, z[:, :1] @ W_pinv[:1], atol=1e-8)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert main(["train", "--dataset", "digits", "--depth", "3", "--width", "16", "--steps", "30",
                 "--out", str(out)]) == 0
    return out


def test_images_are_written_with_the_residuals(digits_run, tmp_path, capsys):
    out = tmp_path / "img"
    assert main(["backproject", str(digits_run), "--images", "--inputs", "3,10,-1", "--layers", "1,2",
                 "--out", str(out)]) == 0
    assert (out / "images.png").stat().st_size > 5000
    rows = json.loads((out / "images.json").read_text())["inputs"]
    assert [(r["index"], r["layer"]) for r in rows] == [(3, 1), (3, 2), (10, 1), (10, 2), (1796, 1), (1796, 2)]
    from reluscope.train.rundir import load_run

    run = load_run(digits_run)
    x = run.data.X[10]
    xhat = backproject(run.model, x[None], view="input", layers=[1]).points[1][0]
    assert rows[3]["residual"] == pytest.approx(np.linalg.norm(x - xhat) / np.linalg.norm(x))
    assert "up to" in capsys.readouterr().out


def test_default_images_are_typical_digits_of_six_classes(digits_run, tmp_path):
    assert main(["backproject", str(digits_run), "--images", "--out", str(tmp_path / "d")]) == 0
    rows = json.loads((tmp_path / "d" / "images.json").read_text())["inputs"]
    assert [r["class"] for r in rows if r["layer"] == 1] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("args, message", [
    (["--inputs", "1,2"], "--inputs chooses the images of --images"),
    (["--images", "--view", "embedded"], "no --view"),
    (["--images", "--inputs", "1,x"], "comma-separated data indices"),
    (["--images", "--inputs", "99999"], "must lie in -1797 … 1796"),
])
def test_bad_image_requests_exit_2(digits_run, tmp_path, capsys, args, message):
    assert main(["backproject", str(digits_run), *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_inputs_that_are_not_square_images_are_refused(tmp_path, capsys):
    rng = np.random.default_rng(0)
    save_csv(tmp_path / "five.csv", rng.normal(size=(40, 5)), np.arange(40) % 2)
    run = tmp_path / "run"
    assert main(["train", "--dataset", str(tmp_path / "five.csv"), "--depth", "2", "--width", "4", "--steps", "5",
                 "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["backproject", str(run), "--images", "--out", str(tmp_path / "o")]) == 2
    assert "square number of input pixels" in capsys.readouterr().err


def test_the_grid_of_the_plane_through_three_digits_stays_straight_where_every_unit_is_on(X):
    """For d > 2 inputs the carried-back grid is that of the plane through three typical points, shown in the
    plane's coordinates: with every unit on and W of full row rank, layer 1 gives the grid back unchanged."""
    net = all_active_layer(128)
    y = np.arange(len(X)) % 3
    frame = backprojection_frames(net, X, y, view="input", layers=[0], grid=7, margin=0.5)[0]
    ss, tt = np.meshgrid(np.linspace(-0.5, 1.5, 7), np.linspace(-0.5, 1.5, 7))
    np.testing.assert_allclose(frame.grid, np.stack([ss, tt], axis=-1), atol=1e-9)
    assert frame.data.shape == (200, 2)


@pytest.mark.parametrize("view", ["input", "embedded"])
def test_a_digits_run_is_back_projected_on_its_plane(digits_run, tmp_path, capsys, view):
    out = tmp_path / view
    assert main(["backproject", str(digits_run), "--view", view, "--grid", "12", "--out", str(out)]) == 0
    assert (out / "layers.png").stat().st_size > 5000
    rows = json.loads((out / "summary.json").read_text())["layers"]
    assert [r["layer"] for r in rows] == [1, 2, 3] and rows[0]["rank"] == 16  # W₁ 64×16: rank d₁
