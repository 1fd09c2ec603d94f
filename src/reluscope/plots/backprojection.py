"""Figures of the back-projection: how each layer folds the input plane, per layer and over training.

A panel shows one layer ``l``: a regular grid over the data's box, back-projected from layer ``l`` and drawn
as warped grid lines (constant ``x₁`` dark, constant ``x₂`` light) over the grid points coloured by the
class the whole network predicts there, with the back-projected data points coloured by their true class.
The grid's middle line of constant ``x₂`` (reddish purple) and of constant ``x₁`` (black) are drawn thick
(``highlight=True``), so one line can be followed from layer to layer.
Where every unit on the path is active the grid stays straight (``x̂ = x``); a unit that switches off sends
its share of the point to the constant ``−b`` side, so the plane is folded along the unit's kink.

``backprojection_frames`` does the geometry once (one float64 forward pass over grid and data, composed
affine maps); ``plot_backprojection`` draws a frame on an Axes (the report's viewer draws its frames with
it); ``plot_layers``, ``save_layer_figures`` and ``animate_backprojection`` lay frames out as a figure,
PNG files, or a GIF/MP4 over snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator
from torch import nn

from reluscope.geometry.backproject import backproject, forward64, select_layers
from reluscope.geometry.plane import auto_indices, plane_through
from reluscope.limits import MAX_COND
from reluscope.model.layers import linear_layers
from reluscope.plots.animation import save_animation
from reluscope.plots.boundary import grid_over
from reluscope.plots.style import HIGHLIGHT_COLORS, axes, class_cmap, plt, save

MAX_LINES = 25  # grid lines drawn per direction; the points use the full grid
MAX_ASPECT = 2.0  # equal axis scales unless the data's extents differ more (then each axis fills its side)


@dataclass
class Frame:
    """Everything one panel draws, in display coordinates (2-D)."""

    grid: np.ndarray  # (g, g, 2) back-projected grid; [i, :] has constant x₂, [:, j] constant x₁
    grid_class: np.ndarray  # (g, g) class the network predicts at each grid point
    data: np.ndarray  # (n, 2) back-projected data points
    labels: np.ndarray  # (n,) their true classes
    n_classes: int
    title: str
    xlabel: str
    ylabel: str
    explained: np.ndarray | None  # (2,) PCA variance ratios of the embedded view; None otherwise


def backprojection_frames(model: nn.Module, X: np.ndarray, y: np.ndarray, *, view: str = "input",
                          layers: Sequence[int] | None = None, grid: int = 60, margin: float = 0.5,
                          max_cond: float = MAX_COND) -> dict[int, Frame]:
    """One ``Frame`` per requested layer (0-based ``Layer.index``) for data ``X`` (n, d) with labels ``y``
    (``max_cond``: the largest condition number of a ``W`` to invert, ``geometry.backproject.pinv``).

    The ``embedded`` view is shown as its first two PCA scores, the PCA fitted per layer on the data's
    back-projections; each axis is oriented so that its scores grow with ``x₁`` (PC 1) and ``x₂`` (PC 2)
    on the data, which keeps the picture from flipping between training snapshots.

    Inputs of more than two dimensions (``X`` (n, d), d > 2) carry back the grid of the plane through three
    typical data points (``geometry.plane``: classes 0, 1, 2, box ``[−margin, 1 + margin]²``) instead of the
    data's box; the input view is then shown in that plane's coordinates ``(ŝ, t̂)`` (least squares), where a
    layer whose units are all on keeps the grid straight.
    """
    X = np.asarray(X, dtype=np.float64)
    plane = None if X.shape[1] == 2 else plane_through(X, auto_indices(X, y), margin=margin)
    if plane is None:
        xx, _, pts = grid_over(X, grid, margin)  # pts (g², 2)
        ref = X  # (n, 2) the coordinates the PCA axes are oriented by
    else:
        s0, s1, t0, t1 = plane.box
        xx, yy = np.meshgrid(np.linspace(s0, s1, grid), np.linspace(t0, t1, grid))  # (g, g)
        pts = plane.embed(np.column_stack([xx.ravel(), yy.ravel()]))  # (g², d)
        ref = plane.project(X)[0]  # (n, 2)
    both = np.concatenate([pts, X])  # (g² + n, d)
    pca = 2 if view == "embedded" else None
    bp = backproject(model, both, view=view, layers=layers, pca=pca, pca_fit=X if pca else None, max_cond=max_cond)
    *_, (_, _, logits) = forward64(model, pts)
    grid_class = logits.argmax(dim=1).numpy().reshape(xx.shape)  # (g, g)
    n_classes = max(int(y.max()) + 1, logits.shape[1])
    lays = linear_layers(model)
    frames = {}
    for i, name in zip(bp.layers, bp.names):
        p = bp.points[i]  # (g² + n, 2), or (g² + n, d) in the input views of d > 2 inputs
        if pca:
            p = p * _orientation(p[len(pts):], ref)
            r = 100 * bp.explained[i]
            xlabel, ylabel = f"PC 1 ({r[0]:.3g}% var.)", f"PC 2 ({r[1]:.2g}% var.)"
        elif plane is not None:
            p = plane.project(p)[0]
            xlabel, ylabel = r"$\hat s$", r"$\hat t$"
        else:
            xlabel, ylabel = r"$\hat x_1$", r"$\hat x_2$"
        lin = lays[i].linear
        title = f"layer {i + 1} ({lin.in_features}→{lin.out_features}, {lays[i].kind})"
        frames[i] = Frame(p[: len(pts)].reshape(*xx.shape, 2), grid_class, p[len(pts):], np.asarray(y),
                          n_classes, title, xlabel, ylabel, bp.explained.get(i))
    return frames


def plot_backprojection(frame: Frame, *, ax: Axes | None = None, lines: bool = True, points: bool = True,
                        highlight: bool = True, title: str | None = None) -> Axes:
    """Draw one frame: warped grid lines, grid points by predicted class, data by true class; with
    ``highlight`` the grid's middle lines thick in ``style.HIGHLIGHT_COLORS``, over everything else.

    The view box is the central 98% of the data's back-projection (1st to 99th percentile per axis)
    widened by a quarter of its extent on each side; the grid beyond it is clipped, so a few far-off points
    cannot shrink the picture. The axes share one scale unless the two extents differ by more than
    ``MAX_ASPECT``; then each fills its side of the panel, which an equal scale would shrink to a thin strip
    (deep layers collapse the plane towards a line; stretching the thin side is an affine change of basis,
    which is all the theorem promises anyway). Returns the Axes.
    """
    ax = axes(ax)
    cmap = class_cmap(frame.n_classes)
    colour = dict(cmap=cmap, vmin=-0.5, vmax=frame.n_classes - 0.5)
    g = frame.grid  # (g, g, 2)
    if points:
        ax.scatter(g[..., 0].ravel(), g[..., 1].ravel(), c=frame.grid_class.ravel(), s=2, alpha=0.25,
                   edgecolors="none", rasterized=True, **colour)
    if lines:
        step = max(1, -(-g.shape[0] // MAX_LINES))
        ax.add_collection(LineCollection(list(g[::step]), colors="0.75", linewidths=0.5),
                          autolim=False)  # constant x₂; the view is set below
        ax.add_collection(LineCollection(list(g[:, ::step].transpose(1, 0, 2)), colors="0.35", linewidths=0.5),
                          autolim=False)  # constant x₁
    ax.scatter(frame.data[:, 0], frame.data[:, 1], c=frame.labels, s=6, edgecolors="none", **colour)
    if highlight:
        middle = g.shape[0] // 2
        ax.add_collection(LineCollection([g[middle], g[:, middle]], colors=HIGHLIGHT_COLORS, linewidths=1.8),
                          autolim=False)  # constant x₂, constant x₁
    lo, hi = np.percentile(frame.data, [1, 99], axis=0)  # (2,), (2,)
    pad = 0.25 * np.maximum(hi - lo, 1e-6 * np.maximum(np.abs(hi), 1))
    extent = hi - lo  # (2,)
    aspect = "equal" if extent.max() <= MAX_ASPECT * extent.min() else "auto"
    ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]),
           xlabel=frame.xlabel, ylabel=frame.ylabel, aspect=aspect)
    ax.set_title(frame.title if title is None else title, fontsize=9)
    ax.tick_params(labelsize=7)
    for axis in (ax.xaxis, ax.yaxis):  # deep layers reach 10⁵–10⁶: few ticks, powers of ten factored out
        axis.set_major_locator(MaxNLocator(5))
        axis.get_offset_text().set_fontsize(7)
    ax.ticklabel_format(style="sci", scilimits=(-3, 3))
    return ax


def plot_layers(frames: dict[int, Frame], *, ncols: int = 4, panel: float = 3.0, suptitle: str | None = None):
    """All frames side by side, ``ncols`` per row. Returns the Figure."""
    fig = plt.figure(figsize=_figsize(len(frames), ncols, panel), layout="constrained")
    _draw_panels(fig, frames, ncols, suptitle)
    return fig


def animate_backprojection(snapshots: dict[int, nn.Module], X: np.ndarray, y: np.ndarray,
                           path: str | Path, *, view: str = "input", layers: Sequence[int] | None = None,
                           grid: int = 40, ncols: int = 4, fps: int = 3, max_cond: float = MAX_COND) -> Path:
    """A GIF (or ``.mp4``) with one frame per training step: all requested layers of ``snapshots[step]``."""
    steps = sorted(snapshots)
    n_panels = len(select_layers(layers, len(linear_layers(snapshots[steps[0]]))))
    fig = plt.figure(figsize=_figsize(n_panels, ncols, 3.0), layout="constrained")

    def draw(step: int) -> None:
        fig.clear()
        frames = backprojection_frames(snapshots[step], X, y, view=view, layers=layers, grid=grid, max_cond=max_cond)
        _draw_panels(fig, frames, ncols, f"{view} view, step {step}")

    return save_animation(fig, draw, steps, path, fps=fps)


def save_layer_figures(frames: dict[int, Frame], out_dir: str | Path, *, ncols: int = 4) -> list[Path]:
    """``layers.png`` (all panels) and ``layer{l + 1:02d}.png`` per layer in ``out_dir``."""
    out_dir = Path(out_dir)
    paths = [out_dir / "layers.png"]
    save(plot_layers(frames, ncols=ncols), paths[0])
    for i, frame in frames.items():
        paths.append(out_dir / f"layer{i + 1:02d}.png")
        save(plot_backprojection(frame).figure, paths[-1])
    return paths


def _draw_panels(fig, frames: dict[int, Frame], ncols: int, suptitle: str | None) -> None:
    ncols = min(ncols, len(frames))
    nrows = -(-len(frames) // ncols)
    for k, frame in enumerate(frames.values()):
        plot_backprojection(frame, ax=fig.add_subplot(nrows, ncols, k + 1))
    if suptitle:
        fig.suptitle(suptitle)


def _figsize(n_panels: int, ncols: int, panel: float) -> tuple[float, float]:
    ncols = min(ncols, n_panels)
    return panel * ncols, panel * -(-n_panels // ncols) + 0.3


def _orientation(scores: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Signs (2,) making PC k's scores correlate non-negatively with ``x_k`` on the data."""
    cov = ((scores - scores.mean(0)) * (X - X.mean(0))).sum(axis=0)  # (2,)
    return np.where(cov < 0, -1.0, 1.0)

