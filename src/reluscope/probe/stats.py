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

import torch
from torch import nn

from reluscope.model.layers import linear_layers

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

    Rows come layer by layer, in the order of ``QUANTITIES``.
    """
    layers = linear_layers(model)
    X = torch.as_tensor(X, dtype=layers[0].linear.weight.dtype)
    with torch.enable_grad():
        with capture(model) as rec:
            out = model(X)  # (N, k)
        grads = None
        if y is not None:
            loss = nn.functional.cross_entropy(out, torch.as_tensor(y))
            tensors = rec.pre + rec.post
            grads = torch.autograd.grad(loss, tensors, allow_unused=True) if out.requires_grad else None
    rows = []
    for i, layer in enumerate(layers):
        z, h = rec.pre[i].detach(), rec.post[i].detach()
        dead = float((z <= 0).all(dim=0).float().mean())
        values = {"pre": z, "post": h}
        if grads is not None:
            values["grad_pre"], values["grad_post"] = grads[i], grads[len(layers) + i]
        kept = [q for q in QUANTITIES if values.get(q) is not None]
        for q, numbers in zip(kept, _stats(torch.stack([values[q] for q in kept]))):
            rows.append(LayerStat(layer.index + 1, layer.name, layer.kind, q, **numbers, frac_dead=dead))
    return rows


def _stats(V: torch.Tensor) -> list[dict]:
    """Mean, variance, second moment, max |v|, fraction of zeros and non-finite count of each ``V[q]``, in float64
    (one reduction per statistic for all quantities: a frame probes every layer)."""
    V = V.reshape(len(V), -1).double()  # (q, N·fan_out)
    mean, m2 = V.mean(dim=1), V.square().mean(dim=1)  # (q,), (q,)
    table = torch.stack([mean, m2, V.abs().amax(dim=1), (V == 0).sum(dim=1) / V.shape[1]]).T.tolist()  # (q, 4)
    # a float32 value squared stays below 1.2e77, so a finite m2 means every entry is finite
    finite = torch.isfinite(m2).all()
    nonfinite = [0] * len(V) if finite else (V.numel() // len(V) - torch.isfinite(V).sum(dim=1)).tolist()
    return [dict(mean=mu, var=sq - mu**2, m2=sq, max_abs=mx, frac_zero=zero, nonfinite=bad)
            for (mu, sq, mx, zero), bad in zip(table, nonfinite)]


def table(stats: list[LayerStat], **columns) -> list[dict]:
    """Tidy rows (one per layer and quantity) with constant ``columns`` (e.g. ``step=0``) in front."""
    return [{**columns, **asdict(s)} for s in stats]
