"""Do the training defaults serve every built-in 2-D data set? Test accuracy at depth 3, seed by seed.

Each run is ``reluscope train --dataset D --seed S`` with ``TrainConfig``'s defaults (depth 3, width 32), or
with the settings given as ``--set name=value`` (e.g. ``--set steps=3000 --set width=64``). Printed per data
set: the mean, the lowest and the highest test accuracy over the seeds, and how many seeds reach ≥ 0.90.

    .venv/bin/python benchmarks/defaults.py [--seeds 10] [--jobs 1] [--set steps=3000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace

import torch

from reluscope.data import DATASETS
from reluscope.train import TrainConfig, fit

GOAL = 0.90  # test accuracy every data set should reach at the defaults


def run(cfg: TrainConfig) -> tuple[str, float, str]:
    torch.set_num_threads(1)
    metrics = fit(cfg)[1].metrics
    return cfg.dataset, metrics["test_accuracy"], metrics["status"]


def overrides(pairs: list[str]) -> dict:
    """``["steps=5000", "schedule=cosine"]`` → ``{"steps": 5000, "schedule": "cosine"}`` (numbers as JSON)."""
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in {f.name for f in fields(TrainConfig)}:
            raise SystemExit(f"TrainConfig has no setting {name!r}")
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    base = replace(TrainConfig(), **overrides(args.set))
    print(f"depth {base.depth} × width {base.width}, {args.seeds} seeds; {base.optimizer} lr {base.lr}, "
          f"warm-up {base.warmup_steps}, schedule {base.schedule}, {base.steps} steps")
    configs = [replace(base, dataset=d, seed=s) for d in args.datasets.split(",") for s in range(args.seeds)]
    t = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, configs))
    print(f"\n{'data set':<14}{'mean':>7}{'min':>7}{'max':>7}{'≥ ' + format(GOAL, '.2f'):>8}  not ok")
    for dataset in args.datasets.split(","):
        acc = [a for d, a, _ in results if d == dataset]
        bad = [f"{s}:{st}" for s, (d, _, st) in enumerate(r for r in results if r[0] == dataset) if st != "ok"]
        print(f"{dataset:<14}{statistics.mean(acc):>7.3f}{min(acc):>7.3f}{max(acc):>7.3f}"
              f"{sum(a >= GOAL for a in acc):>5}/{len(acc):<3} {' '.join(bad)}")
    print(f"\n{len(configs)} runs in {time.perf_counter() - t:.0f} s with {args.jobs} processes")


if __name__ == "__main__":
    main()
