"""Exact slices through three digits: reluscope's folded plane against Regioncam's ``through_points``.

    .venv/bin/python benchmarks/slices.py [--nets 3x64,6x64,4x128] [--steps 1000] [--repeat 3]

Each net is trained on the digits (He, the training defaults otherwise) until its train accuracy is 1.00
where the steps allow; then both tools cut the same plane — Regioncam's own, through three digits of
classes 0, 1, 2, in its box — into the cells of every layer. Printed per net: faces (both; they must agree),
the best-of-``repeat`` times, and the ratio reluscope / Regioncam, all measured in one run. Then the same
slice on 784-dimensional inputs (a random He net, as for 28×28 images): after the fold the cutting does not
see n, so only the fold's (2 × n)·(n × d₁) product grows.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import regioncam
import torch

from reluscope.data import load_dataset
from reluscope.geometry.plane import Plane, auto_indices
from reluscope.geometry.regions import linear_regions
from reluscope.model import build_mlp, init_model_
from reluscope.train import TrainConfig, fit
from timing import best_of  # benchmarks/timing.py, beside this script


def regioncam_slice(model, points: np.ndarray):
    cam = regioncam.Regioncam.through_points(points.astype(np.float32))
    cam.add(model)
    return cam


def same_plane(cam) -> Plane:
    """Regioncam's plane and starting square as a reluscope ``Plane``."""
    corners = np.asarray(cam.vertex_inputs[:4], dtype=np.float64)
    box = (corners[:, 0].min(), corners[:, 0].max(), corners[:, 1].min(), corners[:, 1].max())
    return Plane(np.asarray(cam.plane.bias, np.float64), np.asarray(cam.plane.weight, np.float64), box)


def compare(model, points: np.ndarray, repeat: int) -> tuple[int, int, float, float]:
    """Faces of the last layer (reluscope, Regioncam) and the best times (s) of both on one plane."""
    model32 = copy.deepcopy(model).float()
    t_rc, cam = best_of(lambda: regioncam_slice(model32, points), repeat)
    plane = same_plane(cam)
    t_rs, layers = best_of(lambda: linear_regions(model, plane=plane), repeat)
    return len(layers[-1]), cam.num_faces, t_rs, t_rc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default="3x64,6x64,4x128", help="DEPTHxWIDTH, comma-separated")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    data = load_dataset("digits")
    points = data.X[list(auto_indices(data.X, data.y))]  # (3, 64) typical 0, 1, 2
    print(f"{'net':>6} {'train acc':>9} {'faces':>7} {'regioncam':>9} {'reluscope s':>11} {'regioncam s':>11} "
          f"{'ratio':>6}")
    for spec in args.nets.split(","):
        depth, width = (int(v) for v in spec.split("x"))
        _, result = fit(TrainConfig(dataset="digits", depth=depth + 1, width=width, steps=args.steps), data=data)
        faces, rc_faces, t_rs, t_rc = compare(result.model, points, args.repeat)
        print(f"{spec:>6} {result.metrics['train_accuracy']:>9.3f} {faces:>7} {rc_faces:>9} {t_rs:>11.3f} "
              f"{t_rc:>11.3f} {t_rs / t_rc:>6.2f}")
    gen = torch.Generator().manual_seed(0)
    wide = init_model_(build_mlp(784, 64, 4, 10), "he", generator=gen)
    pts = torch.randn(3, 784, generator=gen).numpy()
    faces, rc_faces, t_rs, t_rc = compare(wide, pts, args.repeat)
    plane = Plane(pts[0].astype(np.float64), (pts[1:] - pts[0]).astype(np.float64), (-0.5, 1.5, -0.5, 1.5))
    t_fold, _ = best_of(lambda: plane.fold(wide), args.repeat)
    print(f"\n784-D inputs, He 3x64 at init: {faces} faces (Regioncam {rc_faces}) in {t_rs:.3f} s "
          f"(Regioncam {t_rc:.3f} s, ratio {t_rs / t_rc:.2f}); the fold itself {t_fold * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
