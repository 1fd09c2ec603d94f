"""Statistics of the decision cells: counts and areas per layer, over training, and at initialisation.

Hanin & Rolnick (NeurIPS 2019, "Deep ReLU networks have surprisingly few activation patterns") prove that
at initialisation the expected number of regions meeting a cube of the input space, **per unit volume**, is
at most ``(C·N)^{n_in}/n_in!`` (``N`` = number of neurons, ``n_in`` = input dimension, ``C`` from the
weights' gradient and bias distributions), whatever the depth — far below the maxima that grow exponentially
with depth. (Their ICML 2019 paper, "Complexity of linear regions in deep networks", bounds the volume of
the regions' boundaries per unit volume by a constant times ``N``.) In the input plane ``n_in = 2``.
``counts_at_init`` measures the exact count in a fixed box for several depths and widths, averaged over
seeds, next to ``N`` and ``N²``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.box import check_box
from reluscope.geometry.patterns import grid_regions
from reluscope.geometry.regions import LayerRegions, linear_regions
from reluscope.model import build_mlp, init_model_
from reluscope.model.layers import linear_layers
from reluscope.progress import Progress, silent


@dataclass
class LayerStats:
    """Count and size of the regions after one layer."""

    layer: int  # 1-based linear layer
    count: int  # number of regions (activation patterns) in the box
    mean_area: float  # box area / count
    median_area: float  # median region area (regions are many and small where the data is)


def layer_stats(layers: Sequence[LayerRegions]) -> list[LayerStats]:
    """Count, mean and median area of the regions of every layer."""
    out = []
    for regions in layers:
        areas = regions.areas()  # (R,)
        out.append(LayerStats(regions.layer, len(regions), float(areas.mean()), float(np.median(areas))))
    return out


def region_counts(model: nn.Module, box, *, grid: int | None = None) -> list[int]:
    """Number of regions after each layer: exact, or the grid approximation with ``grid × grid`` pixels."""
    if grid is None:
        return [len(r) for r in linear_regions(model, box)]
    return grid_regions(model, box, grid).counts


def counts_over_training(model_at: Callable[[int], nn.Module], steps: Sequence[int], box, *,
                         grid: int | None = None, progress: Progress = silent) -> np.ndarray:
    """Region counts (S, L) of the snapshot models ``model_at(step)`` for each of ``steps`` (e.g. a ``Run``'s
    ``run.model_at`` and ``sorted(run.snapshots)``); ``progress(1)`` after each step (``reluscope.progress``)."""
    if not steps:
        raise ReluscopeError("no snapshots to count regions over (train with --snapshots K)")
    rows = []
    for step in steps:
        rows.append(region_counts(model_at(step), box, grid=grid))
        progress(1)
    return np.array(rows)


@dataclass
class InitCount:
    """Regions of a freshly initialised net (truncated after its last hidden layer), mean over seeds."""

    depth: int  # number of linear layers
    width: int  # hidden width
    neurons: int  # hidden neurons N = (depth − 1) · width
    count_mean: float  # mean number of regions in the box over the seeds
    count_std: float  # standard deviation over the seeds


def counts_at_init(depths: Sequence[int], widths: Sequence[int], *, box=(-3.0, 3.0, -3.0, 3.0),
                   seeds: int = 3, init: str = "he", bias_std: float = 0.1) -> list[InitCount]:
    """Exact region counts at initialisation for every ``depth × width`` (``depth ≥ 2``).

    Weights follow ``init`` (``reluscope.model.INITS``), biases are ``N(0, bias_std²)``: with zero biases a
    ReLU net is positively homogeneous, every region is a cone from the origin and the count grows only like
    ``N`` — the ``N²`` growth needs biases that move the lines off the origin.
    """
    box = check_box(box)
    if min(depths) < 2:
        raise ReluscopeError(f"depth must be at least 2 (one hidden layer), got {min(depths)}")
    rows = []
    for depth in depths:
        for width in widths:
            counts = []
            for seed in range(seeds):
                gen = torch.Generator().manual_seed(seed)
                model = init_model_(build_mlp(2, width, depth, 2), init, generator=gen)
                with torch.no_grad():
                    for layer in linear_layers(model):
                        layer.linear.bias.normal_(0.0, bias_std, generator=gen)
                counts.append(len(linear_regions(model, box)[-2]))
            rows.append(InitCount(depth, width, (depth - 1) * width, float(np.mean(counts)),
                                  float(np.std(counts))))
    return rows


def as_rows(items) -> list[dict]:
    """Dataclass rows as dicts (for ``write_csv``)."""
    return [asdict(item) for item in items]
