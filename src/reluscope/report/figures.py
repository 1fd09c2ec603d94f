"""Matplotlib figures to small PNG bytes, and viewers whose frames come from one drawing function.

Frames are drawn on one reused figure of a fixed size and fixed margins (no ``bbox_inches="tight"``, no
layout engine: it would double the drawing time of a frame), so every frame of a viewer has the same pixel
size and the axes do not jump while a slider moves. PNGs are quantised to a palette, which keeps a report of
a few hundred frames within a few MB.

Frames are independent, so ``render_viewer`` draws them in ``WORKERS`` forked processes (each with its own
figure, torch on one thread); the drawing function and its data reach the workers by ``fork``, only the PNG
bytes come back. Only on Linux: Windows has no ``fork`` and on macOS it is unsafe (system frameworks are not
fork-safe, Python's default there is ``spawn``, which cannot send a closure), so there the frames are drawn
in the calling process, to the same bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence

import torch
from matplotlib.figure import Figure
from PIL import Image as PILImage

from reluscope.plots.style import plt
from reluscope.progress import Progress
from reluscope.report.document import Axis, Viewer, option_keys

DPI = 72  # modest: a 6-inch-wide figure is 432 px
CAN_FORK = sys.platform.startswith("linux")  # fork is missing on Windows and unsafe on macOS
WORKERS = min(4, len(os.sched_getaffinity(0))) if CAN_FORK else 1  # drawing processes: the cores this may use


def to_png(fig: Figure, *, dpi: int = DPI, colors: int = 128, close: bool = True) -> bytes:
    """``fig`` as palette PNG bytes (``colors`` entries); closes the figure unless ``close=False``."""
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=dpi)
    if close:
        plt.close(fig)
    raw.seek(0)
    img = PILImage.open(raw).convert("RGB").quantize(colors, method=PILImage.Quantize.FASTOCTREE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_viewer(name: str, axes: Sequence[Axis], draw: Callable[[Figure, tuple[int, ...]], None], *,
                  figsize: tuple[float, float], margins: dict[str, float] | None = None, caption: str = "",
                  dpi: int = DPI, advance: Progress | None = None,
                  workers: int = WORKERS) -> Viewer:
    """A ``Viewer`` whose frame for option indices ``key`` is what ``draw(fig, key)`` puts on a clean figure.

    ``draw`` receives the cleared figure and adds its own axes; ``margins`` are ``Figure.subplots_adjust``
    keywords (left, right, bottom, top, wspace as fractions); ``advance(1)`` is called after each frame.
    With ``workers > 1`` on Linux the frames are drawn in that many forked processes (same bytes as with one).
    """
    keys = option_keys(axes)
    _JOB.update(draw=draw, figsize=figsize, margins=margins or {}, dpi=dpi, fig=None)
    try:
        if CAN_FORK and workers > 1 and len(keys) > workers:
            with multiprocessing.get_context("fork").Pool(workers, initializer=torch.set_num_threads,
                                                          initargs=(1,)) as pool:
                pngs = pool.imap(_frame, keys, chunksize=max(1, len(keys) // (4 * workers)))
                frames = {key: _advanced(png, advance) for key, png in zip(keys, pngs)}
        else:
            frames = {key: _advanced(_frame(key), advance) for key in keys}
    finally:
        if _JOB["fig"] is not None:
            plt.close(_JOB["fig"])
        _JOB.clear()
    return Viewer(name, list(axes), frames, caption)


_JOB: dict = {}  # the viewer being drawn: draw, figsize, margins, dpi, and this process's figure


def _frame(key: tuple[int, ...]) -> bytes:
    """One frame of the viewer in ``_JOB``, drawn on this process's reused figure."""
    if _JOB["fig"] is None:
        _JOB["fig"] = plt.figure(figsize=_JOB["figsize"])
        _JOB["fig"].subplots_adjust(**_JOB["margins"])
    fig = _JOB["fig"]
    fig.clear()
    _JOB["draw"](fig, key)
    return to_png(fig, dpi=_JOB["dpi"], close=False)


def _advanced(png: bytes, advance: Progress | None) -> bytes:
    if advance is not None:
        advance(1)
    return png


def steps_axis(steps: Sequence[int]) -> Axis:
    """A slider over training snapshots, starting at the last (the trained network)."""
    return Axis("training step", "slider", [str(s) for s in steps], initial=len(steps) - 1)


def layers_axis(n_layers: int, initial: int = 0) -> Axis:
    """A drop-down over linear layers ``1 … n_layers``."""
    return Axis("layer", "select", [str(i) for i in range(1, n_layers + 1)], initial=initial)
