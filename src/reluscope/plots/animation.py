"""Animations over training snapshots: one drawing function, one frame per step, GIF (or MP4) out."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.figure import Figure

from reluscope.plots.style import plt


def save_animation(fig: Figure, draw: Callable[[int], None], frames: Sequence[int], path: str | Path, *,
                   fps: int = 4) -> Path:
    """Call ``draw(frame)`` for each of ``frames`` on ``fig`` and write the animation to ``path``.

    ``.gif`` uses matplotlib's Pillow writer; ``.mp4`` needs an ffmpeg on PATH (or imageio-ffmpeg's binary).
    ``draw`` clears and redraws the figure's axes itself. The figure is closed afterwards.
    """
    path = Path(path)
    anim = FuncAnimation(fig, draw, frames=list(frames), repeat=False)
    rc = {}  # matplotlib settings for this save only: the caller's rcParams are left as they were
    if path.suffix == ".mp4":
        writer = FFMpegWriter(fps=fps)
        if shutil.which("ffmpeg") is None:
            import imageio_ffmpeg  # optional dependency: only needed for MP4 without a system ffmpeg

            rc["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    else:
        writer = PillowWriter(fps=fps)
    with plt.rc_context(rc):
        anim.save(path, writer=writer, dpi=80)
    plt.close(fig)
    return path
