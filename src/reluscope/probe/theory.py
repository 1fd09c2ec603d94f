"""Predicted per-layer moments of a freshly initialised network, forward and backward.

A layer maps ``x ∈ R^n`` to ``z = x W + b`` and ``h = a(z)`` with i.i.d. zero-mean weights of second moment
``s = E[W²]`` and a constant bias ``b``. Over the weights, with ``E[x²]`` the mean second moment of the
input's components::

    E[z] = b,    Var(z) = n · s · E[x²]                       (exact, any input distribution)

and, treating ``z`` as Gaussian ``N(b, Var(z))`` (exact for a Gaussian input, the mean-field
approximation otherwise), ``E[a(z)]`` and ``E[a(z)²]`` in closed form for ReLU/leaky ReLU/identity and by
quadrature for tanh (``meanfield.gauss_expectation``). With ``b = 0``, ``σ² = Var(z)``::

    ReLU:       E[h] = σ/√(2π),  E[h²] = σ²/2        → per-layer factor n·s/2, so s = 2/n keeps it
    leaky (α):  E[h] = (1−α)σ/√(2π),  E[h²] = (1+α²)σ²/2
    identity:   E[h] = 0,  E[h²] = σ²                → factor n·s, so s = 1/n keeps it

Backward, with ``m`` the fan-out and ``g`` the gradient of the loss::

    E[g_h(l−1)²] = m_l · s_l · E[g_z(l)²],    E[g_z(l)²] = E[a'(z_l)²] · E[g_h(l)²]

(``E[a'²] = 1/2`` for ReLU), seeded with the measured ``E[g²]`` at the network's output. The weights'
``s`` is read from the realised weights (``E[W²]`` of each ``nn.Linear``), so the theory applies to any
scheme, including data-dependent ones, and to a model at any training step.
See ``docs/theory.md`` section 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import norm
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.layers import linear_layers, negative_slope
from reluscope.probe.meanfield import gauss_expectation


@dataclass(frozen=True)
class LayerSpec:
    """What the theory needs of one layer."""

    fan_in: int  # n
    fan_out: int  # m
    weight_m2: float  # s = E[W²], the weights' variance when they have mean 0
    bias: float  # b, the mean of the layer's biases (0 on the sheet)
    kind: str  # activation after the layer: relu, leaky_relu, tanh, identity
    slope: float = 0.0  # negative slope of leaky_relu

    @property
    def factor(self) -> float:
        """``E[h²]/E[x²]`` of the layer at bias 0: ``n·s·E[a(z)²]/E[z²]`` (``n·s/2`` for ReLU)."""
        return self.fan_in * self.weight_m2 * _m2_ratio(self.kind, self.slope)


@dataclass(frozen=True)
class LayerMoments:
    """Predicted moments of one layer; ``grad_*`` are second moments (= variances, gradients have mean 0)."""

    layer: int  # 1-based
    pre_mean: float
    pre_var: float
    pre_m2: float
    post_mean: float
    post_var: float
    post_m2: float
    grad_pre_m2: float = math.nan  # E[(∂L/∂z)²], NaN until backward_moments fills it
    grad_post_m2: float = math.nan  # E[(∂L/∂h)²]


def _m2_ratio(kind: str, slope: float) -> float:
    """``E[a(z)²]/E[z²]`` for a symmetric ``z``: 1/2 for ReLU, (1+α²)/2 for leaky ReLU, 1 for identity."""
    if kind == "identity":
        return 1.0
    if kind in ("relu", "leaky_relu"):
        return (1.0 + slope**2) / 2.0
    raise ReluscopeError(f"the per-layer factor is defined for piecewise-linear activations, not {kind}")


@torch.no_grad()
def layer_specs(model: nn.Module) -> list[LayerSpec]:
    """One ``LayerSpec`` per ``nn.Linear`` of ``model``, ``E[W²]`` and the bias read from its parameters."""
    specs = []
    for layer in linear_layers(model):
        w = layer.linear.weight.double()  # (m, n)
        b = layer.linear.bias
        slope = negative_slope(layer) if layer.kind == "leaky_relu" else 0.0
        specs.append(LayerSpec(fan_in=w.shape[1], fan_out=w.shape[0], weight_m2=float(w.pow(2).mean()),
                               bias=0.0 if b is None else float(b.double().mean()), kind=layer.kind, slope=slope))
    return specs


def activation_moments(kind: str, mean: float, var: float, slope: float = 0.0) -> tuple[float, float]:
    """``(E[a(z)], E[a(z)²])`` for ``z ~ N(mean, var)``.

    ReLU: ``E = μΦ(μ/σ) + σφ(μ/σ)``, ``E[·²] = (μ²+σ²)Φ(μ/σ) + μσφ(μ/σ)``; leaky ReLU is
    ``relu(z) − α·relu(−z)`` (disjoint supports, so the squares add); tanh by quadrature
    (``meanfield.gauss_expectation``).
    """
    if kind == "identity":
        return mean, mean**2 + var
    if kind in ("relu", "leaky_relu"):
        alpha = slope if kind == "leaky_relu" else 0.0
        p1, p2 = _relu_moments(mean, var)
        n1, n2 = _relu_moments(-mean, var)
        return p1 - alpha * n1, p2 + alpha**2 * n2
    if kind == "tanh":
        return gauss_expectation(np.tanh, var, mean), gauss_expectation(lambda z: np.tanh(z) ** 2, var, mean)
    raise ReluscopeError(f"no moment formula for activation {kind!r}")


def _relu_moments(mean: float, var: float) -> tuple[float, float]:
    if var <= 0.0:
        r = max(mean, 0.0)
        return r, r * r
    s = math.sqrt(var)
    a = mean / s
    cdf, pdf = float(norm.cdf(a)), float(norm.pdf(a))
    return mean * cdf + s * pdf, (mean**2 + var) * cdf + mean * s * pdf


def derivative_m2(kind: str, mean: float, var: float, slope: float = 0.0) -> float:
    """``E[a'(z)²]`` for ``z ~ N(mean, var)``: ``Φ(μ/σ) + α²(1 − Φ(μ/σ))`` for (leaky) ReLU, 1 for identity."""
    if kind == "identity":
        return 1.0
    if kind in ("relu", "leaky_relu"):
        alpha = slope if kind == "leaky_relu" else 0.0
        p = float(norm.cdf(mean / math.sqrt(var))) if var > 0 else float(mean > 0)
        return p + alpha**2 * (1.0 - p)
    if kind == "tanh":
        return gauss_expectation(lambda z: (1.0 - np.tanh(z) ** 2) ** 2, var, mean)
    raise ReluscopeError(f"no derivative formula for activation {kind!r}")


def forward_moments(specs: list[LayerSpec], input_m2: float) -> list[LayerMoments]:
    """Propagate ``E[x²]`` (mean over the input's components) through the layers."""
    out, m2 = [], input_m2
    for i, s in enumerate(specs, start=1):
        var = s.fan_in * s.weight_m2 * m2
        h_mean, h_m2 = activation_moments(s.kind, s.bias, var, s.slope)
        out.append(LayerMoments(i, s.bias, var, var + s.bias**2, h_mean, h_m2 - h_mean**2, h_m2))
        m2 = h_m2
    return out


def backward_moments(specs: list[LayerSpec], forward: list[LayerMoments], grad_out_m2: float) -> list[LayerMoments]:
    """Fill ``grad_pre_m2``/``grad_post_m2`` from ``E[(∂L/∂h_L)²]`` at the output, last layer to first."""
    out, g_post = [], grad_out_m2
    for s, f in zip(reversed(specs), reversed(forward)):
        g_pre = derivative_m2(s.kind, f.pre_mean, f.pre_var, s.slope) * g_post
        out.append(LayerMoments(**{**f.__dict__, "grad_pre_m2": g_pre, "grad_post_m2": g_post}))
        g_post = s.fan_out * s.weight_m2 * g_pre
    return out[::-1]


def predict(model: nn.Module, input_m2: float, grad_out_m2: float | None = None) -> list[LayerMoments]:
    """The theory for ``model``'s realised weights: forward, and backward when ``grad_out_m2`` is given."""
    specs = layer_specs(model)
    fwd = forward_moments(specs, input_m2)
    return fwd if grad_out_m2 is None else backward_moments(specs, fwd, grad_out_m2)
