"""``reluscope regions``: the decision cells of every layer of a trained run, exact or on a grid."""

from __future__ import annotations

import time
from pathlib import Path

import click

from reluscope.cli.app import app
from reluscope.cli.progress import progress_bar
from reluscope.errors import ReluscopeError
from reluscope.geometry.patterns import check_box, data_box, grid_regions
from reluscope.geometry.region_stats import as_rows, counts_over_training, layer_stats
from reluscope.geometry.regions import linear_regions
from reluscope.plots.regions import (animate_cells, plot_counts_over_training, plot_decision_cells,
                                     plot_grid_panels, plot_layer_panels, plot_region_counts)
from reluscope.plots.style import save
from reluscope.outputs import atomic_dir, prepare_out_dir, write_csv
from reluscope.train.rundir import load_run


@app.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--exact", "exact", is_flag=True, help="Exact polygons (the default).")
@click.option("--grid", type=int, default=None, help="Approximate by the patterns of an N×N grid instead.")
@click.option("--box", type=float, nargs=4, default=None, metavar="X0 X1 Y0 Y1",
              help="Region of the (standardised) input plane [default: the data's box + --margin].")
@click.option("--margin", type=float, default=0.5, show_default=True, help="Margin around the data's box.")
@click.option("--colors", type=click.Choice(["hash", "random"]), default="hash", show_default=True,
              help="Cell colours: by activation pattern (stable over layers and steps) or random.")
@click.option("--animate", is_flag=True,
              help="Also write cells.gif: the last layer's exact cells over the snapshots.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: RUN_DIR/regions].")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
def regions(run_dir, exact, grid, box, margin, colors, animate, out, force) -> None:
    """Count and draw the linear regions (decision cells) of every layer of a trained run."""
    if exact and grid is not None:
        raise ReluscopeError("choose --exact or --grid N, not both")
    if grid is not None and grid < 2:
        raise ReluscopeError(f"--grid must be at least 2, got {grid}")
    run = load_run(run_dir)
    box = data_box(run.data.X, margin) if box is None else check_box(box)
    out = prepare_out_dir(run.path / "regions" if out is None else out, force=force)
    steps = sorted(run.snapshots)
    if animate and not steps:
        raise ReluscopeError(f"{run_dir} has no snapshots to animate (train with --snapshots K)")
    X, y = run.data.X, run.data.y
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        if grid is None:
            layers = linear_regions(run.model, box)
            seconds = time.perf_counter() - start
            write_csv(tmp / "region_counts.csv", as_rows(layer_stats(layers)))
            save(plot_layer_panels(layers, X=X, y=y, colors=colors), tmp / "cells.png")
            save(plot_decision_cells(layers[-1], X=X, y=y, colors=colors).figure, tmp / "decision_cells.png")
            counts = [len(r) for r in layers]
        else:
            cells = grid_regions(run.model, box, grid)
            seconds = time.perf_counter() - start
            counts = cells.counts
            write_csv(tmp / "region_counts.csv", [{"layer": i + 1, "count": c} for i, c in enumerate(counts)])
            save(plot_grid_panels(cells, colors=colors), tmp / "cells.png")
        save(plot_region_counts(counts).figure, tmp / "region_counts.png")
        if steps:
            with progress_bar(len(steps), "regions over training") as advance:
                over = counts_over_training(run.model_at, steps, box, grid=grid, progress=advance)  # (S, L)
            write_csv(tmp / "counts_over_training.csv",
                      [{"step": s, **{f"layer_{i + 1}": int(c) for i, c in enumerate(row)}}
                       for s, row in zip(steps, over)])
            save(plot_counts_over_training(steps, over).figure, tmp / "counts_over_training.png")
        if animate:
            animate_cells(run.model_at, steps, box, tmp / "cells.gif", X=X, y=y)
    method = "exact" if grid is None else f"grid {grid}×{grid}"
    click.echo(f"{method}: {counts[-1]} regions after layer {len(counts)} (per layer: "
               f"{' '.join(map(str, counts))}) in {seconds:.2f} s -> {out}")
