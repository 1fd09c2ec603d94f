"""What a training run will cost, estimated from its config before anything is built.

For an MLP on 2D points with ``depth`` linear layers of ``width`` units and ``k`` logits the parameter count is

    P = (2 + 1)·w + (depth − 2)·(w + 1)·w + (w + 1)·k        (depth ≥ 2; 3k for depth 1)

A run keeps about ``4 + S`` copies of the parameters (weights, gradients, two optimizer buffers, ``S`` snapshots)
and, per step, about four ``(batch, width)`` float32 arrays per layer for autograd; the data and the full-batch
evaluations add ``n·width`` floats. With per-layer widths, ``w`` is the widest: an upper bound. Work: a step costs
``6·P`` floating-point operations per point of the batch (forward 2, backward 4) plus ``LAYER_OVERHEAD`` operations'
worth of time per layer (the modules' calls); every ``eval_every`` steps two forward passes over all ``n`` points
cost ``2·P·n`` each plus the overhead; building the network costs the overhead once per layer.
"""

from __future__ import annotations

from reluscope.errors import ReluscopeError
from reluscope.limits import MAX_FLOPS, check_memory, check_work

FLOAT = 4  # bytes per float32
DATA_BYTES_PER_POINT = 64  # the data set's float64 copies of a point (generated, standardised, split) and its label
LAYER_OVERHEAD = 1e7  # operations' worth of time per layer and step: ~1 ms measured (depth 200, width 1)
MEMBER_OVERHEAD = 5e7  # operations' worth of time per run of an ensemble: ~6 ms measured (2000 tiny runs)
MAX_DEPTH = 10_000  # linear layers: building one takes ~0.3 ms, a step through it ~1 ms (measured)


def check_run_budget(cfg, n_classes: int = 2) -> None:
    """Raise ``ReluscopeError`` if the run ``cfg`` (a validated ``TrainConfig``) has more than ``MAX_DEPTH``
    layers, cannot fit in memory or would take more than ``MAX_FLOPS``; ``n_samples`` stands for the number
    of points."""
    w, depth, n = cfg.width, cfg.depth, cfg.n_samples
    if depth > MAX_DEPTH:
        raise ReluscopeError(f"depth {depth} is more than the limit of {MAX_DEPTH} linear layers")
    batch = _batch(cfg)
    memory = FLOAT * (parameters(cfg, n_classes) * (4 + cfg.n_snapshots) + 4 * batch * depth * w + 2 * n * w)
    check_memory(memory + DATA_BYTES_PER_POINT * n, f"a {depth}-layer MLP of width {w} on {n} points")
    check_work(run_work(cfg, n_classes), MAX_FLOPS, f"{cfg.steps} steps of a {depth}-layer MLP of width {w} on "
               f"{n} points")


def parameters(cfg, n_classes: int = 2) -> int:
    """``P``, the MLP's parameter count (above)."""
    w = cfg.width
    return 3 * n_classes if cfg.depth == 1 else 3 * w + (cfg.depth - 2) * (w + 1) * w + (w + 1) * n_classes


def run_work(cfg, n_classes: int = 2, members: int = 1) -> float:
    """The estimated floating-point operations (and their equivalent in overhead) of the run ``cfg``, or of
    ``members`` such runs trained together as one ensemble (which pays the per-layer overhead once and
    ``MEMBER_OVERHEAD`` per run)."""
    params, depth, n = parameters(cfg, n_classes), cfg.depth, cfg.n_samples
    batch = _batch(cfg)
    evaluations = 2 * (cfg.steps // cfg.eval_every + 1)
    flops = cfg.steps * 6 * params * batch + evaluations * 2 * params * n
    return members * (flops + MEMBER_OVERHEAD) + (cfg.steps + evaluations + 1) * LAYER_OVERHEAD * depth


def _batch(cfg) -> int:
    """Points per step: the mini-batch, or all ``n_samples`` for full batch."""
    return cfg.n_samples if cfg.batch_size is None else min(cfg.batch_size, cfg.n_samples)
