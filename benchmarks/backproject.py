"""Back-projection cost against one forward pass, measured in the same run.

A 512×512 grid through an 11-layer, width-32 He-initialised ReLU net; all 11 layers back-projected with
the composed affine maps (one float64 forward pass + one small product per layer). Goals: ``input`` view
≤ 2× one (float32) forward pass of the model, ``embedded`` + PCA ≤ 3×. Each candidate is timed back to
back with the baseline and the median of the per-round ratios is reported, so a shared, busy machine
slows both alike. ``backproject`` runs over chunks of ``CHUNK`` points (cache-resident activations); the
second ratio is against the float32 forward pass chunked the same way, the like-for-like comparison. Also
shown: the per-layer chain that re-walks ``(h − b) W⁺`` down to the input for every layer (what composing
the maps avoids), and drawing the report viewer's per-(snapshot, layer) PNG frames.

    .venv/bin/python benchmarks/backproject.py [--grid 512] [--repeat 5] [--threads T]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from reluscope.data import load_dataset
from reluscope.geometry.backproject import CHUNK, backproject, forward64
from reluscope.model import build_mlp, init_model_
from reluscope.plots.backprojection import backprojection_frames, plot_backprojection
from reluscope.report.figures import layers_axis, render_viewer, steps_axis


def paired(fn, base, repeat: int) -> tuple[float, float]:
    """Median wall time of ``fn`` and median of ``time(fn) / time(base)``, the two timed back to back in
    each of ``repeat`` rounds (after one warm-up of each), so a busy machine slows both alike."""
    fn(), base()
    times, ratios = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        base()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        times.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    return float(np.median(times)), float(np.median(ratios))


def chain(model, X) -> None:
    """The naive way: for every layer, walk (h − b) W⁺ back to the input one layer at a time."""
    pinvs = [(lin.bias.double(), torch.linalg.pinv(lin.weight.double().T)) for lin in model if
             isinstance(lin, torch.nn.Linear)]
    for lay, _, h in forward64(model, X):
        for b, P in reversed(pinvs[: lay.index + 1]):
            h = (h - b) @ P


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_mlp(2, 32, 11, 2)
    init_model_(model, "he", generator=torch.Generator().manual_seed(0))
    model.eval().requires_grad_(False)
    s = np.linspace(-3, 3, args.grid)
    grid64 = torch.as_tensor(np.stack(np.meshgrid(s, s), -1).reshape(-1, 2))  # (g², 2) float64
    grid32 = grid64.float()
    spirals = load_dataset("spirals", 1000)
    data = torch.as_tensor(spirals.X)  # (1000, 2), fits the PCA

    fwd32 = lambda: model(grid32)  # noqa: E731  the baseline: the model's own forward pass
    fwd32c = lambda: [model(grid32[i:i + CHUNK]) for i in range(0, len(grid32), CHUNK)]  # noqa: E731
    rows = [
        ("float64 forward pass (one pass)", lambda: list(forward64(model, grid64)), None),
        ("input view, 11 layers", lambda: backproject(model, grid64, view="input"), 2.0),
        ("embedded + PCA(2) fitted on the data",
         lambda: backproject(model, grid64, view="embedded", pca=2, pca_fit=data), 3.0),
        ("embedded + PCA(2) fitted on the grid", lambda: backproject(model, grid64, view="embedded", pca=2), 3.0),
        ("layer-by-layer chain (no composition)", lambda: chain(model, grid64), None),
    ]
    t32, _ = paired(fwd32, fwd32, args.repeat)
    t32c, _ = paired(fwd32c, fwd32c, args.repeat)
    print(f"{args.grid}×{args.grid} grid = {grid64.shape[0]} points, 11 × 32 ReLU net, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"baselines (float32): model(grid) {t32 * 1e3:.1f} ms; the same in chunks of {CHUNK} "
          f"{t32c * 1e3:.1f} ms (medians of {args.repeat})")
    print(f"{'':40s} {'ms':>8s} {'÷ fwd32':>8s} {'÷ chunked':>9s}  goal (÷ fwd32)")
    for name, fn, goal in rows:
        t, ratio = paired(fn, fwd32, args.repeat)
        _, ratio_c = paired(fn, fwd32c, args.repeat)
        verdict = "" if goal is None else f"≤{goal:g}×: {'met' if ratio <= goal else 'MISSED'}"
        print(f"{name:40s} {t * 1e3:8.1f} {ratio:8.2f} {ratio_c:9.2f}  {verdict}", flush=True)

    # the report's viewer: frames of 8 snapshots × 11 layers (one view), drawn in this process
    t = time.perf_counter()
    frames = [backprojection_frames(model, spirals.X, spirals.y, view="embedded", grid=40) for _ in range(8)]
    t_geometry = time.perf_counter() - t
    axes = [steps_axis(range(8)), layers_axis(11)]
    t = time.perf_counter()
    viewer = render_viewer("bp", axes, lambda axs, key: plot_backprojection(frames[key[0]][key[1]], ax=axs[0]),
                           figsize=(3.6, 3.6), workers=1)
    t = time.perf_counter() - t
    n = len(viewer.frames)
    print(f"report viewer: {n} frames (8 snapshots × 11 layers, embedded, grid 40): geometry {t_geometry:.1f} s, "
          f"drawing {t:.1f} s = {t / n * 1e3:.0f} ms per frame")


if __name__ == "__main__":
    main()
