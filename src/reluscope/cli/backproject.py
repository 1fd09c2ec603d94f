"""``reluscope backproject``: every layer of a trained run carried back into the input plane (Task 2)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import click
import torch

from reluscope.cli.app import app
from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS, backprojection_maps, check_view
from reluscope.geometry.equivalence import check_equivalence
from reluscope.plots.backprojection import animate_backprojection, backprojection_frames, save_layer_figures
from reluscope.outputs import atomic_dir, prepare_out_dir, write_json
from reluscope.train.rundir import load_run


@app.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--layers", default="all", show_default=True,
              help="Comma-separated layer numbers, 1 = first linear layer, -1 = last; or 'all'.")
@click.option("--view", default="input", show_default=True,
              help=f"{', '.join(VIEWS)}. embedded: R^width, shown by PCA; nonzero: its input coordinates, "
                   "which equal the input view (docs/theory.md §2.4).")
@click.option("--animate", is_flag=True, help="Also write backprojection.gif over the run's snapshots.")
@click.option("--mp4", is_flag=True, help="Animate as MP4 instead of GIF (implies --animate; needs ffmpeg or imageio-ffmpeg).")
@click.option("--grid", type=int, default=60, show_default=True, help="Grid points per side of the box.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: RUN_DIR/backproject-VIEW).")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
def backproject(run_dir, layers, view, animate, mp4, grid, out, force) -> None:
    """Back-project each layer's activations into the input plane and draw the folded grid."""
    check_view(view)
    if grid < 2:
        raise ReluscopeError(f"--grid must be at least 2, got {grid}")
    if mp4 and shutil.which("ffmpeg") is None and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise ReluscopeError("--mp4 needs an ffmpeg on PATH or the imageio-ffmpeg package")
    animate = animate or mp4
    run = load_run(run_dir)
    idx = parse_layers(layers)
    if animate and not run.snapshots:
        raise ReluscopeError(f"{run_dir} has no snapshots to animate (train with --snapshots K)")
    out = prepare_out_dir(out or Path(run_dir) / f"backproject-{view}", force=force)
    X, y = run.data.X, run.data.y
    frames = backprojection_frames(run.model, X, y, view=view, layers=idx, grid=grid)
    per_region = view != "embedded" and run.config.activation in ("relu", "leaky_relu", "identity")
    eq = check_equivalence(run.model, X, view=view, layers=idx, per_region=per_region)
    maps, pinvs = backprojection_maps(run.model, view=view, layers=idx)
    with atomic_dir(out) as tmp:
        save_layer_figures(frames, tmp)
        write_json(tmp / "summary.json", summary(view, eq, frames, maps, pinvs))
        if animate:
            models = {step: run.model_at(step) for step in run.snapshots}
            animate_backprojection(models, X, y, tmp / f"backprojection.{'mp4' if mp4 else 'gif'}",
                                   view=view, layers=idx, grid=min(grid, 40))
    worst = max(e.act_from_bp for e in eq)
    where = "per activation region" if per_region else "globally"
    click.echo(f"{len(frames)} layers, {view} view: worst affine-equivalence residual {worst:.1e} "
               f"({where}, on the data) -> {out}")


def parse_layers(text: str) -> list[int] | None:
    """'all' -> None; '1,3,-1' -> [0, 2, -1] (1-based on the command line, 0-based in the library)."""
    if text.strip() == "all":
        return None
    try:
        numbers = [int(t) for t in text.split(",")]
    except ValueError:
        raise ReluscopeError(f"--layers must be comma-separated integers or 'all', got {text!r}") from None
    if 0 in numbers:
        raise ReluscopeError("--layers counts from 1 (first linear layer) or from -1 (last)")
    return [n - 1 if n > 0 else n for n in numbers]


def summary(view: str, eq, frames, maps, pinvs) -> dict:
    """summary.json: per layer its W's rank and condition number, the condition number of the composed map
    Φ_l (the check's round-off grows like it · 1e-16), the PCA variance shares (embedded) and the
    affine-equivalence residuals on the data (per activation region in the input views)."""
    rows = []
    for e in eq:
        f, p = frames[e.layer], pinvs[e.layer]
        rows.append({"layer": e.layer + 1, "module": e.name, "title": f.title, "rank": p.rank, "cond": p.cond,
                     "map_cond": float(torch.linalg.cond(maps[e.layer].A)),
                     "explained_variance_ratio": None if f.explained is None else f.explained.tolist(),
                     "act_from_backprojection_residual": e.act_from_bp,
                     "backprojection_from_act_residual": e.bp_from_act, "regions": e.n_regions})
    return {"view": view, "layers": rows}
