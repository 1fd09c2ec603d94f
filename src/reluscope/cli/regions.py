"""``reluscope regions``: the decision cells of every layer of a trained run, exact or on a grid, in the input
plane or on the plane through three data points (``--through``)."""

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
@click.option("--margin", type=FLOAT, default=0.5, show_default=True, 
              help="Margin around the data's box, ≥ 0, in standardised data units (the data have std 1).")
@click.option("--through", default=None, metavar="I,J,K|auto",
              help="Cut the exact cells on the plane through data points I, J, K (train then test; 'auto': "
                   "typical points of three classes) [default for inputs of more than 2 dimensions: auto].")
@click.option("--near", type=FLOAT, default=0.05, show_default=True,
              help="With --through: the fraction of the data nearest the plane drawn on it, in (0, 1].")
@click.option("--colors", type=click.Choice(["hash", "random"]), default="hash", show_default=True,
              help="Cell colours: by activation pattern (stable over layers and steps) or random.")
@click.option("--animate", is_flag=True,
              help="Also write cells.gif: the last layer's exact cells over the snapshots.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory [default: RUN_DIR/regions].")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
def regions(run_dir, exact, grid, box, margin, through, near, colors, animate, out, force) -> None:
    """Count and draw the linear regions (decision cells) of every layer of a trained run."""
    if exact and grid is not None:
        raise ReluscopeError("choose --exact or --grid N, not both")
    through = None if through is None else parse_through(through)
    if through is not None and (grid is not None or box is not None or animate):
        raise ReluscopeError("--through cuts exact cells in its own box (--margin): no --grid, --box or --animate")
    check_run_dir(run_dir)
    from reluscope.model import linear_layers  # torch, matplotlib: after the path is checked
    from reluscope.plots.animation import check_animation
    from reluscope.studies.regions import regions_to_dir
    from reluscope.train.rundir import load_run

    run = load_run(run_dir)
    if through is not None or run.data.n_features != 2:
        slice_cells(run, out, through or "auto", margin, near, colors, force)
        return
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


def slice_cells(run, out, through, margin, near, colors, force) -> None:
    """The cells on the plane through three data points (``slice_to_dir``) and its summary line."""
    from reluscope.studies.regions import slice_to_dir

    with progress_bar(len(run.snapshots), "slice over training") as advance:
        result = slice_to_dir(run, out, through=through, margin=margin, near=near, colors=colors, force=force,
                              progress=advance)
    cut = result.slice
    say(f"slice through {','.join(map(str, cut.indices))} (classes "
        f"{','.join(str(run.data.y[i]) for i in cut.indices)}) in R^{cut.plane.dim}: {cut.counts[-1]} "
        f"cells after layer {len(cut.counts)} (per layer: {' '.join(map(str, cut.counts))}) in "
        f"{result.seconds:.2f} s; {int(cut.near.sum())} points near the plane drawn -> {result.out}")


def parse_through(text: str) -> str | tuple[int, int, int]:
    """``"auto"`` or three comma-separated data indices ``"i,j,k"``; else ``ReluscopeError``."""
    if text.strip() == "auto":
        return "auto"
    try:
        idx = tuple(int(t) for t in text.split(","))
    except ValueError:
        idx = ()
    if len(idx) != 3:
        raise ReluscopeError(f"--through takes three data indices i,j,k or 'auto', got {text!r}")
    return idx
