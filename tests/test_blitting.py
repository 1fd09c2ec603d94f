"""A viewer's frames drawn by blitting (``render_viewer(…, blit=True)``) have the pixels of a whole draw."""

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from nets import random_net
from reluscope.geometry.patterns import grid_regions
from reluscope.plots.boundary import DecisionBoundaryDisplay
from reluscope.plots.regions import plot_grid_cells
from reluscope.report import figures
from reluscope.report.document import Axis
from reluscope.report.figures import render_viewer


def _pixels(frame: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(frame)) as img:
        return np.asarray(img.convert("RGB"))  # (h, w, 3)


def _both(draw, n_frames: int, **kw) -> tuple[dict, dict]:
    """The frames of one viewer drawn whole and blitted."""
    axes = [Axis("k", "slider", [str(k) for k in range(n_frames)])]
    whole = render_viewer("v", axes, draw, workers=1, **kw).frames
    blitted = render_viewer("v", axes, draw, workers=1, blit=True, **kw).frames
    return whole, blitted


def _assert_same_pixels(whole: dict, blitted: dict) -> None:
    for key in whole:
        a, b = _pixels(whole[key]), _pixels(blitted[key])
        assert a.shape == b.shape and (a == b).all(), f"frame {key}: {(a != b).any(axis=2).sum()} pixels differ"


def test_blitted_cell_frames_are_the_whole_draws():
    """The cells viewer's frames: a pattern image under data points with dark rims, a title that changes."""
    X = np.random.default_rng(0).uniform(-2, 2, (40, 2))
    y = (X[:, 0] > 0).astype(int)
    grids = [grid_regions(random_net(width=6, depth=4, seed=s), (-2, 2, -2, 2), 40) for s in range(2)]

    def draw(axs, key):
        grid, layer = grids[key[0] % 2], 1 + key[0] % 3
        plot_grid_cells(grid, layer, ax=axs[0], X=X, y=y, title=f"frame {key[0]}: {grid.counts[layer - 1]} cells")

    whole, blitted = _both(draw, 6, figsize=(3, 2.5), margins=dict(left=0.05, right=0.95, bottom=0.05, top=0.85))
    _assert_same_pixels(whole, blitted)
    assert len(set(blitted.values())) == 6


def test_blitted_boundary_frames_are_the_whole_draws_and_new_axes_draw_a_new_background():
    """The decision-region viewer's frames: filled regions, their borders, points over ticks and labels that
    stay; frame 2's data set spans another box (other limits and ticks): it draws and keeps a new background."""
    X = np.random.default_rng(1).normal(size=(60, 2))
    y = (X[:, 1] > X[:, 0]).astype(int)
    displays = [DecisionBoundaryDisplay.from_model(random_net(width=5, depth=3, seed=s).float(), X * (1 + (s == 2)),
                                                   y, grid=30) for s in range(4)]

    def draw(axs, key):
        ax = displays[key[0]].plot(ax=axs[0], title=f"step {10 * key[0]}")
        ax.set(xlabel="x₁", ylabel="x₂")

    whole, blitted = _both(draw, 4, figsize=(3, 3), margins=dict(left=0.15, right=0.95, bottom=0.15, top=0.9),
                           lang="de")
    _assert_same_pixels(whole, blitted)
    assert len(set(blitted.values())) == 4


def test_only_what_changes_is_drawn_over_the_kept_background(monkeypatch):
    """After the first frame the figure is not drawn again while the axes stay: only the frame's own artists."""
    drawn = []
    monkeypatch.setattr(figures.FigureCanvasAgg, "draw", lambda self: drawn.append(1) or self.get_renderer())
    axes = [Axis("k", "slider", [str(k) for k in range(5)])]

    def draw(axs, key):
        axs[0].plot([0, 1], [key[0] / 5, 1 - key[0] / 5])
        axs[0].set(xlim=(0, 1), ylim=(0, 1), title=str(key[0]))

    render_viewer("v", axes, draw, figsize=(2, 2), workers=1, blit=True)
    assert len(drawn) == 1


@pytest.mark.parametrize("extra", ["suptitle", "grid", "inward ticks"])
def test_frames_a_kept_background_would_get_wrong_are_drawn_whole(extra):
    """A figure's own title changing per frame would stay as the background shows it; grid lines and inward ticks
    lie over the artists in a whole draw, under them in a blitted one: such frames are drawn whole."""
    def draw(axs, key):
        ax = axs[0]
        ax.imshow(np.arange(16.0).reshape(4, 4) * (1 + key[0]), extent=(0, 1, 0, 1))
        ax.set(xlim=(0, 1), ylim=(0, 1))
        if extra == "suptitle":
            ax.figure.suptitle(f"frame {key[0]}")
        elif extra == "grid":
            ax.grid(True, color="k", linewidth=2)
        else:
            ax.tick_params(direction="in", length=8, width=2)

    whole, blitted = _both(draw, 3, figsize=(2, 2))
    _assert_same_pixels(whole, blitted)
