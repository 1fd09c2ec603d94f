"""Does the depth-11 story hold for every seed? He against N(0, 1) at the training defaults, seed by seed.

Each run is ``reluscope train --dataset D --depth 11 --width 32 --init I --seed S`` (the seed draws the data, the
split, the init and the batches). Printed per data set and scheme: how many seeds end ``ok`` with train accuracy
≥ 0.95, and how many collapse, stall or diverge. ``--lr/--warmup/--schedule/--clip-norm`` replace the defaults,
e.g. the old constant rate: ``--lr 0.05 --warmup 0 --schedule constant``; clipped: ``--clip-norm 1``.

    .venv/bin/python benchmarks/depth11_seeds.py [--seeds 20] [--jobs 2] [--datasets spirals,moons,circles]
"""

from __future__ import annotations

import argparse
import collections
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import torch

from reluscope.train import TrainConfig, fit

GOOD = 0.95  # train accuracy that counts as "trained"


def run(cfg: TrainConfig) -> tuple[str, str, int, dict]:
    torch.set_num_threads(1)
    metrics = fit(cfg)[1].metrics
    return cfg.dataset, cfg.init, cfg.seed, metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--datasets", default="spirals,moons,circles")
    ap.add_argument("--inits", default="he,normal")
    ap.add_argument("--steps", type=int, default=None, help="default: TrainConfig's")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--schedule", default=None)
    ap.add_argument("--clip-norm", type=float, default=None, help="clip the gradient's norm (default: none)")
    args = ap.parse_args()
    base = TrainConfig(depth=11, width=32)
    for name, value in (("steps", args.steps), ("lr", args.lr), ("warmup_steps", args.warmup),
                        ("schedule", args.schedule), ("clip_norm", args.clip_norm)):
        if value is not None:
            base = replace(base, **{name: value})
    print(f"depth 11 × width 32, {args.seeds} seeds; SGD lr {base.lr}, momentum {base.momentum}, warm-up "
          f"{base.warmup_steps} steps, schedule {base.schedule}, clip {base.clip_norm}, {base.steps} steps")
    configs = [replace(base, dataset=d, init=i, seed=s) for d in args.datasets.split(",")
               for i in args.inits.split(",") for s in range(args.seeds)]
    t = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, configs))
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    failures = collections.defaultdict(list)
    for dataset, init, seed, m in results:
        trained = m["status"] == "ok" and m["train_accuracy"] >= GOOD
        counts[dataset, init]["trained" if trained else m["status"]] += 1
        if not trained:
            failures[dataset, init].append(f"{seed}:{m['status']}({m['train_accuracy']:.2f})")
    print(f"\n{'data set':<13}{'init':<8}{'trained':>8}{'ok<.95':>8}{'collapsed':>10}{'stalled':>8}{'diverged':>9}"
          "   seeds that did not train")
    for (dataset, init), c in counts.items():
        print(f"{dataset:<13}{init:<8}{c['trained']:>5}/{args.seeds:<2}{c['ok']:>8}{c['collapsed']:>10}"
              f"{c['stalled']:>8}{c['diverged']:>9}   {' '.join(failures[dataset, init][:8])}")
    print(f"\n{len(configs)} runs in {time.perf_counter() - t:.0f} s with {args.jobs} processes")


if __name__ == "__main__":
    main()
