"""What a training run will cost, estimated from its config before anything is built.

For an MLP on 2D points with ``depth`` linear layers of ``width`` units and ``k`` logits the parameter count is

    P = (2 + 1)·w + (depth − 2)·(w + 1)·w + (w + 1)·k        (depth ≥ 2; 3k for depth 1)

A run keeps about ``4 + S`` copies of the parameters (weights, gradients, two optimizer buffers, ``S``
snapshots) and, per step, about four ``(batch, width)`` float32 arrays per layer for autograd; the data and
the full-batch evaluations add ``n·width`` floats. Work: a step costs ``6·P`` floating-point operations per
point of the batch (forward 2, backward 4) plus a per-layer overhead of ``LAYER_OVERHEAD`` operations'
worth of time (a Python call per module), and every ``eval_every`` steps two passes over all ``n`` points.
"""

from __future__ import annotations

from reluscope.limits import MAX_FLOPS, check_memory, check_work

FLOAT = 4  # bytes per float32
LAYER_OVERHEAD = 1e5  # operations' worth of time per layer and step (a module call takes ~10 µs)


def check_run_budget(cfg, n_classes: int = 2) -> None:
    """Raise ``ReluscopeError`` if the run ``cfg`` (a validated ``TrainConfig``) cannot fit in memory or
    would take more than ``MAX_FLOPS``; ``n_samples`` stands for the number of points."""
    w, depth, n = cfg.width, cfg.depth, cfg.n_samples
    params = 3 * n_classes if depth == 1 else 3 * w + (depth - 2) * (w + 1) * w + (w + 1) * n_classes
    batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
    memory = FLOAT * (params * (4 + cfg.n_snapshots) + 4 * batch * depth * w + 2 * n * w) + 8 * 8 * n
    check_memory(memory, f"a {depth}-layer MLP of width {w} on {n} points")
    step = 6 * params * batch + LAYER_OVERHEAD * depth
    evaluation = 2 * 2 * params * n * (cfg.steps // cfg.eval_every + 1)
    check_work(cfg.steps * step + evaluation, MAX_FLOPS, f"{cfg.steps} steps of a {depth}-layer MLP of width {w}")
