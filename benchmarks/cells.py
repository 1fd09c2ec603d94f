"""Exact decision cells of every layer: reluscope against Regioncam (Rust) on the same nets, in one run.

    .venv/bin/python benchmarks/cells.py [--run RUN_DIR | --train] [--repeat 5] [--quick]

He-initialised nets on the box ±3 (the small partitions a live view meets), nets with N(0, 0.5²) biases,
and with ``--run``/``--train`` the trained 11×32 spirals net (``--train`` trains it first, about 15 s), whole and
its layers 1 … ⌊depth/2⌋ alone (``linear_regions(..., upto=l)`` against Regioncam on that head: the live view's
chosen layer). Each
partition is timed best of ``--repeat`` with one thread, after one warm-up call; the per-layer counts of the
two engines are printed equal or the script fails (``tests/regioncam_oracle.py``; Regioncam comes with the
``test`` extra).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

from reluscope.geometry.box import data_box
from reluscope.geometry.regions import linear_regions
from reluscope.model import build_mlp, init_model_
from reluscope.studies.training import train_to_dir
from reluscope.train import TrainConfig
from reluscope.train.rundir import load_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from regioncam_oracle import regioncam_counts  # noqa: E402 (the tests' oracle)
from timing import best_of  # noqa: E402 (benchmarks/timing.py, beside this script)


def he_net(depth: int, width: int, seed: int = 0, bias_std: float = 0.0) -> nn.Sequential:
    g = torch.Generator().manual_seed(seed)
    net = init_model_(build_mlp(2, width, depth, 2), "he", generator=g)
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.bias.copy_(bias_std * torch.randn(m.out_features, generator=g))
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="a run directory whose final net is timed too")
    parser.add_argument("--train", action="store_true", help="train the 11×32 spirals run first and time it")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="leave out the biased nets of 45 000 cells and more")
    args = parser.parse_args()
    torch.set_num_threads(1)
    box = (-3.0, 3.0, -3.0, 3.0)
    cases = [(f"He {d}×{w}", he_net(d, w), box, None) for d, w in [(3, 16), (6, 16), (11, 32), (6, 64), (4, 128)]]
    cases += [(f"He {d}×{w}, biases N(0, 0.5²)", he_net(d, w, bias_std=0.5), box, None)
              for d, w in ([(6, 16)] if args.quick else [(6, 16), (11, 32), (4, 128)])]
    if args.train:
        args.run = str(Path(tempfile.mkdtemp()) / "run11")
        train_to_dir(TrainConfig(dataset="spirals", depth=11, width=32, steps=3000), args.run)
    if args.run:
        run = load_run(args.run)
        name, upto = f"trained {run.config.depth}×{run.config.width} {run.config.dataset}", run.config.depth // 2
        cases += [(name, run.model, data_box(run.data.X), None),
                  (f"{name}, layers 1…{upto}", run.model, data_box(run.data.X), upto)]

    print(f"{'net':<36} {'cells':>7} {'reluscope':>11} {'Regioncam':>11} {'reluscope / Regioncam':>22}")
    ratios = []
    for name, net, b, upto in cases:
        repeat = args.repeat if name.startswith("He") else max(1, args.repeat // 2)
        head = net if upto is None else net[:2 * upto]  # build_mlp's layout: Linear l at 2(l−1), its activation
        t_ours, layers = best_of(lambda: linear_regions(net, b, upto=upto), repeat, warm_up=True)
        t_rc, counts = best_of(lambda: regioncam_counts(head, b), repeat, warm_up=True)
        ours = [len(r) for r in layers]
        if ours != counts:
            raise SystemExit(f"{name}: counts differ, reluscope {ours} Regioncam {counts}")
        ratios.append(t_ours / t_rc)
        print(f"{name:<36} {ours[-1]:>7} {t_ours * 1e3:>8.2f} ms {t_rc * 1e3:>8.2f} ms {t_ours / t_rc:>22.2f}")
    print(f"reluscope / Regioncam: {min(ratios):.2f} … {max(ratios):.2f} (per-layer counts equal in every net)")


if __name__ == "__main__":
    main()
