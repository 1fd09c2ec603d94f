"""A live frame's compute: what the playground calculates for one frame, against one training step, in one run.

    .venv/bin/python benchmarks/frame.py [--repeat 20] [--steps 300]

For the 6×16 and the 11×32 He nets on 1000 spiral points after ``--steps`` training steps (as a frame meets
them while the net trains), and for the He-initialised 11×32 (the frame a user meets first), one torch thread:
the CPU milliseconds of each part of a frame (median of ``--repeat`` calls) — the boundary, the per-layer
statistics, the chosen layer's back-projection (embedded + PCA), the cells of that layer as a resting frame shows
them (exact polygons; the grid image once the walk passes ``panels.exact_limit``: 3000 for the 11×32's
layer 5) — their sum, and that sum over one full-batch training step of the same net (the anchor: compare ratios,
not milliseconds, between runs); the cells drawn afresh each time (``panels.DRAWN_CELLS`` forgotten), and the frame
again for the same weights (a resting run's next frame, a changed projection: the cells remembered). Where the
cells are the grid image, their time split into the walk until it passes the limit the page is told and the grid
image alone, and the frame while training, whose cells are the grid image once the chosen layer had more than
``session.LIVE_EXACT`` exact cells (the count rule only: the page also sends the grid image where the exact cells
took more than ``session.LIVE_CPU``).
Then the rest of what the page is sent: the scores, and the slow panels' theory and residuals of every layer.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch

from reluscope.geometry.regions import TooManyRegions, linear_regions
from reluscope.serve.messages import View
from reluscope.serve.panels import DRAWN_CELLS, backprojection, boundary, cells, layer_stats, residuals, scores, theory
from reluscope.serve.scene import Scene
from reluscope.serve.session import LIVE_EXACT
from reluscope.serve.settings import Settings
from reluscope.train.loop import train_model


def cpu_ms(fn, repeat: int) -> float:
    """This thread's CPU milliseconds per call of ``fn``: the median of ``repeat`` calls after one warm-up call
    (on shared cores a few calls slowed by the neighbours' cache traffic move a mean, not the median)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return statistics.median(times) * 1e3


def afresh(panel, *args, **kwargs):
    """``panel(*args, **kwargs)`` drawn anew: the remembered cells forgotten first."""
    DRAWN_CELLS.clear()
    return panel(*args, **kwargs)


def stops(head, box, most: int) -> None:
    """The walk of ``cells`` on a head with more than ``most`` cells: it stops there."""
    try:
        linear_regions(head, box, most=most)
    except TooManyRegions:
        return
    raise SystemExit(f"the walk did not stop at {most} cells")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--steps", type=int, default=300, help="training steps before the frame is timed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for depth, width, trained in ((6, 16, True), (11, 32, True), (11, 32, False)):
        s = Settings(dataset="spirals", n_samples=1000, depth=depth, width=width, init="he", steps=args.steps)
        data = s.load_data(None)
        model, gen = s.build_model(data)
        cfg = s.train_config(data.name)
        train_model(copy.deepcopy(model), data, s.train_config(data.name, steps=5))  # warm-up: imports, first calls
        fitted = copy.deepcopy(model)
        t = time.thread_time()
        train_model(fitted, data, cfg, generator=gen)
        step = (time.thread_time() - t) / args.steps * 1e3
        model = fitted if trained else model
        scene, layer = Scene.build(s, data, model), depth // 2
        view = View(layer=layer, projection="embedded")
        parts = {
            "boundary": lambda: boundary(scene, model),
            "layer statistics": lambda: layer_stats(scene, model),
            f"back-projection of layer {layer}": lambda: backprojection(scene, model, layer, view.projection),
            f"cells of layer {layer} (at rest)": lambda: afresh(cells, scene, model, layer, exact=True),
        }
        rest = {  # the other panels: the scores of every frame, the slow panels' theory and residuals
            "scores": lambda: scores(scene, model),
            "theory": lambda: theory(scene, model, 1e-3),
            "residuals of every layer": lambda: residuals(scene, model, view.projection),
        }
        times = {name: cpu_ms(fn, args.repeat) for name, fn in parts.items()}
        others = {name: cpu_ms(fn, args.repeat) for name, fn in rest.items()}
        shown = cells(scene, model, layer, exact=True)
        how = "exact" if shown["exact"] else "grid only"
        when = f"after {args.steps} steps" if trained else "initialised"
        print(f"He {depth}×{width} {when} ({shown['count']} cells in layer {layer}, {how}; "
              f"load average {os.getloadavg()[0]:.1f}):")
        for name, ms in times.items():
            print(f"  {name:<40} {ms:7.2f} ms")
        total = sum(times.values())
        print(f"  {'frame':<40} {total:7.2f} ms;  one training step {step:.2f} ms;  frame / step: {total / step:.1f}")
        again = total - times[f"cells of layer {layer} (at rest)"] + cpu_ms(
            lambda: cells(scene, model, layer, exact=True), args.repeat)
        print(f"  {'the same weights again (cells remembered)':<40} {again:7.2f} ms;  frame / step: {again / step:.1f}")
        if not (shown["exact"] and shown["count"] <= LIVE_EXACT):  # while training: the grid image
            grid = cpu_ms(lambda: afresh(cells, scene, model, layer, exact=False), args.repeat)
            if not shown["exact"]:
                most = shown["note"]["values"]["most"]  # the limit the walk passed, as the page is told
                walk = cpu_ms(lambda: stops(scene.on_plane(model)[: 2 * layer], scene.box, most), args.repeat)
                print(f"    of its cells: the walk until it passes {most} {walk:.2f} ms, the grid image "
                      f"{grid:.2f} ms")
            live = total - times[f"cells of layer {layer} (at rest)"] + grid
            print(f"  {'frame while training (the grid image)':<40} {live:7.2f} ms;  frame / step: {live / step:.1f}")
        for name, ms in others.items():
            print(f"  {name:<40} {ms:7.2f} ms")


if __name__ == "__main__":
    main()
