"""Weight initialisation schemes in the manner of ``torch.nn.init``: in place, ``generator=``, math stated.

``INITS`` is the one registry that maps the names used everywhere (``--init``) to functions
``fn(weight, *, generator=None, **options)``; ``init_model_`` applies a scheme to every ``nn.Linear`` of a
model and sets the biases.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.layers import linear_layers


@torch.no_grad()
def normal_(w: torch.Tensor, *, std: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, std²)``; the sheet's baseline is ``std = 1`` whatever the layer's size."""
    return w.normal_(0.0, std, generator=generator)


@torch.no_grad()
def torch_default_(w: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """What ``nn.Linear.reset_parameters`` does: ``W ~ U(−1/√fan_in, 1/√fan_in)``, i.e. Var(W) = 1/(3·fan_in).

    (PyTorch writes it as ``kaiming_uniform_(w, a=√5)``.)
    """
    return nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)


@torch.no_grad()
def he_normal_(w: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """``W ~ N(0, 2/fan_in)``: keeps E[y²] constant through ReLU layers (He et al. 2015)."""
    return w.normal_(0.0, math.sqrt(2.0 / w.shape[1]), generator=generator)


INITS = {
    "normal": normal_,
    "he": he_normal_,
    "torch-default": torch_default_,
}


def check_init(name: str) -> None:
    if name not in INITS:
        raise ReluscopeError(f"unknown init {name!r}; choose one of {', '.join(INITS)}")


@torch.no_grad()
def init_model_(model: nn.Module, scheme: str, *, generator: torch.Generator | None = None,
                bias: float = 0.0) -> nn.Module:
    """Initialise every ``nn.Linear`` of ``model`` in place with ``scheme``; biases set to ``bias``."""
    check_init(scheme)
    for layer in linear_layers(model):
        INITS[scheme](layer.linear.weight, generator=generator)
        if layer.linear.bias is not None:
            layer.linear.bias.fill_(bias)
    return model
