"""Random float64 ReLU/leaky-ReLU networks with non-zero biases, shared by the geometry tests."""

import torch
from torch import nn

from reluscope.model import build_mlp, init_model_


def random_net(in_dim=2, width=8, depth=4, n_classes=2, seed=0, *, bias_std=0.3, activation="relu"):
    """He-initialised weights, N(0, bias_std²) biases, float64, no gradients."""
    g = torch.Generator().manual_seed(seed)
    model = build_mlp(in_dim, width, depth, n_classes, activation=activation)
    init_model_(model, "he", generator=g)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.bias.copy_(bias_std * torch.randn(m.out_features, generator=g))
    return model.double().requires_grad_(False)
