"""``reluscope regions``: the decision cells of every layer of a trained run, exact or on a grid."""

from __future__ import annotations

from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import FLOAT, INT
from reluscope.cli.progress import animation_progress, progress_bar
from reluscope.errors import ReluscopeError
from reluscope.limits import MAX_GRID
from reluscope.train.runfiles import check_run_dir


@app.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--exact", "exact", is_flag=True, help="Exact polygons (the default).")
@click.option("--grid", type=INT, default=None,
              help=f"Approximate by the patterns of an N×N grid instead (N ≤ {MAX_GRID}).")
@click.option("--box", type=FLOAT, nargs=4, default=None, metavar="X0 X1 Y0 Y1",
              help="Region of the (standardised) input plane [default: the data's box + --margin].")
@click.option("--margin", type=FLOAT, default=0.5, show_default=True, help="Margin around the data's box.")
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
    check_run_dir(run_dir)
    from reluscope.model import linear_layers  # torch, matplotlib: after the path is checked
    from reluscope.plots.animation import check_animation
    from reluscope.studies.regions import regions_to_dir
    from reluscope.train.rundir import load_run

    run = load_run(run_dir)
    if animate:
        check_animation(len(run.snapshots), len(linear_layers(run.model)))  # every frame cuts every layer
    with progress_bar(len(run.snapshots), "regions over training") as advance, animation_progress("cells.gif"):
        result = regions_to_dir(run, out, grid=grid, box=box, margin=margin, colors=colors, animate=animate,
                                force=force, progress=advance)
    counts = result.counts
    method = "exact" if grid is None else f"grid {grid}×{grid}"
    missed = f"; {result.data_outside} of {len(run.data.X)} data points outside the box" if result.data_outside else ""
    say(f"{method}: {counts[-1]} regions after layer {len(counts)} (per layer: "
        f"{' '.join(map(str, counts))}) in {result.seconds:.2f} s{missed} -> {result.out}")
