"""The MLP classifier: a plain ``nn.Sequential`` of ``nn.Linear`` and activation modules.

``build_mlp(in_dim=2, width=32, depth=3, n_classes=2)`` gives
``Linear(2,32) ReLU Linear(32,32) ReLU Linear(32,2)``: ``depth`` counts the linear layers (the sheet's
"11 layers" are 11 linear layers), the last one produces the logits and has no activation after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.names import check_activation

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    return ACTIVATIONS[check_activation(name)]()


def hidden_widths(width: int | Sequence[int], depth: int) -> list[int]:
    """The ``depth − 1`` hidden widths from one width or an explicit list."""
    if depth < 1:
        raise ReluscopeError(f"depth must be at least 1, got {depth}")
    widths = [width] * (depth - 1) if isinstance(width, Integral) else list(width)
    if not all(isinstance(w, Integral) for w in widths):
        raise ReluscopeError(f"widths must be whole numbers, got {widths}")
    widths = [int(w) for w in widths]  # numpy integers too
    if len(widths) != depth - 1:
        raise ReluscopeError(f"depth {depth} needs {depth - 1} hidden widths, got {len(widths)}")
    if any(w < 1 for w in widths):
        raise ReluscopeError(f"widths must be at least 1, got {widths}")
    return widths


def build_mlp(in_dim: int = 2, width: int | Sequence[int] = 32, depth: int = 3, n_classes: int = 2, *,
              activation: str = "relu", bias: bool = True) -> nn.Sequential:
    """An MLP as ``nn.Sequential``; PyTorch's default init (the ``init`` module re-initialises it)."""
    dims = [in_dim, *hidden_widths(width, depth), n_classes]
    make_activation(activation)  # validate the name even when depth == 1
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < depth - 1:
            layers.append(make_activation(activation))
    return nn.Sequential(*layers)


@torch.no_grad()
def predict(model: nn.Module, X) -> torch.Tensor:
    """Class predictions for points ``X`` (n, in_dim), numpy or tensor: (n,) int64."""
    X = torch.as_tensor(X, dtype=next(model.parameters()).dtype)
    return model(X).argmax(dim=1)
