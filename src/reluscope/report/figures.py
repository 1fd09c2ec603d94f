"""Matplotlib figures to small PNG bytes, and viewers whose frames come from one drawing function.

Frames are drawn on one reused figure of a fixed size and fixed margins (no ``bbox_inches="tight"``, no
layout engine: it would double the drawing time of a frame), so every frame of a viewer has the same pixel
size and the axes do not jump while a slider moves. PNGs are quantised to a
palette, which keeps a report of a few hundred frames within a few MB.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence

from matplotlib.figure import Figure
from PIL import Image as PILImage

from reluscope.plots.style import plt
from reluscope.report.document import Axis, Viewer

DPI = 72  # modest: a 6-inch-wide figure is 432 px


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
                  dpi: int = DPI, advance: Callable[[int], None] | None = None) -> Viewer:
    """A ``Viewer`` whose frame for option indices ``key`` is what ``draw(fig, key)`` puts on a clean figure.

    ``draw`` receives the cleared figure and adds its own axes; ``margins`` are ``Figure.subplots_adjust``
    keywords (left, right, bottom, top, wspace as fractions); ``advance(1)`` is called after each frame.
    """
    fig = plt.figure(figsize=figsize)
    fig.subplots_adjust(**(margins or {}))
    frames = {}
    for key in itertools.product(*(range(len(a.options)) for a in axes)):
        fig.clear()
        draw(fig, key)
        frames[key] = to_png(fig, dpi=dpi, close=False)
        if advance is not None:
            advance(1)
    plt.close(fig)
    return Viewer(name, list(axes), frames, caption)


def steps_axis(steps: Sequence[int]) -> Axis:
    """A slider over training snapshots, starting at the last (the trained network)."""
    return Axis("training step", "slider", [str(s) for s in steps], initial=len(steps) - 1)


def layers_axis(n_layers: int, initial: int = 0) -> Axis:
    """A drop-down over linear layers ``1 … n_layers``."""
    return Axis("layer", "select", [str(i) for i in range(1, n_layers + 1)], initial=initial)
