"""K networks seen as one module whose logits are (K, n, c): what the training loop steps.

``SingleNet`` is one ``nn.Sequential`` as the case K = 1 (its own parameters, any layers); ``StackedMLP`` holds K
MLPs of one architecture as stacked parameters, one batched matmul per layer for all members. Both give the
loop the same five things: ``forward`` (K, n, c) logits for shared points (n, d) or per-member points
(K, n, d), ``losses`` (K,) the members' mean cross-entropies, ``len``, ``member(k)``, member k as a plain
``nn.Sequential`` with its current parameters, and ``clip_grads_(max_norm)``, each member's gradient clipped
to its own norm (as ``torch.nn.utils.clip_grad_norm_`` does for one network:
``g ← g · min(1, max_norm / (‖g‖ + 10⁻⁶))``, ``‖g‖`` over all of the member's parameters).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model import linear_layers


class SingleNet(nn.Module):
    """One model as an ensemble of one: it trains the model's own parameters in place."""

    def __init__(self, model: nn.Sequential):
        super().__init__()
        self.model = model

    def __len__(self) -> int:
        return 1

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (1, n, c) for ``X`` (n, d) or (1, n, d)."""
        return self.model(X[0] if X.dim() == 3 else X).unsqueeze(0)

    @staticmethod
    def losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The mean cross-entropy (1,) of logits (1, n, c) against labels (1, n), as one network computes it."""
        return nn.functional.cross_entropy(logits[0], y[0]).unsqueeze(0)

    def member(self, k: int) -> nn.Sequential:
        return self.model

    def clip_grads_(self, max_norm: float) -> None:
        nn.utils.clip_grad_norm_(self.parameters(), max_norm)


class StackedMLP(nn.Module):
    """K MLPs of one architecture as stacked parameters: ``weights[l]`` (K, out, in), ``biases[l]`` (K, out)."""

    def __init__(self, models: Sequence[nn.Sequential]):
        super().__init__()
        per_model = [linear_layers(m) for m in models]
        shapes = {tuple((ly.linear.weight.shape, ly.kind) for ly in layers) for layers in per_model}
        if len(shapes) != 1:
            raise ReluscopeError("ensemble members must share one architecture")
        if any(ly.linear.bias is None for ly in per_model[0]):
            raise ReluscopeError("ensemble members need a bias in every Linear layer")
        self.activations = [ly.activation for ly in per_model[0]]
        self.weights = nn.ParameterList(torch.stack([layers[i].linear.weight.detach() for layers in per_model])
                                        for i in range(len(per_model[0])))
        self.biases = nn.ParameterList(torch.stack([layers[i].linear.bias.detach() for layers in per_model])
                                       for i in range(len(per_model[0])))
        self._models = tuple(models)  # written by member(k); a tuple, so not registered as submodules

    def __len__(self) -> int:
        return self.weights[0].shape[0]

    def preactivations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's pre-activation, each (K, n, out), for shared points ``X`` (n, d) or per-member (K, n, d)."""
        h = X.expand(len(self), *X.shape) if X.dim() == 2 else X  # (K, n, d)
        zs = []
        for w, b, act in zip(self.weights, self.biases, self.activations):
            z = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))  # (K, n, out)
            zs.append(z)
            h = z if act is None else act(z)
        return zs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Logits (K, n, n_classes)."""
        return self.preactivations(X)[-1]

    @staticmethod
    def losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each member's mean cross-entropy (K,) of logits (K, n, c) against labels (K, n)."""
        return nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)

    @torch.no_grad()
    def member(self, k: int) -> nn.Sequential:
        """Member ``k``'s model (on the CPU) with its current parameters copied in."""
        model = self._models[k]
        for layer, w, b in zip(linear_layers(model), self.weights, self.biases, strict=True):
            layer.linear.weight.copy_(w[k])
            layer.linear.bias.copy_(b[k])
        return model

    @torch.no_grad()
    def clip_grads_(self, max_norm: float) -> None:
        grads = [p.grad for p in self.parameters() if p.grad is not None]  # each (K, ...)
        norms = torch.stack([g.pow(2).flatten(1).sum(1) for g in grads]).sum(0).sqrt()  # (K,)
        factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)  # (K,)
        for g in grads:
            g.mul_(factor.view(-1, *[1] * (g.dim() - 1)))
