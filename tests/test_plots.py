"""Shared plots: decision regions are the model's own predictions; animations leave no global state behind; the class
colours are colour-blind safe and the same in the playground."""

import re
from importlib.resources import files

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgb
from PIL import Image

from reluscope.errors import ReluscopeError
from reluscope.geometry.box import data_box
from reluscope.geometry.patterns import grid_regions
from reluscope.model import build_mlp, init_model_, predict
from reluscope.plots import animation
from reluscope.plots.animation import save_animation
from reluscope.plots.backprojection import Frame, plot_backprojection
from reluscope.plots.boundary import DecisionBoundaryDisplay, grid_over
from reluscope.plots.regions import key_colors, plot_grid_cells
from reluscope.plots.style import CLASS_COLORS, HIGHLIGHT_COLORS, SERIES_COLORS, class_cmap, series_style


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_decision_regions_are_the_models_predictions(dtype):
    model = init_model_(build_mlp(2, 16, 3, 3), "he", generator=torch.Generator().manual_seed(0)).to(dtype)
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = np.arange(50) % 3
    display = DecisionBoundaryDisplay.from_model(model, X, y, grid=40)
    xx, yy, pts = grid_over(X, 40)
    np.testing.assert_array_equal(display.predicted, predict(model, pts).numpy().reshape(40, 40))
    np.testing.assert_array_equal(display.xx, xx)
    np.testing.assert_array_equal(display.yy, yy)
    assert display.xx.min() == X[:, 0].min() - 0.5 and display.yy.max() == X[:, 1].max() + 0.5  # the data's box
    assert display.n_classes == 3 and set(np.unique(display.predicted)) <= {0, 1, 2}


def test_the_boundary_grid_spans_the_data_box_and_refuses_its_margins():
    """``grid_over`` is ``data_box``'s box with corners: the cells and the boundary share one box and one check."""
    X = np.random.default_rng(2).standard_normal((30, 2))
    xx, yy, _ = grid_over(X, 7, margin=0.25)
    assert (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]) == data_box(X, 0.25)
    for margin in (-0.1, np.inf, np.nan):
        with pytest.raises(ReluscopeError, match="margin must be 0 or more and finite"):
            grid_over(X, 7, margin=margin)


def test_a_display_draws_on_the_given_axes_a_band_per_class():
    model = init_model_(build_mlp(2, 8, 2, 4), "he", generator=torch.Generator().manual_seed(1))
    X = np.random.default_rng(1).standard_normal((30, 2))
    display = DecisionBoundaryDisplay.from_model(model, X, np.arange(30) % 2, grid=20)
    assert display.n_classes == 4  # the model's outputs, though the data has two classes
    fig, ax = plt.subplots()
    assert display.plot(ax=ax, title="t") is ax and ax.get_title() == "t"
    assert list(ax.collections[0].levels) == [-0.5, 0.5, 1.5, 2.5, 3.5]
    plt.close(fig)


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
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and set(drawn) == {0, 10, 20}
    assert not plt.fignum_exists(fig.number)


def test_mp4_through_imageio_ffmpeg_leaves_rcparams_alone(tmp_path, monkeypatch):
    pytest.importorskip("imageio_ffmpeg", reason="the 'video' extra (imageio-ffmpeg) is not installed")
    monkeypatch.setattr(animation.shutil, "which", lambda name: None)  # as on a machine without ffmpeg
    before = plt.rcParams["animation.ffmpeg_path"]
    fig, draw, _ = _figure()
    path = save_animation(fig, draw, [0, 1], tmp_path / "a.mp4")
    assert path.stat().st_size > 0
    assert plt.rcParams["animation.ffmpeg_path"] == before


# --- colours ---------------------------------------------------------------------------------------------

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Machado, Oliveira & Fernandes (2009): full protanopia, deuteranopia, tritanopia, applied in linear RGB
CVD = {"protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                      [-0.003882, -0.048116, 1.051998]],
       "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]],
       "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                      [0.004733, 0.691367, 0.303900]]}


def _linear(hex_color: str) -> np.ndarray:
    c = np.array(to_rgb(hex_color))  # (3,) sRGB
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear RGB colour (3,)."""
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = to_xyz @ np.clip(linear_rgb, 0, 1)  # (3,)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_class_colours_are_okabe_ito_in_the_library_and_the_playground():
    assert CLASS_COLORS == OKABE_ITO
    assert [to_hex(c).upper() for c in class_cmap(3).colors] == OKABE_ITO[:3]
    draw_js = (files("reluscope.serve") / "static" / "draw.js").read_text()
    js = re.search(r"export const CLASS_COLORS = \[([^\]]*)\]", draw_js).group(1)
    assert [c.strip().strip('"').upper() for c in js.split(",")] == OKABE_ITO


@pytest.mark.parametrize("deficiency", CVD)
def test_the_first_classes_stay_apart_for_colour_blind_readers(deficiency):
    """CIE76 ΔE ≥ 15 between any two of the first four class colours as a dichromat sees them (the former
    tab10 classes 1–3, red and green, are 7 apart for deuteranopia)."""
    seen = [_lab(np.array(CVD[deficiency]) @ _linear(c)) for c in CLASS_COLORS[:4]]
    assert min(np.linalg.norm(a - b) for i, a in enumerate(seen) for b in seen[:i]) >= 15


def test_two_classes_differ_in_greyscale_and_series_in_colour_and_marker():
    lightness = [_lab(_linear(c))[0] for c in CLASS_COLORS[:2]]
    assert abs(lightness[0] - lightness[1]) >= 20
    styles = [series_style(i) for i in range(len(SERIES_COLORS))]
    assert len({s["color"] for s in styles}) == len({s["marker"] for s in styles}) == len(SERIES_COLORS)
    assert series_style(len(SERIES_COLORS)) == series_style(0)


def test_backprojection_draws_the_middle_grid_lines_thick_on_request():
    g = np.stack(np.meshgrid(np.linspace(0, 1, 9), np.linspace(0, 2, 9)), axis=-1)  # (9, 9, 2), [i, :] constant x₂
    frame = Frame(g, np.zeros((9, 9), int), g[::3, 0], np.arange(3) % 2, 2, "t", "x", "y", None)
    fig, (on, off) = plt.subplots(1, 2)
    plot_backprojection(frame, ax=on)
    plot_backprojection(frame, ax=off, highlight=False)
    thick = [c for c in on.collections if isinstance(c, LineCollection) and c.get_linewidths()[0] > 1]
    assert len(thick) == 1 and not [c for c in off.collections if c.get_linewidths()[0] > 1]
    first, second = thick[0].get_segments()
    np.testing.assert_array_equal(first, g[4])  # the middle line of constant x₂
    np.testing.assert_array_equal(second, g[:, 4])  # the middle line of constant x₁
    assert [to_hex(c).upper() for c in thick[0].get_colors()] == [c.upper() for c in HIGHLIGHT_COLORS]
    assert set(HIGHLIGHT_COLORS).isdisjoint(CLASS_COLORS[:3])
    plt.close(fig)


def test_grid_cells_draw_their_pattern_colours_as_the_float_image_of_them_would():
    """The cell image is drawn from bytes (twice as fast): the pixels matplotlib draws from the float colours."""
    model = init_model_(build_mlp(2, 16, 3, 2), "he", generator=torch.Generator().manual_seed(2))
    grid = grid_regions(model, (-2.0, 2.0, -2.0, 2.0), 60)
    uniq, inverse = np.unique(grid.keys[1], return_inverse=True)  # layer 2
    pixels = []
    for drawn_from in ("bytes", "floats"):
        fig, ax = plt.subplots(figsize=(4, 4))
        if drawn_from == "bytes":
            plot_grid_cells(grid, 2, ax=ax, title="")
        else:
            ax.imshow(key_colors(uniq)[inverse.reshape(60, 60)], origin="lower", extent=grid.box,
                      interpolation="nearest")
            ax.set(xlim=grid.box[:2], ylim=grid.box[2:], xticks=[], yticks=[])
            ax.set_title("", fontsize=9)
        fig.canvas.draw()
        pixels.append(np.asarray(fig.canvas.buffer_rgba()).copy())
        plt.close(fig)
    assert len(uniq) > 10
    np.testing.assert_array_equal(pixels[0], pixels[1])
