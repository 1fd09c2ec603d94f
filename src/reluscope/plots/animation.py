"""Animations over training snapshots: one drawing function, one frame per step, GIF (or MP4) out.

An animation's cost is its frames times the panels each frame draws; ``check_animation`` refuses one that
would take longer than ``MAX_ANIMATION_PANELS`` panels before anything is drawn. Inside ``frame_progress(cb)``
every ``save_animation`` reports ``cb(done, total)``: ``cb(0, total)`` before the first frame, then after
each one — how the command line shows an animation's progress without a callback passed through every study.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
from matplotlib.figure import Figure

from reluscope.limits import check_work
from reluscope.plots.style import plt

MAX_ANIMATION_PANELS = 1000  # ~9 min at the 0.56 s a back-projection panel took on a busy 2-core machine

_on_frame: ContextVar[Callable[[int, int], None] | None] = ContextVar("on_frame", default=None)


def check_animation(frames: int, panels: int) -> None:
    """Raise ``ReluscopeError`` if ``frames`` frames of ``panels`` panels each exceed ``MAX_ANIMATION_PANELS``."""
    check_work(frames * panels, MAX_ANIMATION_PANELS, f"an animation of {frames} frames × {panels} panels",
               unit="panels to draw")


@contextmanager
def frame_progress(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Within the block, ``save_animation`` calls ``callback(done, total)`` before the first frame and after
    each frame drawn."""
    token = _on_frame.set(callback)
    try:
        yield
    finally:
        _on_frame.reset(token)


def save_animation(fig: Figure, draw: Callable[[int], None], frames: Sequence[int], path: str | Path, *,
                   fps: int = 4) -> Path:
    """Call ``draw(frame)`` for each of ``frames`` on ``fig`` and write the animation to ``path``.

    ``.gif`` uses matplotlib's Pillow writer; ``.mp4`` needs an ffmpeg on PATH (or imageio-ffmpeg's binary).
    ``draw`` clears and redraws the figure's axes itself. The figure is closed afterwards.
    """
    path = Path(path)
    frames = list(frames)
    anim = FuncAnimation(fig, draw, frames=frames, repeat=False)
    rc = {}  # matplotlib settings for this save only: the caller's rcParams are left as they were
    if path.suffix == ".mp4":
        writer = FFMpegWriter(fps=fps)
        if shutil.which("ffmpeg") is None:
            import imageio_ffmpeg  # optional dependency: only needed for MP4 without a system ffmpeg

            rc["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    else:
        writer = PillowWriter(fps=fps)
    on_frame = _on_frame.get()
    if on_frame is not None:
        on_frame(0, len(frames))
    with plt.rc_context(rc):
        anim.save(path, writer=writer, dpi=80,
                  progress_callback=None if on_frame is None else lambda i, _: on_frame(i + 1, len(frames)))
    plt.close(fig)
    return path
