"""The decision cells of every layer of one trained run, written to a directory (``reluscope regions``).

Layout::

    OUT/region_counts.csv          regions per layer (exact: also their areas, vertices, …)
    OUT/cells.png                  one panel per layer, each cell coloured by its activation pattern
    OUT/decision_cells.png         the last layer's cells with the data (exact only)
    OUT/region_counts.png          regions per layer
    OUT/counts_over_training.csv   regions per layer at every snapshot (when the run kept snapshots)
    OUT/counts_over_training.png
    OUT/cells.gif                  the last layer's exact cells over the snapshots (``animate``)

A slice (``slice_to_dir``, ``reluscope regions --through``; any number of inputs) writes the same counts
and ``cells.png`` on the plane through three data points, with::

    OUT/decision_regions.png       the classes on the plane, the exact decision boundary, the data near it
    OUT/slice.json                 the three points, the plane, counts per layer, the points drawn
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.geometry.box import Box, check_box, data_box
from reluscope.geometry.patterns import check_grid, grid_regions
from reluscope.geometry.plane import NEAR
from reluscope.geometry.region_stats import as_rows, counts_over_training, layer_stats
from reluscope.geometry.regions import RTOL, linear_regions
from reluscope.geometry.slices import Slice, predicted_classes, slice_through
from reluscope.outputs import atomic_dir, prepare_out_dir, write_csv, write_json
from reluscope.plots.regions import (animate_cells, plot_counts_over_training, plot_decision_cells,
                                     plot_grid_panels, plot_layer_panels, plot_region_counts)
from reluscope.plots.slices import plot_slice
from reluscope.plots.style import axes, save
from reluscope.progress import Progress, silent
from reluscope.train.rundir import Run

MAX_SPREAD = 1e4  # a box's largest |coordinate| over the finest length it must resolve (see check_box_scale)


@dataclass
class RegionsResult:
    """What ``regions_to_dir`` counted and where it wrote it."""

    out: Path
    grid: int | None  # None: exact polygons; N: the patterns of an N×N grid
    counts: list[int]  # regions after each layer, of the trained network
    seconds: float  # wall time of the count (figures and snapshots not included)
    data_outside: int  # of the run's data points, how many lie outside the box (a --box may miss them)


def regions_to_dir(run: Run, out: str | Path | None = None, *, grid: int | None = None,
                   box: Box | None = None, margin: float = 0.5,
                   colors: str = "hash", animate: bool = False, force: bool = False,
                   progress: Progress = silent) -> RegionsResult:
    """Count and draw the linear regions of every layer of ``run`` in ``box``; write ``out`` atomically.

    ``out`` defaults to ``RUN/regions``; ``box = (x0, x1, y0, y1)`` to the data's box widened by ``margin``.
    ``grid=None`` cuts exact polygons; ``grid=N`` counts the activation patterns at N×N pixel centres (a
    lower bound on the exact count). ``progress(1)`` after each snapshot counted.

    Raises
    ------
    ReluscopeError
        For a grid outside ``2 … MAX_GRID``, an empty box or one too large to resolve (``check_box_scale``),
        ``animate`` on a run without snapshots, or an
        ``out`` that may not be written (non-empty without ``force``).
    """
    if run.data.n_features != 2:
        raise ReluscopeError(f"{run.path}: the input has {run.data.n_features} dimensions; cut a slice through "
                             "three data points (--through i,j,k or auto)")
    if grid is not None:
        check_grid(grid)
    box = check_box_scale(data_box(run.data.X, margin) if box is None else check_box(box), run.data.X)
    out = prepare_out_dir(run.path / "regions" if out is None else out, force=force)
    steps = sorted(run.snapshots)
    if animate and not steps:
        raise ReluscopeError(f"{run.path} has no snapshots to animate (train with --snapshots K)")
    X, y = run.data.X, run.data.y
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        if grid is None:
            layers = linear_regions(run.model, box)
            seconds = time.perf_counter() - start
            counts = [len(r) for r in layers]
            write_csv(tmp / "region_counts.csv", as_rows(layer_stats(layers)))
            save(plot_layer_panels(layers, X=X, y=y, colors=colors), tmp / "cells.png")
            save(plot_decision_cells(layers[-1], X=X, y=y, colors=colors).figure, tmp / "decision_cells.png")
        else:
            cells = grid_regions(run.model, box, grid)
            seconds = time.perf_counter() - start
            counts = cells.counts
            write_csv(tmp / "region_counts.csv", [{"layer": i + 1, "count": c} for i, c in enumerate(counts)])
            save(plot_grid_panels(cells, colors=colors), tmp / "cells.png")
        save(plot_region_counts(counts).figure, tmp / "region_counts.png")
        if steps:
            over = counts_over_training(run.model_at, steps, box, grid=grid, progress=progress)  # (S, L)
            _write_counts_over_training(tmp, steps, over)
        if animate:
            animate_cells(run.model_at, steps, box, tmp / "cells.gif", X=X, y=y)
    x0, x1, y0, y1 = box
    inside = (X[:, 0] >= x0) & (X[:, 0] <= x1) & (X[:, 1] >= y0) & (X[:, 1] <= y1)  # (n,)
    return RegionsResult(out, grid, counts, seconds, int((~inside).sum()))


def check_box_scale(box: Box, X: np.ndarray) -> Box:
    """``box`` if float64 resolves its cells near the data; else ``ReluscopeError``.

    The cells are cut with the tolerance ``RTOL·r`` (``geometry.regions``; ``r`` the box's largest
    ``|coordinate|``): cells thinner than that merge, and a count comes out too low while looking right (a 3×8
    moons net: 197 regions for margins up to 1e7, 185 at 1e8, 34 at 1e12; a 6×16 spirals net: 4677 up to
    3e5, 4671 at 1e6). The finest length that must hold is ``d``, the smaller side of the box or of the data's
    box ``X`` (n, 2); ``r ≤ MAX_SPREAD·d`` keeps the tolerance below ``RTOL·MAX_SPREAD = 1e-6`` of it.
    """
    x0, x1, y0, y1 = box
    sides = [x1 - x0, y1 - y0, *(np.ptp(X, axis=0) if len(X) else [])]
    detail = min(s for s in sides if s > 0)
    radius = float(np.abs(box).max())
    if not radius <= MAX_SPREAD * detail:
        raise ReluscopeError(f"a box reaching {radius:.3g} from the origin is too large to cut exactly in float64 "
                             f"(cells thinner than {RTOL * radius:.1e} would merge); keep it within {MAX_SPREAD:g} "
                             f"× the smaller side of the box or of the data, here {MAX_SPREAD * detail:.3g}: "
                             "use a smaller --margin or --box")
    return box


@dataclass
class SliceResult:
    """What ``slice_to_dir`` cut and where it wrote it."""

    out: Path
    slice: Slice
    seconds: float  # wall time of the exact cells on the plane (figures not included)


def slice_to_dir(run: Run, out: str | Path | None = None, *, through="auto", margin: float = 0.5,
                 near: float = NEAR, colors: str = "hash", force: bool = False,
                 progress: Progress = silent) -> SliceResult:
    """The exact cells of every layer of ``run`` on the plane through three of its data points (``through``:
    three indices into ``run.data.X``, train then test, or ``"auto"``), written to ``out`` atomically
    (default ``RUN/regions-slice``): counts per layer (and over the snapshots), the cells and the decision
    regions with the ``near`` fraction of the data nearest the plane, ``slice.json``.

    Raises
    ------
    ReluscopeError
        For indices out of range or equal, three points on one line, or an ``out`` that may not be written.
    """
    X, y = run.data.X, run.data.y
    start = time.perf_counter()
    cut = slice_through(run.model, X, y, through, margin=margin, near=near)
    seconds = time.perf_counter() - start
    out = prepare_out_dir(run.path / "regions-slice" if out is None else out, force=force)
    steps = sorted(run.snapshots)
    with atomic_dir(out) as tmp:
        write_csv(tmp / "region_counts.csv", as_rows(layer_stats(cut.layers)))
        save(plot_layer_panels(cut.layers, X=cut.coords[cut.near], y=y[cut.near], colors=colors),
             tmp / "cells.png")
        ax = plot_slice(cut, predicted_classes(run.model, cut.plane), y, ax=axes(figsize=(6, 6)),
                        n_classes=run.data.n_classes)
        save(ax.figure, tmp / "decision_regions.png")
        save(plot_region_counts(cut.counts).figure, tmp / "region_counts.png")
        if steps:
            over = counts_over_training(lambda step: cut.plane.fold(run.model_at(step)), steps, cut.plane.box,
                                        progress=progress)  # (S, L)
            _write_counts_over_training(tmp, steps, over)
        write_json(tmp / "slice.json", slice_summary(cut, y, seconds))
    return SliceResult(out, cut, seconds)


def _write_counts_over_training(tmp: Path, steps: list[int], over: np.ndarray) -> None:
    """``counts_over_training.csv`` (a row per step: ``step, layer_1, …``) and its figure, from ``over`` (S, L)."""
    write_csv(tmp / "counts_over_training.csv",
              [{"step": s, **{f"layer_{i + 1}": int(c) for i, c in enumerate(row)}} for s, row in zip(steps, over)])
    save(plot_counts_over_training(steps, over).figure, tmp / "counts_over_training.png")


def slice_summary(cut: Slice, y, seconds: float) -> dict:
    """``slice.json``: the three points (data index, class), the plane (origin, directions, box), the cells per
    layer, the time, and the points drawn with their plane coordinates and distances."""
    drawn = [int(i) for i in cut.near.nonzero()[0]]
    return {"indices": list(cut.indices), "classes": [int(y[i]) for i in cut.indices],
            "origin": cut.plane.origin.tolist(), "directions": cut.plane.basis.tolist(), "box": list(cut.plane.box),
            "counts": cut.counts, "seconds": seconds,
            "near": [{"index": i, "class": int(y[i]), "s": float(cut.coords[i, 0]), "t": float(cut.coords[i, 1]),
                      "distance": float(cut.distance[i])} for i in drawn]}
