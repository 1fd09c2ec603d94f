"""Per-layer statistics of any ``nn.Sequential`` of Linear/activation modules, as a tidy table.

``capture(model)`` is a context manager that records, during a forward pass, each layer's pre-activation
``z`` (the Linear's output) and activation ``h`` (the activation's output; ``h = z`` for a layer with none).
Its forward hooks are removed in ``finally``, so the model is unchanged afterwards. ``probe(model, X, y)``
runs one forward pass (and, with labels, the cross-entropy's gradients with respect to every ``z`` and ``h``
by ``torch.autograd.grad``, leaving the parameters' ``.grad`` alone, also where they are frozen) and returns one
``LayerStat`` per layer and quantity. In-place activations (``ReLU(inplace=True)``) are refused (``linear_layers``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numba
import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
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
    ``autograd.grad``; each quantity's statistics in one compiled pass over its entries (``_moments``). Rows come layer
    by layer, in the order of ``QUANTITIES``.
    """
    layers = linear_layers(model)
    X = model_inputs(X, layers[0].linear.in_features, layers[0].linear.weight.dtype)
    if y is not None:
        y = class_labels(y, len(X), layers[-1].linear.out_features)
    with torch.enable_grad():
        X = X.detach().requires_grad_(y is not None)  # every z and h in the graph, whatever the parameters' flags
        pre, post = [], []
        for _, z, h in forward_layers(model, X):
            pre.append(z)  # (N, d_l)
            post.append(h)  # (N, d_l)
        grads = None
        if y is not None:
            loss = nn.functional.cross_entropy(post[-1], y.to(post[-1].device))
            grads = torch.autograd.grad(loss, pre + post)
    rows = []
    for i, layer in enumerate(layers):
        v = {"pre": pre[i].detach(), "post": post[i].detach()}
        if grads is not None:
            v["grad_pre"], v["grad_post"] = grads[i], grads[len(layers) + i]
        kept = [q for q in QUANTITIES if v.get(q) is not None]
        dead, kind = float((v["pre"].amax(dim=0) <= 0).double().mean()), layer.kind  # never z > 0 on the batch
        for q in kept:
            rows.append(LayerStat(layer.index + 1, layer.name, kind, q, **_stats(v[q]), frac_dead=dead))
    return rows


def model_inputs(X, in_features: int, dtype: torch.dtype) -> torch.Tensor:
    """``X`` as a ``dtype`` tensor of shape (N, ``in_features``), N ≥ 1, detached from the caller's graph: the points
    a model of that input width can take, or a ``ReluscopeError`` naming the shape it needs."""
    try:
        X = torch.as_tensor(X.detach() if isinstance(X, torch.Tensor) else X, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ReluscopeError(f"X must be an array or a tensor: {e}") from None
    if X.ndim != 2 or X.shape[1] != in_features:
        raise ReluscopeError(f"X must be (N, {in_features}) for this model, got {tuple(X.shape)}")
    if len(X) == 0:
        raise ReluscopeError("X holds no points")
    return X


def class_labels(y, n_points: int, n_classes: int) -> torch.Tensor:
    """``y`` as int64 class indices (N,) = (``n_points``,), each in ``0 … n_classes − 1`` (the logits' columns).

    Raises
    ------
    ReluscopeError
        If ``y`` is not an array of whole numbers of that shape, or holds a class the logits cannot hold.
    """
    try:
        y = torch.as_tensor(y).detach()
    except (TypeError, ValueError, RuntimeError) as e:
        raise ReluscopeError(f"y must be an array or a tensor: {e}") from None
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise ReluscopeError(f"y must hold integer class indices, got {str(y.dtype).removeprefix('torch.')} "
                             "(convert with y.long())")
    if y.shape != (n_points,):
        raise ReluscopeError(f"y must be (N,) = ({n_points},) class indices, got {tuple(y.shape)}")
    if n_points and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
        raise ReluscopeError(f"y holds class {bad}, but the model's logits hold classes 0 … {n_classes - 1} only")
    return y.long()


def _stats(v: torch.Tensor) -> dict:
    """Mean, variance, second moment, max |v|, fraction of zeros and non-finite count of the entries of ``v``:
    one compiled pass (``_moments``) over its own values (float16 and bfloat16 widened to float32, exactly;
    another device's copied to the CPU), the sums in float64. A NaN entry makes max |v| NaN."""
    v = v.detach()
    if v.dtype not in (torch.float32, torch.float64):
        v = v.float()  # every float16 and bfloat16 value is a float32 value: zeros and extremes stay exact
    a = v.cpu().numpy().reshape(-1)  # (N·d,): a view where v is contiguous on the CPU
    total, squares, max_abs, zeros = _moments(a)
    mean, m2 = total / len(a), squares / len(a)
    # an inf or NaN entry makes m2 inf or NaN: a finite m2 means no entry to count
    nonfinite = 0 if math.isfinite(m2) else len(a) - int(np.isfinite(a).sum())
    if nonfinite and np.isnan(a).any():
        max_abs = math.nan
    return dict(mean=mean, var=m2 - mean**2, m2=m2, max_abs=max_abs, frac_zero=zeros / len(a), nonfinite=nonfinite)


@numba.njit(cache=True, nogil=True)
def _moments(a):  # pragma: no cover - compiled
    """``(Σ a, Σ a², max |a|, number of zeros)`` of ``a`` (n,) float32 or float64: the sums in float64, four
    interleaved partial sums each (independent additions: the pass runs at the speed of memory, a single sum
    would wait on each addition), added at the end."""
    s0 = s1 = s2 = s3 = 0.0
    q0 = q1 = q2 = q3 = 0.0
    m0 = m1 = m2 = m3 = 0.0
    zeros = 0
    n = a.shape[0]
    for i in range(0, n - n % 4, 4):
        x0, x1, x2, x3 = np.float64(a[i]), np.float64(a[i + 1]), np.float64(a[i + 2]), np.float64(a[i + 3])
        s0, s1, s2, s3 = s0 + x0, s1 + x1, s2 + x2, s3 + x3
        q0, q1, q2, q3 = q0 + x0 * x0, q1 + x1 * x1, q2 + x2 * x2, q3 + x3 * x3
        m0, m1, m2, m3 = max(m0, abs(x0)), max(m1, abs(x1)), max(m2, abs(x2)), max(m3, abs(x3))
        zeros += (x0 == 0.0) + (x1 == 0.0) + (x2 == 0.0) + (x3 == 0.0)
    for i in range(n - n % 4, n):
        x0 = np.float64(a[i])
        s0, q0, m0 = s0 + x0, q0 + x0 * x0, max(m0, abs(x0))
        zeros += x0 == 0.0
    return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3), max(max(m0, m1), max(m2, m3)), zeros


def table(stats: list[LayerStat], **columns) -> list[dict]:
    """Tidy rows (one per layer and quantity) with constant ``columns`` (e.g. ``step=0``) in front."""
    return [{**columns, **asdict(s)} for s in stats]
