"""Shared plots: decision regions are the model's own predictions; animations leave no global state behind."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from reluscope.model import build_mlp, init_model_, predict
from reluscope.plots import animation
from reluscope.plots.animation import save_animation
from reluscope.plots.boundary import grid_over, plot_decision_boundary


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_decision_regions_are_the_models_predictions(dtype):
    model = init_model_(build_mlp(2, 16, 3, 3), "he", generator=torch.Generator().manual_seed(0)).to(dtype)
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = np.arange(50) % 3
    drawn = {}
    real_contourf = plt.Axes.contourf

    def contourf(self, xx, yy, z, **kw):  # keep the class map the regions are drawn from
        drawn["z"] = z
        return real_contourf(self, xx, yy, z, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plt.Axes, "contourf", contourf)
        ax = plot_decision_boundary(model, X, y, grid=40, title="t")
    xx, _, pts = grid_over(X, 40)
    np.testing.assert_array_equal(drawn["z"], predict(model, pts).numpy().reshape(xx.shape))
    assert list(ax.collections[0].levels) == [-0.5, 0.5, 1.5, 2.5] and ax.get_title() == "t"  # a band per class
    plt.close(ax.figure)


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
