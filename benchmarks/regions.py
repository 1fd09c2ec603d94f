"""Decision cells: exact regions of every layer of a trained 11×32 spirals net, timed against the grid.

    .venv/bin/python benchmarks/regions.py [RUN_DIR] [--init-figure init_counts.png]

Without RUN_DIR it first trains the run (``reluscope train --depth 11 --snapshots 500``) into a temporary directory.

Prints the per-layer counts and areas, the time of the exact partition (all layers at once), of the grid
approximation at 512² and 1024² pixels, of rendering one (layer, snapshot) panel, and the region counts at
initialisation vs number of neurons (Hanin & Rolnick) for several depths and widths.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from reluscope.geometry.box import data_box
from reluscope.geometry.patterns import grid_regions
from reluscope.geometry.region_stats import InitCount, counts_at_init, layer_stats
from reluscope.geometry.regions import decision_segments, linear_regions
from reluscope.plots.regions import plot_cells
from reluscope.plots.style import axes, plt, save, series_style
from reluscope.train import TrainConfig
from reluscope.studies.training import train_to_dir
from reluscope.train.rundir import load_run
from timing import best_of  # benchmarks/timing.py, beside this script


def plot_counts_at_init(rows: Sequence[InitCount], *, ax: Axes | None = None) -> Axes:
    """Region count at init vs number of neurons N (log–log), one marker series per depth, with a ∝ N² guide.
    Returns the Axes."""
    ax = axes(ax, figsize=(5, 4))
    for i, depth in enumerate(sorted({r.depth for r in rows})):
        sel = sorted((r for r in rows if r.depth == depth), key=lambda r: r.neurons)
        ax.errorbar([r.neurons for r in sel], [r.count_mean for r in sel], yerr=[r.count_std for r in sel],
                    capsize=2, label=f"depth {depth}", **series_style(i))
    n = np.array(sorted({r.neurons for r in rows}), dtype=float)
    ref = max(rows, key=lambda r: r.neurons)
    ax.plot(n, ref.count_mean * (n / ref.neurons) ** 2, "k--", lw=0.8, label="∝ N²")
    ax.set(xscale="log", yscale="log", xlabel="hidden neurons N", ylabel="regions at init")
    ax.legend(fontsize=8)
    return ax


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", help="a run directory (default: train the 11×32 spirals run)")
    parser.add_argument("--init-figure", default=None, help="write the counts-at-init figure here")
    args = parser.parse_args()
    if args.run_dir is None:
        args.run_dir = Path(tempfile.mkdtemp()) / "run11"
        train_to_dir(TrainConfig(dataset="spirals", depth=11, snapshot_every=500), args.run_dir)
    run = load_run(args.run_dir)
    box = data_box(run.data.X)
    print(f"run {args.run_dir}: depth {run.config.depth}, width {run.config.width}, "
          f"test accuracy {run.metrics['test_accuracy']:.3f}, box {tuple(round(v, 2) for v in box)}")

    t_exact, layers = best_of(lambda: linear_regions(run.model, box))
    t_segments, segments = best_of(lambda: decision_segments(layers[-1]))
    grids = {n: best_of(lambda n=n: grid_regions(run.model, box, n), repeat=1) for n in (512, 1024)}
    print(f"\n{'layer':>5} {'exact':>8} {'grid 512²':>10} {'grid 1024²':>11} {'mean area':>10} "
          f"{'median area':>12}")
    for s, c512, c1024 in zip(layer_stats(layers), grids[512][1].counts, grids[1024][1].counts):
        print(f"{s.layer:>5} {s.count:>8} {c512:>10} {c1024:>11} {s.mean_area:>10.2e} {s.median_area:>12.2e}")
    print(f"\nexact, all {len(layers)} layers: {t_exact:.2f} s (best of 3)")
    print(f"decision boundary: {len(segments)} segments in {t_segments * 1e3:.0f} ms")
    for n, (t, _) in grids.items():
        print(f"grid {n}²: {t:.2f} s  (exact / grid = {t_exact / t:.2f})")

    for i in (0, len(layers) // 2, len(layers) - 1):
        def render(regions=layers[i]):
            ax = plot_cells(regions, X=run.data.X, y=run.data.y, boundary=segments)
            ax.figure.canvas.draw()
            plt.close(ax.figure)
        t, _ = best_of(render, repeat=2)
        print(f"render one panel, layer {layers[i].layer} ({len(layers[i])} cells): {t:.2f} s")

    print("\nregions at init (He weights, biases N(0, 0.1²), box [-3, 3]², mean of 3 seeds)")
    t = time.perf_counter()
    rows = counts_at_init([2, 3, 5, 9], [8, 16, 32], seeds=3)
    print(f"{'depth':>5} {'width':>5} {'N':>4} {'regions':>9} {'/N':>6} {'/N²':>6}")
    for r in rows:
        print(f"{r.depth:>5} {r.width:>5} {r.neurons:>4} {r.count_mean:>9.0f} {r.count_mean / r.neurons:>6.1f} "
              f"{r.count_mean / r.neurons ** 2:>6.2f}")
    ratio = np.array([r.count_mean / r.neurons ** 2 for r in rows])
    print(f"regions / N²: {ratio.min():.2f} … {ratio.max():.2f} over 12 architectures "
          f"({time.perf_counter() - t:.1f} s)")
    if args.init_figure:
        save(plot_counts_at_init(rows).figure, args.init_figure)
        print(f"-> {args.init_figure}")


if __name__ == "__main__":
    main()
