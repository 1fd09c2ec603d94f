"""What a training run will cost, estimated from its config before anything is built.

For an MLP on ``n`` inputs with ``depth`` linear layers of ``width`` units and ``k`` logits the parameter count is

    P = (n + 1)·w + (depth − 2)·(w + 1)·w + (w + 1)·k        (depth ≥ 2; (n + 1)·k for depth 1)

A run keeps about ``4 + S`` copies of the parameters (weights, gradients, two optimizer buffers, ``S`` snapshots)
and, per step, about four ``(batch, width)`` float32 arrays per layer for autograd; the data and the full-batch
evaluations add ``N·width`` floats for ``N`` points. With per-layer widths, ``w`` is the widest: an upper bound.
Work: a step costs ``6·P`` floating-point operations per point of the batch (forward 2, backward 4) plus
``LAYER_OVERHEAD`` operations' worth of time per layer (the modules' calls); every ``eval_every`` steps two forward
passes over all ``N`` points cost ``2·P·N`` each plus the overhead; building the network costs the overhead once
per layer. A configuration alone is checked as 2-D points, two classes and ``N = n_samples``; once the data are
loaded (``train.loop.fit``; ``train.ensemble.train_ensemble`` for all its members at once) the run is checked again
with their ``n``, ``k`` and ``N`` (the digits: 64 inputs, 10 classes, 1797 points whatever ``n_samples`` says).
"""

from __future__ import annotations

from reluscope.errors import ReluscopeError
from reluscope.limits import MAX_FLOPS, check_memory, check_work

FLOAT = 4  # bytes per float32
LABEL_BYTES = 16  # a point's label in the data set's copies
LAYER_OVERHEAD = 1e7  # operations' worth of time per layer and step: ~1 ms measured (depth 200, width 1)
MEMBER_OVERHEAD = 5e7  # operations' worth of time per run of an ensemble: ~6 ms measured (2000 tiny runs)
MAX_DEPTH = 10_000  # linear layers: building one takes ~0.3 ms, a step through it ~1 ms (measured)


def check_run_budget(cfg, n_classes: int = 2, n_features: int = 2, n_points: int | None = None, *,
                     members: int = 1) -> None:
    """Raise ``ReluscopeError`` if the run ``cfg`` (a validated ``TrainConfig``) on ``n_points`` points
    (None: ``cfg.n_samples``) of ``n_features`` inputs and ``n_classes`` classes — or ``members`` such runs trained
    together as one ensemble, on one copy of the data — has more than ``MAX_DEPTH`` layers, cannot fit in memory or
    would take more than ``MAX_FLOPS``."""
    w, depth, n = cfg.width, cfg.depth, _points(cfg, n_points)
    if depth > MAX_DEPTH:
        raise ReluscopeError(f"depth {depth} is more than the limit of {MAX_DEPTH} linear layers")
    batch = _batch(cfg, n)
    memory = FLOAT * (parameters(cfg, n_classes, n_features) * (4 + cfg.n_snapshots) + 4 * batch * depth * w
                      + 2 * n * w)
    runs = f"{members} runs of " if members > 1 else ""
    check_memory(members * memory + _data_bytes(n_features) * n,
                 f"{runs}a {depth}-layer MLP of width {w} on {n} points")
    check_work(run_work(cfg, n_classes, members, n_features=n_features, n_points=n), MAX_FLOPS,
               f"{runs}{cfg.steps} steps of a {depth}-layer MLP of width {w} on {n} points")


def parameters(cfg, n_classes: int = 2, n_features: int = 2) -> int:
    """``P``, the MLP's parameter count (above)."""
    w, first = cfg.width, n_features + 1
    return first * n_classes if cfg.depth == 1 else first * w + (cfg.depth - 2) * (w + 1) * w + (w + 1) * n_classes


def run_work(cfg, n_classes: int = 2, members: int = 1, *, n_features: int = 2, n_points: int | None = None) -> float:
    """The estimated floating-point operations (and their equivalent in overhead) of the run ``cfg``, or of
    ``members`` such runs trained together as one ensemble (which pays the per-layer overhead once and
    ``MEMBER_OVERHEAD`` per run)."""
    params, depth, n = parameters(cfg, n_classes, n_features), cfg.depth, _points(cfg, n_points)
    batch = _batch(cfg, n)
    evaluations = 2 * (cfg.steps // cfg.eval_every + 1)
    flops = cfg.steps * 6 * params * batch + evaluations * 2 * params * n
    return members * (flops + MEMBER_OVERHEAD) + (cfg.steps + evaluations + 1) * LAYER_OVERHEAD * depth


def _points(cfg, n_points: int | None) -> int:
    return cfg.n_samples if n_points is None else n_points


def _data_bytes(n_features: int) -> int:
    """Bytes per point of the data set: three float64 copies of each input (generated, standardised, split) and
    its label's (64 for a 2-D point)."""
    return 3 * 8 * n_features + LABEL_BYTES


def _batch(cfg, n: int) -> int:
    """Points per step: the mini-batch, or all ``n`` points for full batch."""
    return n if cfg.batch_size is None else min(cfg.batch_size, n)
