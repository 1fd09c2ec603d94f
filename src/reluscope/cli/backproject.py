"""``reluscope backproject``: every layer of a trained run carried back into the input plane (Task 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import INT, LIMIT
from reluscope.cli.progress import animation_progress
from reluscope.errors import ReluscopeError
from reluscope.geometry.views import VIEWS
from reluscope.limits import MAX_COND, MAX_WARP_GRID
from reluscope.train.runfiles import check_run_dir


@app.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--layers", default="all", show_default=True,
              help="Comma-separated layer numbers, 1 = first linear layer, -1 = last; or 'all'.")
@click.option("--view", default="input", show_default=True,
              help=f"{', '.join(VIEWS)}. embedded: R^width, shown by PCA; nonzero: its input coordinates, "
                   "which equal the input view (docs/theory.md §2.4).")
@click.option("--animate", is_flag=True, help="Also write backprojection.gif over the run's snapshots.")
@click.option("--mp4", is_flag=True,
              help="Animate as MP4 instead of GIF (implies --animate; needs ffmpeg or imageio-ffmpeg).")
@click.option("--grid", type=INT, default=60, show_default=True,
              help=f"Grid points per side of the box (2 … {MAX_WARP_GRID}).")
@click.option("--max-cond", type=LIMIT, default=MAX_COND, show_default=f"{MAX_COND:g}",
              help="The largest condition number of a layer's W to invert (≥ 1, 'inf': no limit); a larger one "
                   "amplifies float64 round-off past 1e-8 and is refused.")
@click.option("--images", is_flag=True,
              help="Inputs that are images (the 8×8 digits): each layer's x̂ (input view) drawn as an image beside "
                   "a few inputs, with the residuals.")
@click.option("--inputs", default=None, metavar="I,J,…",
              help="With --images: the data indices to draw (train then test) [default: typical images of six "
                   "classes].")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: RUN_DIR/backproject-VIEW, RUN_DIR/backproject-images).")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
def backproject(run_dir, layers, view, animate, mp4, grid, max_cond, images, inputs, out, force) -> None:
    """Back-project each layer's activations into the input plane and draw the folded grid."""
    idx = parse_layers(layers)
    if max_cond < 1:
        raise ReluscopeError(f"--max-cond must be 1 or more (inf: no limit), got {max_cond}")
    if inputs is not None and not images:
        raise ReluscopeError("--inputs chooses the images of --images")
    if images and (view != "input" or animate or mp4):
        raise ReluscopeError("--images draws the input view's x̂ as images: no --view, --animate or --mp4")
    chosen = None if inputs is None else parse_indices(inputs)
    check_run_dir(run_dir)
    from reluscope.geometry.backproject import select_layers  # torch, matplotlib: after the checks
    from reluscope.model import linear_layers
    from reluscope.plots.animation import check_animation
    from reluscope.studies.backprojection import backproject_to_dir
    from reluscope.train.rundir import load_run

    run = load_run(run_dir)
    depth = len(linear_layers(run.model))
    check_layer_numbers(idx, depth)
    if images:
        from reluscope.studies.backprojection import images_to_dir

        with option_words():
            drawn = images_to_dir(run, out, indices=chosen, layers=idx, max_cond=max_cond, force=force)
        first = min(r["layer"] for r in drawn.rows)
        worst = max(r["residual"] for r in drawn.rows if r["layer"] == first)
        click.echo(f"{len(drawn.indices)} images × {len(drawn.rows) // len(drawn.indices)} layers, input view: "
                   f"‖x − x̂‖/‖x‖ at layer {first} up to {worst:.2g} -> {drawn.out}")
        return
    if animate or mp4:
        check_animation(len(run.snapshots), len(select_layers(idx, depth)))
    with animation_progress(f"backprojection.{'mp4' if mp4 else 'gif'}"), option_words():
        result = backproject_to_dir(run, out, layers=idx, view=view, animate=animate, mp4=mp4, grid=grid,
                                    max_cond=max_cond, force=force)
    where = "per activation region" if result.per_region else "globally"
    unchecked = (f"; layers {','.join(map(str, result.unchecked))} unchecked (no region holds enough points)"
                 if result.unchecked else "")
    say(f"{len(result.layers)} layers, {view} view: worst affine-equivalence residual "
        f"{result.worst_residual:.1e} ({where}, on the data){unchecked} -> {result.out}")


@contextmanager
def option_words() -> Iterator[None]:
    """A layer's W refused as too ill-conditioned to invert, said with this command's options instead of the
    library's arguments."""
    from reluscope.geometry.backproject import IllConditioned

    try:
        yield
    except IllConditioned as e:
        raise ReluscopeError(f"{e.what} (--max-cond inf inverts it anyway; --layers chooses the layers before "
                             "it)") from None


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


def check_layer_numbers(idx: list[int] | None, depth: int) -> None:
    """Refuse a ``--layers`` number (``parse_layers``'s 0-based ``idx``) beyond a net of ``depth`` linear layers, in the
    option's own counting."""
    for i in idx or []:
        if not -depth <= i < depth:
            raise ReluscopeError(f"--layers: layer {i + 1 if i >= 0 else i} is out of range for {depth} linear layers "
                                 f"(1 … {depth}, or -{depth} … -1)")


def parse_indices(text: str) -> list[int]:
    """'3,17,-1' -> [3, 17, -1]: data indices (train then test, negative from the end)."""
    try:
        return [int(t) for t in text.split(",")]
    except ValueError:
        raise ReluscopeError(f"--inputs must be comma-separated data indices, got {text!r}") from None
