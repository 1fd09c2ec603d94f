"""save_animation: one frame per step, GIF or MP4, and no global matplotlib state left behind."""

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from reluscope.plots import animation
from reluscope.plots.animation import save_animation


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
