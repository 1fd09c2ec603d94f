"""Figures of the decision cells: per-layer cell panels, the exact decision boundary, counts, animation.

A cell's colour is a function of its activation-pattern key (``colors="hash"``), so the same cell keeps its
colour from panel to panel and from one training snapshot to the next; ``colors="random"`` only tells
neighbours apart. One panel is one ``PolyCollection``: cheap enough for a slider over steps × layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import hsv_to_rgb
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.patterns import GridRegions
from reluscope.geometry.regions import LayerRegions, decision_segments, linear_regions
from reluscope.plots.animation import save_animation
from reluscope.plots.style import axes, class_cmap, plt, series_style


def key_colors(keys: np.ndarray, *, colors: str = "hash") -> np.ndarray:
    """Pastel RGB (R, 3) per pattern key (R,) uint64: ``"hash"`` derives hue/saturation/value from the key
    (stable across layers and snapshots), ``"random"`` draws them (seed 0)."""
    if colors == "hash":
        bits = keys.astype(np.uint64)
        u = np.stack([(bits >> np.uint64(s)) % np.uint64(1 << 16) for s in (0, 20, 40)], axis=1) / float(1 << 16)
    elif colors == "random":
        u = np.random.default_rng(0).random((len(keys), 3))
    else:
        raise ReluscopeError(f"colors must be 'hash' or 'random', got {colors!r}")
    hsv = np.column_stack([u[:, 0], 0.25 + 0.35 * u[:, 1], 0.8 + 0.2 * u[:, 2]])  # (R, 3)
    return hsv_to_rgb(hsv)


def plot_cells(regions: LayerRegions, *, ax: Axes | None = None, colors: str = "hash", X: np.ndarray | None = None,
               y: np.ndarray | None = None, boundary: np.ndarray | None = None, edge_width: float = 0.15,
               title: str | None = None) -> Axes:
    """The cells of one layer as filled convex polygons with their edges.

    Parameters
    ----------
    regions : one layer of ``linear_regions(model, box)``.
    X, y : data points (n, 2) and labels (n,) to overlay.
    boundary : decision-boundary segments (S, 2, 2) from ``decision_segments``, drawn thick.

    Returns the Axes.
    """
    ax = axes(ax)
    ax.add_collection(PolyCollection(regions.polygons(), facecolors=key_colors(regions.key, colors=colors),
                                     edgecolors="0.25", linewidths=edge_width))
    if boundary is not None and len(boundary):
        ax.add_collection(LineCollection(boundary, colors="k", linewidths=1.6))
    scatter_data(ax, X, y)
    x0, x1, y0, y1 = regions.box
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal", xticks=[], yticks=[])
    ax.set_title(title if title is not None else f"layer {regions.layer}: {len(regions)} cells", fontsize=9)
    return ax


def scatter_data(ax: Axes, X: np.ndarray | None, y: np.ndarray | None) -> None:
    """Overlay the data points ``X`` (n, 2), coloured by their class ``y`` (n,), on a cell plot."""
    if X is None:
        return
    n_classes = int(y.max()) + 1 if y is not None else 1
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=class_cmap(n_classes), vmin=-0.5, vmax=n_classes - 0.5, s=8,
               edgecolors="k", linewidths=0.3)  # a dark rim stands out on the pastel cells


def plot_grid_cells(grid: GridRegions, layer: int, *, ax: Axes | None = None, colors: str = "hash",
                    X: np.ndarray | None = None, y: np.ndarray | None = None, title: str | None = None) -> Axes:
    """The grid approximation of layer ``layer`` (1-based) as an image of pattern colours, with the data
    ``X`` (n, 2) coloured by ``y`` overlaid when given. Returns the Axes."""
    ax = axes(ax)
    keys = grid.keys[layer - 1]  # (n, n)
    uniq, inverse = np.unique(keys, return_inverse=True)
    palette = np.full((len(uniq), 4), 255, np.uint8)  # RGBA bytes: drawn in half the time of floats
    palette[:, :3] = key_colors(uniq, colors=colors) * 255  # truncated, as matplotlib turns float colours to bytes
    image = palette[inverse.reshape(keys.shape)]  # (n, n, 4)
    x0, x1, y0, y1 = grid.box
    ax.imshow(image, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest")
    scatter_data(ax, X, y)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xticks=[], yticks=[])
    ax.set_title(title if title is not None else f"layer {layer}: {len(uniq)} patterns (grid)", fontsize=9)
    return ax


def plot_layer_panels(layers: Sequence[LayerRegions], *, X: np.ndarray | None = None, y: np.ndarray | None = None,
                      colors: str = "hash", ncols: int = 4, panel_size: float = 3.0):
    """One panel per layer (cells, data, the network's decision boundary); returns the figure."""
    boundary = decision_segments(layers[-1])
    fig, axs = _panels(len(layers), ncols, panel_size)
    for ax, regions in zip(axs.flat, layers):
        plot_cells(regions, ax=ax, colors=colors, X=X, y=y, boundary=boundary)
    fig.tight_layout()
    return fig


def plot_grid_panels(grid: GridRegions, *, colors: str = "hash", ncols: int = 4, panel_size: float = 3.0):
    """``plot_grid_cells`` for every layer of a grid approximation, one panel each; returns the figure."""
    n = grid.keys.shape[0]
    fig, axs = _panels(n, ncols, panel_size)
    for layer, ax in zip(range(1, n + 1), axs.flat):
        plot_grid_cells(grid, layer, ax=ax, colors=colors)
    fig.tight_layout()
    return fig


def _panels(n: int, ncols: int, panel_size: float):
    """A figure with ``n`` panel Axes on a grid of ``ncols`` columns; unused Axes switched off."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows), squeeze=False)
    for ax in axs.flat[n:]:
        ax.set_axis_off()
    return fig, axs


def plot_decision_cells(final: LayerRegions, *, ax: Axes | None = None, X: np.ndarray | None = None,
                        y: np.ndarray | None = None, colors: str = "hash", title: str | None = None) -> Axes:
    """The last layer's cells with the exact decision boundary: on each cell the logits are affine, so the
    boundary is a union of straight pieces that bend only on cell edges. Returns the Axes."""
    boundary = decision_segments(final)
    title = title if title is not None else f"{len(final)} cells, boundary of {len(boundary)} segments"
    return plot_cells(final, ax=ax, colors=colors, X=X, y=y, boundary=boundary, title=title)


def plot_region_counts(counts: Sequence[int], *, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Region count after each layer (log scale). Returns the Axes."""
    ax = axes(ax, figsize=(5, 3.5))
    ax.plot(np.arange(1, len(counts) + 1), counts, "-", label=label, **series_style(1))
    ax.set(yscale="log", xlabel="layer l (network truncated after l)", ylabel="linear regions in the box")
    ax.set_xticks(np.arange(1, len(counts) + 1))
    if label:
        ax.legend()
    return ax


def plot_counts_over_training(steps: Sequence[int], counts: np.ndarray, *, ax: Axes | None = None) -> Axes:
    """Region count (S, L) per layer over training steps, one line per layer (log scale). Returns the Axes."""
    ax = axes(ax, figsize=(6, 4))
    cmap = plt.get_cmap("viridis")
    n_layers = counts.shape[1]
    for layer in range(n_layers):
        ax.plot(steps, counts[:, layer], color=cmap(layer / max(n_layers - 1, 1)), label=f"layer {layer + 1}")
    ax.set(yscale="log", xlabel="training step", ylabel="linear regions in the box")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the lines
    return ax


def animate_cells(model_at: Callable[[int], nn.Module], steps: Sequence[int], box, path: str | Path, *,
                  layer: int = -1, X: np.ndarray | None = None, y: np.ndarray | None = None, fps: int = 4) -> Path:
    """GIF/MP4 of one layer's cells (default: the last) with the decision boundary over training snapshots."""
    fig, ax = plt.subplots(figsize=(5, 5))

    def draw(step: int) -> None:
        ax.clear()
        layers = linear_regions(model_at(step), box)
        final = layers[layer]
        plot_cells(final, ax=ax, X=X, y=y, boundary=decision_segments(layers[-1]),
                   title=f"step {step}, layer {final.layer}: {len(final)} cells")

    return save_animation(fig, draw, steps, path, fps=fps)
