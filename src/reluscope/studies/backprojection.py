"""Every layer of one trained run carried back into the input plane, written to a directory (Task 2).

Layout (``reluscope backproject``)::

    OUT/layerNN.png            layer NN's back-projected grid and data, coloured by the network's class
    OUT/layers.png             all chosen layers as panels
    OUT/summary.json           per layer: rank and condition numbers, PCA shares, equivalence residuals
    OUT/backprojection.gif     the panels over the run's snapshots (``animate``; ``.mp4`` with ``mp4``)

For inputs that are images (``images_to_dir``, ``reluscope backproject --images``)::

    OUT/images.png             a few inputs, each layer's x̂_l (input view) as an image beside them, the residuals
    OUT/images.json            per input and layer: ‖x − x̂_l‖/‖x‖ and the share of layer l's units active
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import backproject, backprojection_maps, check_view, forward64
from reluscope.geometry.equivalence import check_equivalence
from reluscope.geometry.patterns import check_grid, is_piecewise_linear
from reluscope.geometry.plane import typical_indices
from reluscope.limits import MAX_COND, MAX_WARP_GRID
from reluscope.outputs import atomic_dir, prepare_out_dir, write_json
from reluscope.plots.backprojection import animate_backprojection, backprojection_frames, save_layer_figures
from reluscope.plots.images import image_shape, plot_layer_images
from reluscope.plots.style import save
from reluscope.train.rundir import Run

ANIMATION_GRID = 40  # at most this many grid points per side in an animation frame


@dataclass
class BackprojectionResult:
    """What ``backproject_to_dir`` wrote: the rows of ``summary.json`` and how its residuals were taken."""

    out: Path
    view: str
    per_region: bool  # residuals per activation region of the data (input views of piecewise-linear nets)
    layers: list[dict]  # summary.json's rows, one per chosen layer (``layer`` counts from 1)

    @property
    def worst_residual(self) -> float:
        """The largest relative residual of the activations fitted from the back-projection, over layers."""
        return max(row["act_from_backprojection_residual"] for row in self.layers)

    @property
    def unchecked(self) -> list[int]:
        """Layers (from 1) where no data point entered the fits: every activation region held too few."""
        return [row["layer"] for row in self.layers if row["points"] == 0]


def backproject_to_dir(run: Run, out: str | Path | None = None, *, layers: Sequence[int] | None = None,
                       view: str = "input", animate: bool = False, mp4: bool = False, grid: int = 60,
                       max_cond: float = MAX_COND, force: bool = False) -> BackprojectionResult:
    """Back-project the chosen ``layers`` (0-based, negative from the end; None: all) of ``run`` in ``view``
    and write their figures, ``summary.json`` and, with ``animate`` or ``mp4``, an animation over the run's
    snapshots into ``out`` (default ``RUN/backproject-VIEW``) atomically.

    ``grid`` points per side of the data's box are carried back (at most ``ANIMATION_GRID`` in an animation);
    for inputs of more than two dimensions, of the plane through three typical data points. A layer's ``W`` is
    inverted up to the condition number ``max_cond`` (``geometry.backproject.pinv``).
    The affine-equivalence residuals (docs/theory.md §2.4) are taken per activation region of the data in the
    input views of a piecewise-linear network, globally otherwise.

    Raises
    ------
    ReluscopeError
        For an unknown view, a grid outside ``2 … MAX_WARP_GRID``, ``mp4`` without an ffmpeg, ``animate`` on a
        run without snapshots, a layer out of range, or an ``out`` that may not be written (non-empty without
        ``force``).
    """
    check_view(view)
    check_grid(grid, MAX_WARP_GRID)
    if mp4 and shutil.which("ffmpeg") is None and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise ReluscopeError("--mp4 needs an ffmpeg on PATH or the imageio-ffmpeg package")
    animate = animate or mp4
    if animate and not run.snapshots:
        raise ReluscopeError(f"{run.path} has no snapshots to animate (train with --snapshots K)")
    out = prepare_out_dir(run.path / f"backproject-{view}" if out is None else out, force=force)
    X, y = run.data.X, run.data.y
    frames = backprojection_frames(run.model, X, y, view=view, layers=layers, grid=grid, max_cond=max_cond)
    per_region = view != "embedded" and is_piecewise_linear(run.model)
    eq = check_equivalence(run.model, X, view=view, layers=layers, per_region=per_region, max_cond=max_cond)
    maps, pinvs = backprojection_maps(run.model, view=view, layers=layers, max_cond=max_cond)
    rows = _summary_rows(eq, frames, maps, pinvs)
    with atomic_dir(out) as tmp:
        save_layer_figures(frames, tmp)
        write_json(tmp / "summary.json", {"view": view, "layers": rows})
        if animate:
            models = {step: run.model_at(step) for step in run.snapshots}
            animate_backprojection(models, X, y, tmp / f"backprojection.{'mp4' if mp4 else 'gif'}",
                                   view=view, layers=layers, grid=min(grid, ANIMATION_GRID), max_cond=max_cond)
    return BackprojectionResult(out, view, per_region, rows)


def _summary_rows(eq, frames, maps, pinvs) -> list[dict]:
    """summary.json's rows: per layer its W's rank and condition number, the condition number of the composed
    map Φ_l (the check's round-off grows like it · 1e-16), the PCA variance shares (embedded) and the
    affine-equivalence residuals on the data (per activation region in the input views)."""
    rows = []
    for e in eq:
        f, p = frames[e.layer], pinvs[e.layer]
        rows.append({"layer": e.layer + 1, "module": e.name, "title": f.title, "rank": p.rank, "cond": p.cond,
                     "map_cond": maps[e.layer].cond,
                     "explained_variance_ratio": None if f.explained is None else f.explained.tolist(),
                     "act_from_backprojection_residual": e.act_from_bp,
                     "backprojection_from_act_residual": e.bp_from_act, "regions": e.n_regions,
                     "points": e.n_points})
    return rows


IMAGES = 6  # inputs drawn by default: typical images of the first six classes


@dataclass
class ImagesResult:
    """What ``images_to_dir`` drew: the inputs (data indices) and per input and layer its residual."""

    out: Path
    indices: list[int]
    rows: list[dict]  # images.json's rows: index, class, layer (from 1), residual, active


def images_to_dir(run: Run, out: str | Path | None = None, *, indices: Sequence[int] | None = None,
                  layers: Sequence[int] | None = None, max_cond: float = MAX_COND,
                  force: bool = False) -> ImagesResult:
    """Each chosen layer's input-view back-projection ``x̂_l = Φ_l(h_l)`` of a few inputs, drawn as images
    beside them with the residuals ``x − x̂_l`` (``images.png``, ``images.json``), in ``out`` (default
    ``RUN/backproject-images``) atomically. ``indices`` into ``run.data.X`` (train then test; default: typical
    images of the first ``IMAGES`` classes); ``layers`` 0-based (None: all); ``max_cond`` as in
    ``backproject_to_dir``.

    Raises
    ------
    ReluscopeError
        If the inputs are not square images, an index is out of range, a layer has no usable W⁺, or ``out``
        may not be written.
    """
    X, y = run.data.X, run.data.y
    image_shape(X.shape[1])
    idx = typical_indices(X, y, IMAGES) if indices is None else [int(i) for i in indices]
    if not idx or not all(-len(X) <= i < len(X) for i in idx):
        raise ReluscopeError(f"--inputs: data indices must lie in -{len(X)} … {len(X) - 1}, got {idx}")
    idx = [i % len(X) for i in idx]
    bp = backproject(run.model, X[idx], view="input", layers=layers, max_cond=max_cond)
    active = {lay.index: (z > 0).double().mean(dim=1).numpy()  # (k,) share of units on
              for lay, z, _ in forward64(run.model, X[idx])}
    rows = [{"index": i, "class": int(y[i]), "layer": layer + 1,
             "residual": float(np.linalg.norm(X[i] - bp.points[layer][r]) / np.linalg.norm(X[i])),
             "active": float(active[layer][r])}
            for r, i in enumerate(idx) for layer in bp.layers]
    out = prepare_out_dir(run.path / "backproject-images" if out is None else out, force=force)
    with atomic_dir(out) as tmp:
        save(plot_layer_images(X[idx], bp.points, run.data.scaler, active=active, labels=y[idx], indices=idx),
             tmp / "images.png")
        write_json(tmp / "images.json", {"view": "input", "inputs": rows})
    return ImagesResult(out, idx, rows)
