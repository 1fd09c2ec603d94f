"""A sweep in this process against the same sweep on a local Ray cluster; the driver's and the store's rates.

Three measurements, in one run:

* backends — the same grid (default 6 depths × 8 σ_w² × 4 seeds = 192 runs, 500 points, 600 steps) trained
  by ``run_sweep`` in this process (torch on ``--workers`` threads; after a warm-up sweep of one run) and as Ray tasks
  of ``--chunk`` runs on a local cluster of ``--workers`` CPUs (one thread per task). The cluster is started first and
  timed apart; the Ray time includes its workers' start (they import torch), the overhead is Ray against in-process.
* driver — rows per second the driver takes in: tasks that train nothing and return ``--chunk`` rows each,
  through ``ray_map`` into a ``RunStore`` (one transaction per task), and the store alone.
* store — ``--rows`` rows (default 10⁵) inserted ``--chunk`` at a time; a resume (open, ``done()``); an export.

Run::

    .venv/bin/python benchmarks/sweep_backends.py [--workers 2] [--chunk 16] [--steps 600] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import ray
import torch

from reluscope.studies.raymap import RayOptions, ray_map, start_local
from reluscope.studies.store import RunStore
from reluscope.studies.sweep import SweepConfig, run_sweep


def fake_rows(task: tuple[int, int]) -> list[dict]:
    """``n`` rows of task ``t`` as a finished task returns them (no training): the driver's side alone."""
    t, n = task
    return [dict(dataset="moons", depth=2 + t, sigma_w2=1.0 + i / n, sigma_b2=0.0, seed=i, status="ok",
                 train_accuracy=0.9, test_accuracy=0.88, chance_accuracy=0.5, final_loss=0.3, steps_run=600,
                 diverged_at_step=None, q_in=1.0, q_init=2.0, error=None) for i in range(n)]


def backends(cfg: SweepConfig, workers: int, chunk: int, out: Path) -> None:
    torch.set_num_threads(workers)
    runs = len(cfg.runs())
    run_sweep(replace(cfg, depths=[2], sigma_w2=[1.0], seeds=1, base=replace(cfg.base, steps=1)), out / "warm-up")
    start = time.perf_counter()
    local = run_sweep(cfg, out / "local")
    here = time.perf_counter() - start
    start = time.perf_counter()
    start_local(workers)
    booted = time.perf_counter() - start
    start = time.perf_counter()
    remote = run_sweep(cfg, out / "ray", chunk=chunk, ray=RayOptions())
    on_ray = time.perf_counter() - start
    for result in (local, remote):
        if result.trained != runs:
            raise SystemExit(f"{result.failed} runs failed: {next(r['error'] for r in result.rows if r['error'])}")
    tasks = -(-cfg.seeds * len(cfg.sigma_w2) * len(cfg.sigma_b2) // chunk) * len(cfg.depths) * len(cfg.datasets)
    print(f"grid: {runs} runs (depths {cfg.depths}, {len(cfg.sigma_w2)} σ_w², {cfg.seeds} seeds), "
          f"{cfg.base.n_samples} points, {cfg.base.steps} steps, width {cfg.base.width}")
    print(f"in-process, torch on {workers} threads, one ensemble per depth: {here:7.1f} s "
          f"({1e3 * here / runs:.0f} ms per run)")
    print(f"Ray local cluster start ({workers} CPUs):                    {booted:7.1f} s")
    print(f"Ray, {workers} workers, {tasks} tasks of ≤ {chunk} runs:              {on_ray:7.1f} s "
          f"({1e3 * on_ray / runs:.0f} ms per run; {1e3 * on_ray * workers / tasks:.0f} ms of a CPU per task)")
    print(f"overhead of Ray against in-process: {100 * (on_ray / here - 1):+.0f} % "
          f"({100 * ((on_ray + booted) / here - 1):+.0f} % with the cluster's start)")


def driver(chunk: int, tasks: int, out: Path) -> None:
    start = time.perf_counter()
    with RunStore(out / "driver.sqlite") as store:
        for _, rows in ray_map(fake_rows, [(t, chunk) for t in range(tasks)], RayOptions(num_cpus=0.25)):
            store.add(rows)
        assert len(store) == tasks * chunk
    rate = tasks * chunk / (time.perf_counter() - start)
    batches = [fake_rows((t, chunk)) for t in range(tasks)]
    start = time.perf_counter()
    with RunStore(out / "alone.sqlite") as store:
        for rows in batches:
            store.add(rows)
    alone = tasks * chunk / (time.perf_counter() - start)
    print(f"driver: {tasks} Ray tasks of {chunk} rows into the store: {rate:9.0f} rows/s "
          f"({tasks / (tasks * chunk / rate):.0f} tasks/s); the store alone: {alone:9.0f} rows/s")


def store(rows: int, chunk: int, out: Path) -> None:
    batches = [fake_rows((t, chunk)) for t in range(-(-rows // chunk))]
    start = time.perf_counter()
    with RunStore(out / "runs.sqlite") as s:
        for batch in batches:
            s.add(batch)
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    with RunStore(out / "runs.sqlite") as s:
        done = s.done()
    resumed = time.perf_counter() - start
    start = time.perf_counter()
    with RunStore(out / "runs.sqlite") as s:
        s.export_csv(out / "runs.csv")
    exported = time.perf_counter() - start
    print(f"store: {len(done)} rows inserted {chunk} per transaction in {inserted:.2f} s "
          f"({len(done) / inserted:.0f} rows/s); resume (open, done()) {resumed:.3f} s; export to CSV "
          f"{exported:.2f} s ({(out / 'runs.sqlite').stat().st_size / 2**20:.1f} MiB)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--depths", default="2,5,10,20,30,40")
    p.add_argument("--sigma-w2", default="0.5,1,1.5,2,2.5,3,3.5,4")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--n-samples", type=int, default=500)
    p.add_argument("--workers", type=int, default=2, help="Ray CPUs and in-process torch threads")
    p.add_argument("--chunk", type=int, default=16, help="runs per Ray task (and rows per store transaction)")
    p.add_argument("--tasks", type=int, default=2000, help="tasks of the driver measurement")
    p.add_argument("--rows", type=int, default=100_000, help="rows of the store measurement")
    args = p.parse_args()
    cfg = SweepConfig(depths=[int(d) for d in args.depths.split(",")],
                      sigma_w2=[float(w) for w in args.sigma_w2.split(",")], seeds=args.seeds,
                      base=replace(SweepConfig().base, steps=args.steps, n_samples=args.n_samples))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, torch {torch.__version__}, "
          f"ray {ray.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        backends(cfg, args.workers, args.chunk, out)
        driver(args.chunk, args.tasks, out)
        ray.shutdown()
        store(args.rows, args.chunk, out)


if __name__ == "__main__":
    main()
