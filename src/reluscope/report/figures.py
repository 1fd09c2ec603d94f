"""Matplotlib figures to small image bytes, and viewers whose frames come from one drawing function.

Every frame of a viewer is drawn on one row of Axes of one fixed size and fixed margins (no
``bbox_inches="tight"``, no layout engine: it would double the drawing time of a frame), so the frames have the
same pixel size and the axes do not jump while a slider moves. The Axes are made once per drawing process and
emptied between frames (``clear_for_frame``), to the bytes new Axes would give: building them, their ticks and
a new renderer's text measurements again for every frame was a third of its time. At ``DPI`` a figure 9.6
inches wide is 960 px, the page's text column (about 950 px), and 9-point text is 12.5 px high.

A frame is a lossless WebP of the figure reduced to a palette (``to_webp``): the fewest of ``PALETTES`` colours
that reproduce every pixel within ``PALETTE_TOLERANCE`` levels per channel, so no line, point or cell colour is
lost, while anti-aliased edges share a few shades. Line art needs 32, the decision cells' pastel patterns more.
Lossy WebP or AVIF blur thin lines and colour edges and measured larger at a quality that keeps them. A static
figure is a palette PNG (``to_png``). Both take the figure's pixels from one Agg draw (``savefig`` to raw RGBA),
encoded once. Titles sit at a fixed height (``axes.titley``): matplotlib's automatic placement measured every
tick label of every Axes in every frame, a sixth of a frame's drawing time. A figure in a language other than
English has its tick labels written with that language's decimal sign (``plots.ticks.with_decimal_sign``).

A viewer whose frames share their axes (``render_viewer(…, blit=True)``: the same limits, scales, labels and
ticks in every frame, only artists and titles changing) is drawn by blitting, matplotlib's own animation
technique: the figure is drawn once without the artists that change (its background: the axes, their ticks and
labels), kept (``copy_from_bbox``), and every frame restores it and draws only what
changes (``Axes.draw_artist``) — the artists ``draw`` added, the titles and the spines, which lie over them —
in the order a whole draw would, so a frame has the pixels of a whole draw (``tests/test_blitting.py``). A frame
whose axes differ from the kept background's draws and keeps a new one.

Frames are independent, so ``render_viewer`` draws them in ``WORKERS`` forked processes (torch on one thread); the
drawing function and its data reach the workers by ``fork``, only the image bytes come back. A forked process parses
its formulas anew: a cached parse of matplotlib's mathtext holds the fonts it was set in, and a font reads its file
through a file offset that forked copies share, so two processes drawing one cached formula read each other's glyphs
("FT_Load_Glyph … invalid outline"). matplotlib forgets its cached fonts in a forked process
(``os.register_at_fork``), and this module its parses, the same way. Only on Linux: Windows has no ``fork`` and on
macOS it is unsafe (system frameworks are not fork-safe, Python's default there is ``spawn``, which cannot send a
closure), so there the frames are drawn in the calling process, to the same bytes.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence

import torch
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.mathtext import MathTextParser
from matplotlib.spines import Spine
from matplotlib.text import Text
from PIL import Image as PILImage
from PIL import ImageChops

from reluscope.plots.style import plt
from reluscope.plots.ticks import with_decimal_sign
from reluscope.progress import Progress
from reluscope.report.document import Axis, Viewer, option_keys
from reluscope.report.numbers import decimal_sign

DPI = 100  # pixels per inch of every figure of the report
PALETTES = (32, 64, 128)  # colour counts a frame may be reduced to, fewest first
PALETTE_TOLERANCE = 64  # largest error per channel (of 255) a frame's palette may leave on any pixel
FRAME_RC = {"axes.titley": 1.0}  # a title at a fixed height: no search for the tick labels under it
CAN_FORK = sys.platform.startswith("linux")  # fork is missing on Windows and unsafe on macOS
if CAN_FORK:  # a forked process parses its formulas anew (the module docstring says why)
    os.register_at_fork(after_in_child=MathTextParser._parse_cached.cache_clear)
WORKERS = min(4, len(os.sched_getaffinity(0))) if CAN_FORK else 1  # drawing processes: the cores this may use


def pixels(fig: Figure, *, dpi: int = DPI, close: bool = True, lang: str = "en") -> PILImage.Image:
    """``fig`` drawn at ``dpi`` as an RGB image (one Agg draw, no encoding), its tick labels in ``lang``'s
    decimal sign; closes it unless ``close=False``."""
    with_decimal_sign(fig, decimal_sign(lang))
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi)
    width, height = (int(v) for v in fig.get_size_inches() * dpi)  # what Agg allocated: size × dpi, truncated
    if close:
        plt.close(fig)
    return _rgb(raw.getbuffer(), width, height)


def _rgb(rgba, width: int, height: int) -> PILImage.Image:
    """Agg's RGBA buffer of ``width`` × ``height`` pixels as an RGB image."""
    return PILImage.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")


def to_png(fig: Figure, *, dpi: int = DPI, colors: int = 128, close: bool = True, lang: str = "en") -> bytes:
    """``fig`` as palette PNG bytes (``colors`` entries), ticks in ``lang``; closes it unless ``close=False``."""
    img = pixels(fig, dpi=dpi, close=close, lang=lang).quantize(colors, method=PILImage.Quantize.FASTOCTREE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def to_webp(fig: Figure, *, dpi: int = DPI, close: bool = True, lang: str = "en") -> bytes:
    """``fig`` as lossless WebP bytes of its ``palette``, ticks in ``lang``; closes it unless ``close=False``."""
    return webp(pixels(fig, dpi=dpi, close=close, lang=lang))


def webp(img: PILImage.Image) -> bytes:
    """``img`` (RGB) as lossless WebP bytes of its ``palette``.

    At the lowest effort (method 1): as small as more effort on these frames, in half the time."""
    out = io.BytesIO()
    palette(img).save(out, format="WEBP", lossless=True, quality=25, method=1)
    return out.getvalue()


def palette(img: PILImage.Image) -> PILImage.Image:
    """``img`` (RGB) in the fewest of ``PALETTES`` colours that keep every pixel within ``PALETTE_TOLERANCE``
    per channel (the largest palette if none does), as RGB."""
    for colors in PALETTES:
        reduced = img.quantize(colors, method=PILImage.Quantize.FASTOCTREE).convert("RGB")
        if max(high for _, high in ImageChops.difference(reduced, img).getextrema()) <= PALETTE_TOLERANCE:
            break  # the largest |reduced − img| of any channel and pixel (computed in C)
    return reduced


def render_viewer(name: str, axes: Sequence[Axis], draw: Callable[[list[Axes], tuple[int, ...]], None], *,
                  figsize: tuple[float, float], panels: int = 1, margins: dict[str, float] | None = None,
                  caption: str = "", dpi: int = DPI, advance: Progress | None = None,
                  workers: int = WORKERS, lang: str = "en", blit: bool = False) -> Viewer:
    """A ``Viewer`` whose frame for option indices ``key`` is what ``draw(axs, key)`` puts on ``panels`` Axes
    side by side (one row) of a figure of ``figsize`` inches.

    ``margins`` are ``Figure.subplots_adjust`` keywords (left, right, bottom, top, wspace as fractions);
    ``advance(1)`` is called after each frame; tick labels are written in ``lang``. The Axes are made once
    per drawing process and emptied between frames (``clear_for_frame``): ``draw`` sets on every frame each
    property it sets on any (tick parameters in particular), as each frame must come out as it would on new Axes.
    With ``workers > 1`` on Linux the frames are drawn in that many forked processes (same bytes as with one).
    With ``blit`` the frames are blitted over one kept background (``_blitted``; the same pixels): for frames
    that share their axes — limits, scales, labels, ticks — and differ in the artists ``draw`` adds and in titles;
    a frame whose figure has artists of its own, grid lines or inward ticks is drawn whole (``_blittable``).
    """
    keys = option_keys(axes)
    _JOB.update(draw=draw, figsize=figsize, panels=panels, margins=margins or {}, dpi=dpi, lang=lang, blit=blit)
    try:
        if CAN_FORK and workers > 1 and len(keys) > workers:
            with multiprocessing.get_context("fork").Pool(workers, initializer=torch.set_num_threads,
                                                          initargs=(1,)) as pool:
                images = pool.imap(_frame, keys, chunksize=max(1, len(keys) // (4 * workers)))
                frames = {key: _advanced(image, advance) for key, image in zip(keys, images)}
        else:
            frames = {key: _advanced(_frame(key), advance) for key in keys}
    finally:
        _JOB.clear()
    return Viewer(name, list(axes), frames, caption)


_JOB: dict = {}  # the viewer being drawn: draw, figsize, panels, margins, dpi, lang, blit; its Axes once made
# ("axs"), what an emptied Axes holds ("base"), and with blit the kept background and the axes it shows ("shared")


def _frame(key: tuple[int, ...]) -> bytes:
    """One frame of the viewer in ``_JOB``, drawn on the Axes this process made for it, emptied first.

    The figure lives outside pyplot and is made once: a new figure per frame cost a third of the frame
    (every Axes built again, every tick of it, and the text measured again by a new renderer). It keeps one Agg
    canvas, so one renderer draws every frame and its text measurements and parsed mathtext carry over
    (``savefig`` on a figure without one makes a new canvas, and so a new renderer, every time). Margins are set
    after the figure is made: its ``__init__`` resets the ``subplotpars`` it is given (matplotlib 3.11)."""
    if "axs" in _JOB:
        for ax in _JOB["axs"]:
            clear_for_frame(ax)
    else:
        fig = Figure(figsize=_JOB["figsize"], dpi=_JOB["dpi"])
        FigureCanvasAgg(fig)  # the figure's own canvas from now on
        fig.subplots_adjust(**_JOB["margins"])
        _JOB["axs"] = list(fig.subplots(1, _JOB["panels"], squeeze=False).flat)
        if _JOB["blit"]:
            _JOB["base"] = [set(ax.get_children()) for ax in _JOB["axs"]]  # an emptied Axes: spines, axes, titles
    axs = _JOB["axs"]
    with plt.rc_context(FRAME_RC):
        _JOB["draw"](axs, key)
    if _JOB["blit"] and _blittable(axs):
        return webp(_blitted(axs))
    return to_webp(axs[0].figure, dpi=_JOB["dpi"], close=False, lang=_JOB["lang"])


def _blitted(axs: list[Axes]) -> PILImage.Image:
    """The frame just drawn on ``axs``, rendered over the kept background (drawn and kept first where there is
    none or it shows other axes): the pixels a whole draw of the figure gives.

    What changes from frame to frame — the artists ``draw`` added, the titles, and the spines, drawn over the
    artists — is drawn per frame in the order ``Axes.draw`` would (its z-order, ties in ``get_children``'s
    order); everything else, the ticks and their text above all, is the background's."""
    fig = axs[0].figure
    moving = [sorted((a for a in ax.get_children() if a not in base or _redrawn(ax, a)), key=lambda a: a.zorder)
              for ax, base in zip(axs, _JOB["base"])]
    shared = [_axes_state(ax) for ax in axs]
    if _JOB.get("shared") != shared:  # the first frame, or one on other axes: a new background
        for artist in (a for per_ax in moving for a in per_ax):
            artist.set_animated(True)  # left out of the figure's draw (not out of savefig's)
        with_decimal_sign(fig, decimal_sign(_JOB["lang"]))
        fig.canvas.draw()
        _JOB.update(background=fig.canvas.copy_from_bbox(fig.bbox), shared=shared)
    else:
        fig.canvas.restore_region(_JOB["background"])
    for ax, per_ax in zip(axs, moving):
        for artist in per_ax:
            ax.draw_artist(artist)
    return _rgb(fig.canvas.buffer_rgba(), *fig.canvas.get_width_height())


def _blittable(axs: list[Axes]) -> bool:
    """Whether a blitted frame of ``axs`` has a whole draw's pixels: the figure holds these Axes and nothing of its
    own (a suptitle, a colour bar, a legend of the figure would stay as the background shows them), and no axis
    reaches into the data (grid lines or inward ticks, drawn over the artists by a whole draw, under them here)."""
    fig = axs[0].figure
    if fig.axes != axs or fig.texts or fig.legends or fig.images or fig.patches or fig.lines or fig.artists:
        return False
    return not any(line.get_visible() for ax in axs for line in [*ax.get_xgridlines(), *ax.get_ygridlines()]) \
        and all(tick.get_tickdir() == "out" for ax in axs for axis in (ax.xaxis, ax.yaxis)
                for tick in axis.get_major_ticks()[:1] + axis.get_minor_ticks()[:1])


def _redrawn(ax: Axes, artist: Artist) -> bool:
    """Whether a blitted frame draws ``artist`` of an emptied ``ax`` anew: a title, or a spine where the Axes
    draws its frame."""
    return isinstance(artist, Text) or isinstance(artist, Spine) and ax.axison and ax.get_frame_on()


def _axes_state(ax: Axes) -> tuple:
    """What a blitted frame takes from the background: the Axes' place, view, scales, labels and ticks."""
    return (ax.get_position(original=True).bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
            ax.get_aspect(), ax.get_xlabel(), ax.get_ylabel(), tuple(ax.get_xticks()), tuple(ax.get_yticks()),
            ax.axison)


def clear_for_frame(ax: Axes) -> None:
    """Empty ``ax`` for the next frame as a new Axes is, but keep its ticks (``Axes.clear`` would build them
    again): its artists, containers and legend removed, titles and labels blank, both scales linear (which also
    restores the default tick locators and formatters), the view (0, 1)² and autoscaled from the next data alone,
    the aspect free, the colour cycle at its start. What ``draw`` sets and this does not undo — tick parameters,
    the offset text's size, a title's or a label's font — stays as the last frame set it."""
    for container in list(ax.containers):
        container.remove()
    for artist in [*ax.collections, *ax.images, *ax.lines, *ax.patches, *ax.texts, *ax.artists, *ax.tables]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("auto")
    ax.set_prop_cycle(None)
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)


def _advanced(image: bytes, advance: Progress | None) -> bytes:
    if advance is not None:
        advance(1)
    return image


def steps_axis(steps: Sequence[int]) -> Axis:
    """A slider over training snapshots, starting at the last (the trained network)."""
    return Axis("training step", "slider", [str(s) for s in steps], initial=len(steps) - 1)


def layers_axis(n_layers: int, initial: int = 0) -> Axis:
    """A drop-down over linear layers ``1 … n_layers``."""
    return Axis("layer", "select", [str(i) for i in range(1, n_layers + 1)], initial=initial)
