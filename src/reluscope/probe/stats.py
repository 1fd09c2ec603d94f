"""Per-layer statistics of any ``nn.Sequential`` of Linear/activation modules, as a tidy table.

``capture(model)`` is a context manager that records, during a forward pass, each layer's pre-activation
``z`` (the Linear's output) and activation ``h`` (the activation's output; ``h = z`` for a layer with none).
Its forward hooks are removed in ``finally``, so the model is unchanged afterwards. ``probe(model, X, y)``
runs one forward pass (and, with labels, the cross-entropy's gradients with respect to every ``z`` and ``h``
by ``torch.autograd.grad``, leaving the parameters' ``.grad`` alone) and returns one ``LayerStat`` per layer
and quantity. In-place activations (``ReLU(inplace=True)``) are not supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from reluscope.model.layers import forward_layers, linear_layers

QUANTITIES = ("pre", "post", "grad_pre", "grad_post")  # z, h, ∂L/∂z, ∂L/∂h


@dataclass(frozen=True)
class LayerStat:
    """Statistics of one quantity of one layer over a batch (all units and points pooled)."""

    layer: int  # 1-based index among the linear layers
    name: str  # the Linear's module name
    kind: str  # the activation after it
    quantity: str  # one of QUANTITIES
    mean: float
    var: float  # population variance of all entries
    m2: float  # second moment E[v²]
    max_abs: float
    frac_zero: float  # fraction of entries exactly 0
    frac_dead: float  # fraction of the layer's units whose pre-activation is never > 0 on the batch
    nonfinite: int  # number of inf/NaN entries


@dataclass
class Capture:
    """What ``capture`` recorded in the last forward pass: one entry per linear layer."""

    pre: list[torch.Tensor | None] = field(default_factory=list)  # z, (N, fan_out), in the graph
    post: list[torch.Tensor | None] = field(default_factory=list)  # h, (N, fan_out), in the graph


@contextmanager
def capture(model: nn.Module) -> Iterator[Capture]:
    """Record every layer's ``z`` and ``h`` during forward passes inside the ``with`` block.

    On leaving the block the hooks are gone and ``h`` of a layer without activation is set to its ``z``.
    """
    layers = linear_layers(model)
    rec = Capture([None] * len(layers), [None] * len(layers))
    handles = []

    def keep(store: list, i: int):
        def hook(module, inputs, output):
            store[i] = output
        return hook

    try:
        for layer in layers:
            handles.append(layer.linear.register_forward_hook(keep(rec.pre, layer.index)))
            if layer.activation is not None:
                handles.append(layer.activation.register_forward_hook(keep(rec.post, layer.index)))
        yield rec
    finally:
        for h in handles:
            h.remove()
    for layer in layers:
        if layer.activation is None:
            rec.post[layer.index] = rec.pre[layer.index]


def probe(model: nn.Module, X: torch.Tensor, y: torch.Tensor | None = None) -> list[LayerStat]:
    """Statistics of ``z`` and ``h`` per layer on ``X`` (N, in_dim); with labels ``y`` (N,) also of the
    gradients of the mean cross-entropy with respect to them.

    One forward pass layer by layer (``forward_layers``, the ``nn.Sequential``'s own computation), one
    ``autograd.grad``; each layer's quantities are reduced together. Rows come layer by layer, in the order of
    ``QUANTITIES``.
    """
    layers = linear_layers(model)
    X = torch.as_tensor(X, dtype=layers[0].linear.weight.dtype)
    with torch.enable_grad():
        pre, post = [], []
        for _, z, h in forward_layers(model, X):
            pre.append(z)  # (N, d_l)
            post.append(h)  # (N, d_l)
        grads = None
        if y is not None:
            loss = nn.functional.cross_entropy(post[-1], torch.as_tensor(y))
            grads = torch.autograd.grad(loss, pre + post, allow_unused=True) if loss.requires_grad else None
    rows = []
    for i, layer in enumerate(layers):
        v = {"pre": pre[i].detach(), "post": post[i].detach()}
        if grads is not None:
            v["grad_pre"], v["grad_post"] = grads[i], grads[len(layers) + i]
        kept = [q for q in QUANTITIES if v.get(q) is not None]
        dead, kind = float((v["pre"].amax(dim=0) <= 0).double().mean()), layer.kind  # never z > 0 on the batch
        for q, numbers in zip(kept, _stats(torch.stack([v[q] for q in kept]))):
            rows.append(LayerStat(layer.index + 1, layer.name, kind, q, **numbers, frac_dead=dead))
    return rows


def _stats(V: torch.Tensor) -> list[dict]:
    """Mean, variance, second moment, max |v|, fraction of zeros and non-finite count of each ``V[r]`` (one
    reduction per statistic for all rows): the sums in float64, the extremes and the zeros on ``V``'s own
    entries (exact in any precision; numpy's count of each row's zeros is many times faster than torch's and
    twice as fast as its own sum over an axis)."""
    V = V.reshape(len(V), -1)  # (rows, N·d)
    max_abs = V.abs().amax(dim=1).double()  # (rows,)
    zeros = torch.tensor([np.count_nonzero(row) for row in (V == 0).cpu().numpy()])  # (rows,): any dtype, any device
    V64 = V.double()  # (rows, N·d)
    mean, m2 = V64.mean(dim=1), (V64 * V64).sum(dim=1) / V.shape[1]  # (rows,), (rows,)
    table = torch.stack([mean, m2, max_abs, zeros / V.shape[1]]).T.tolist()  # (rows, 4)
    # an inf or NaN entry makes its row's m2 inf or NaN: a finite m2 means a row with none to count
    finite = bool(torch.isfinite(m2).all())
    nonfinite = [0] * len(V) if finite else (V.shape[1] - torch.isfinite(V).sum(dim=1)).tolist()
    return [dict(mean=mu, var=sq - mu**2, m2=sq, max_abs=mx, frac_zero=zero, nonfinite=bad)
            for (mu, sq, mx, zero), bad in zip(table, nonfinite)]


def table(stats: list[LayerStat], **columns) -> list[dict]:
    """Tidy rows (one per layer and quantity) with constant ``columns`` (e.g. ``step=0``) in front."""
    return [{**columns, **asdict(s)} for s in stats]
