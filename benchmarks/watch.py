"""``rs.watch``'s overhead on the user's own loop: ms per step of a plain PyTorch loop, bare and watched.

An 11-layer, width-32 ReLU net (He) on 1000 spiral points, full batch, SGD with momentum 0.9 — the textbook loop
(forward, loss, zero_grad, backward, step). Watched with ``every=10`` and ``every=1``: the hook copies the
weights, a worker thread draws and encodes every frame and geometry message as the widget sends them (outside
a kernel the comm drops them; only the socket's write is missing). Bare and watched runs alternate, ``--repeat``
times each; the medians and the ratios are printed, with the frames drawn per second of training. Torch runs on
``--threads`` threads (default 1: on two cores the loop keeps one, the watch's worker uses the other).

    .venv/bin/python benchmarks/watch.py [--steps 300] [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics

import torch
from train_step import plain_loop  # the same textbook loop, timed the same way

import reluscope as rs

DEPTH, WIDTH, N = 11, 32, 1000


def run(every: int | None, X, y, steps: int) -> tuple[float, int]:
    """(seconds per step, frames sent) bare (``every`` None) or watched."""
    model = rs.init_model_(rs.build_mlp(2, WIDTH, DEPTH, 2), "he", generator=torch.Generator().manual_seed(0))
    if every is None:
        return plain_loop(model, X, y, steps), 0
    w = rs.watch(model, X, y, every=every, show=False)
    frames = []
    emit = w._watcher.emit
    w._watcher.emit = lambda kind, fields: (frames.append(kind), emit(kind, fields))
    with w:
        per_step = plain_loop(model, X, y, steps)
    return per_step, frames.count("frame")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the loop (and of the worker)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = rs.load_dataset("spirals", N, random_state=0)
    X, y = torch.as_tensor(data.X, dtype=torch.float32), torch.as_tensor(data.y)
    runs = {None: [], 10: [], 1: []}
    frames = {10: [], 1: []}
    run(1, X, y, 5)  # warm up: imports, the first drawing
    for _ in range(args.repeat):
        for every in runs:
            seconds, n = run(every, X, y, args.steps)
            runs[every].append(seconds)
            if every:
                frames[every].append(n / (seconds * args.steps))
    bare = statistics.median(runs[None])
    print(f"plain loop: {bare * 1e3:.2f} ms/step ({DEPTH}×{WIDTH} ReLU, {N} points, full batch, "
          f"{torch.get_num_threads()} torch threads)")
    for every in (10, 1):
        t = statistics.median(runs[every])
        print(f"watched, every={every}: {t * 1e3:.2f} ms/step, overhead {t / bare - 1:+.0%} of the bare step "
              f"({statistics.median(frames[every]):.1f} frames/s drawn)")


if __name__ == "__main__":
    main()
