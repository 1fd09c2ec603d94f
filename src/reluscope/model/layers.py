"""Walk any ``nn.Sequential`` of Linear and activation modules layer by layer.

A *layer* is one ``nn.Linear`` together with the elementwise activation that follows it (``None`` for
the output layer, or where two Linear modules follow each other). This is how every analysis in reluscope
(probes, back-projection, decision cells) reads a model, so they all work on the user's own model too::

    for layer in linear_layers(model):
        z = layer.linear(h)          # pre-activation
        h = layer.act(z)             # activation

``forward_layers`` is that walk, once for every caller that needs the layers' ``z`` and ``h``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError

ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Identity, nn.Sigmoid, nn.GELU, nn.ELU, nn.SiLU)


@dataclass
class Layer:
    """One affine map and the activation after it."""

    index: int  # 0-based position among the linear layers
    name: str  # the Linear module's name in ``named_modules()``, e.g. "0"
    linear: nn.Linear
    activation: nn.Module | None  # None: nothing follows (the logits layer)

    def act(self, z):
        return z if self.activation is None else self.activation(z)

    @property
    def kind(self) -> str:
        """'relu', 'leaky_relu', 'tanh', 'identity', … — the activation by name; 'identity' when None."""
        return activation_kind(self.activation)


def activation_kind(module: nn.Module | None) -> str:
    if module is None or isinstance(module, nn.Identity):
        return "identity"
    return {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh"}.get(type(module),
                                                                           type(module).__name__.lower())


def negative_slope(layer: Layer) -> float:
    """The slope of the activation for negative inputs: 0 for ReLU, α for leaky ReLU, 1 for identity."""
    kind = layer.kind
    if kind == "relu":
        return 0.0
    if kind == "leaky_relu":
        return float(layer.activation.negative_slope)
    if kind == "identity":
        return 1.0
    raise ReluscopeError(f"layer {layer.name}: {kind} is not piecewise linear (need ReLU or leaky ReLU)",
                         "not_piecewise")


def finite_parameters(model: nn.Module) -> bool:
    """Whether every parameter of ``model`` is finite (no inf or NaN: not a diverged run)."""
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def linear_layers(model: nn.Module) -> list[Layer]:
    """The model's layers in order.

    Raises
    ------
    ReluscopeError
        If the model is not a flat ``nn.Sequential`` of ``nn.Linear`` and elementwise activations, if
        it starts with an activation, or if an activation works in place (``ReLU(inplace=True)`` overwrites
        ``z`` with ``h``: every probe would read ``h`` twice). Refused rather than run out of place, so that
        ``forward_layers`` needs no copy of ``z`` and the model's own forward (hooks) reads the same numbers.
    """
    if not isinstance(model, nn.Sequential):
        raise ReluscopeError(f"expected an nn.Sequential of Linear/activation modules, got {type(model).__name__}")
    layers: list[Layer] = []
    for name, module in model.named_children():
        if isinstance(module, nn.Linear):
            layers.append(Layer(len(layers), name, module, None))
        elif isinstance(module, ELEMENTWISE):
            if not layers or layers[-1].activation is not None:
                raise ReluscopeError(f"module {name} ({type(module).__name__}) does not follow a Linear")
            if getattr(module, "inplace", False):
                raise ReluscopeError(f"module {name} ({type(module).__name__}) works in place, which overwrites "
                                     f"the pre-activation; build it with inplace=False")
            layers[-1].activation = module
        elif isinstance(module, nn.Softmax | nn.LogSoftmax):
            raise ReluscopeError(f"module {name} is a {type(module).__name__}; drop it: reluscope reads the "
                                 "logits (the last Linear's output)")
        else:
            raise ReluscopeError(f"module {name} is a {type(module).__name__}; only Linear and elementwise "
                                 "activations are supported")
    if not layers:
        raise ReluscopeError("the model has no nn.Linear layer")
    return layers


def as_points(X, n: int) -> torch.Tensor:
    """``X`` as a finite float64 tensor of shape (N, n) with N ≥ 1, or a ``ReluscopeError`` saying which it is not."""
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).to(torch.float64)  # (N, n)
    if X.ndim != 2 or X.shape[1] != n or X.shape[0] == 0:
        raise ReluscopeError(f"expected points of shape (N, {n}), got {tuple(X.shape)}")
    if not torch.isfinite(X).all():
        raise ReluscopeError("the points are not all finite (NaN or inf)", "not_finite")
    return X


def forward_layers(model: nn.Module, X: torch.Tensor, *, depth: int | None = None,
                   dtype: torch.dtype | None = None) -> Iterator[tuple[Layer, torch.Tensor, torch.Tensor]]:
    """Yield ``(layer, z, h)`` for the first ``depth`` layers (all: None) of a forward pass of ``X`` (N, n_in).

    ``z = h_{l−1} W_lᵀ + b_l`` (N, d_l) is the pre-activation and ``h = σ(z)`` (N, d_l) the activation.
    ``dtype`` None runs the model's own parameters (autograd flows through them when enabled); a dtype such
    as ``torch.float64`` runs detached CPU copies of the weights in that precision, for geometry.
    """
    h = X
    for layer in linear_layers(model)[:depth]:
        if dtype is None:
            z = layer.linear(h)  # (N, d_l)
        else:
            W = layer.linear.weight.detach().cpu().to(dtype)  # (d_l, d_{l-1})
            b = layer.linear.bias
            z = h @ W.T if b is None else torch.addmm(b.detach().cpu().to(dtype), h, W.T)  # (N, d_l)
        h = layer.act(z)  # (N, d_l)
        yield layer, z, h
