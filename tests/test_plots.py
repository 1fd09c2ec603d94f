"""Shared plots: decision regions are the model's own predictions; animations leave no global state behind."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from reluscope.model import build_mlp, init_model_, predict
from reluscope.plots import animation
from reluscope.plots.animation import save_animation
from reluscope.plots.boundary import DecisionBoundaryDisplay, grid_over


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_decision_regions_are_the_models_predictions(dtype):
    model = init_model_(build_mlp(2, 16, 3, 3), "he", generator=torch.Generator().manual_seed(0)).to(dtype)
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = np.arange(50) % 3
    display = DecisionBoundaryDisplay.from_model(model, X, y, grid=40)
    xx, yy, pts = grid_over(X, 40)
    np.testing.assert_array_equal(display.predicted, predict(model, pts).numpy().reshape(40, 40))
    np.testing.assert_array_equal(display.xx, xx)
    np.testing.assert_array_equal(display.yy, yy)
    assert display.xx.min() == X[:, 0].min() - 0.5 and display.yy.max() == X[:, 1].max() + 0.5  # the data's box
    assert display.n_classes == 3 and set(np.unique(display.predicted)) <= {0, 1, 2}


def test_a_display_draws_on_the_given_axes_a_band_per_class():
    model = init_model_(build_mlp(2, 8, 2, 4), "he", generator=torch.Generator().manual_seed(1))
    X = np.random.default_rng(1).standard_normal((30, 2))
    display = DecisionBoundaryDisplay.from_model(model, X, np.arange(30) % 2, grid=20)
    assert display.n_classes == 4  # the model's outputs, though the data has two classes
    fig, ax = plt.subplots()
    assert display.plot(ax=ax, title="t") is ax and ax.get_title() == "t"
    assert list(ax.collections[0].levels) == [-0.5, 0.5, 1.5, 2.5, 3.5]
    plt.close(fig)


def _figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    drawn = []

    def draw(frame):
        ax.clear()
        ax.plot([0, frame], [0, frame])
        drawn.append(frame)

    return fig, draw, drawn


def test_gif_has_one_frame_per_step(tmp_path):
    fig, draw, drawn = _figure()
    path = save_animation(fig, draw, [0, 10, 20], tmp_path / "a.gif")
    assert Image.open(path).n_frames == 3 and set(drawn) == {0, 10, 20}
    assert not plt.fignum_exists(fig.number)


def test_mp4_through_imageio_ffmpeg_leaves_rcparams_alone(tmp_path, monkeypatch):
    pytest.importorskip("imageio_ffmpeg", reason="the 'video' extra (imageio-ffmpeg) is not installed")
    monkeypatch.setattr(animation.shutil, "which", lambda name: None)  # as on a machine without ffmpeg
    before = plt.rcParams["animation.ffmpeg_path"]
    fig, draw, _ = _figure()
    path = save_animation(fig, draw, [0, 1], tmp_path / "a.mp4")
    assert path.stat().st_size > 0
    assert plt.rcParams["animation.ffmpeg_path"] == before
