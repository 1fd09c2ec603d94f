"""Predicted per-layer moments of a freshly initialised network, forward and backward.

A layer maps ``x ∈ R^n`` to ``z = x W + b`` and ``h = a(z)``. The weights are i.i.d. with mean 0 given their
unit: unit ``j`` has the mean squared weight ``s_j`` (its column of ``W``, row ``j`` of the ``Linear``'s weight) and
the bias ``b_j``, both read from the realised parameters, so the theory applies to any scheme (data-dependent ones
too) and at any training step. Over the weights, with ``E[x²]`` the mean second moment of the input's components::

    E[z_j] = b_j,    Var(z_j) = v_j = n · s_j · E[x²]          (exact, any input distribution)

**Activations.** Each unit's ``z_j`` is treated as Gaussian ``N(b_j, v_j)`` (exact for a Gaussian input,
the mean-field approximation deeper) and the pooled moments are the means over the units of ``E[a(z_j)]``
and ``E[a(z_j)²]`` — closed forms for ReLU/leaky ReLU/identity, quadrature for tanh
(``meanfield.gauss_expectation``). With ``b = 0``, ``σ² = Var(z)``::

    ReLU:       E[h] = σ/√(2π),  E[h²] = σ²/2        → per-layer factor n·s/2, so s = 2/n keeps it
    leaky (α):  E[h] = (1−α)σ/√(2π),  E[h²] = (1+α²)σ²/2
    identity:   E[h] = 0,  E[h²] = σ²                → factor n·s, so s = 1/n keeps it

``E[h²]`` is linear in ``v_j``, so pooling changes nothing there; ``E[h] ∝ √v_j`` is not: pooled over units
``E[h] = E_j[√v_j]/√(2π)``, below ``√(E_j v_j)/√(2π)``. In the first layer, ``n = 2``: ``n·s_j/s ~ χ²₂``
for Gaussian weights, and the pooled ``E[h]`` is ``E[χ₂]/√E[χ₂²] = √π/2 ≈ 0.886`` of the single-Gaussian
value (``tests/test_theory.py::test_layer_one_mean_activation_is_pooled_over_unit_scales``). Random biases
(``torch-default``: ``b ~ U(±1/√n)``) add their spread: ``q ↦ n·s·q/2 + Var(b)``.

**The pooled variance.** A measured variance pools all units and points and subtracts their common mean
``z̄``. Unit ``j``'s mean over the points is ``w_j·x̄ + b_j``, and ``x̄`` is large when the points' inputs are
correlated (every deep ReLU layer: its inputs share a large positive mean). Over the weights::

    E[Var_pooled(z)] = E_j[v_j] + Var_j(b) − n · s · r / m,    r = E_i[x̄_i²]

(``m`` the fan-out). For a hidden layer (m = 32) the last term is a few per cent; for the 2-unit output layer
it removes ``r/(2·E[x²])`` of the variance (0.35 in the depth-11 ReLU nets on spirals). ``r`` comes from
the mean-field kernel ``K_pp' = E[h_p·h_p']/n`` of the points, propagated layer by layer through
``Σ = n·s·K + E_j[b_j²]`` and the arc-cosine kernel ``J`` (biases treated as zero-mean and Gaussian), on
the points ``X`` — or, without ``X``, on ``KERNEL_POINTS`` standard-normal points scaled to ``E[x²]`` (the
input's lengths vary, which keeps ``r/E[x²]`` well below 1 even deep down). Only piecewise-linear layers
carry the kernel; after a tanh layer ``r`` is taken as 0.

One network's pooled variance fluctuates around this expectation: the logits' is a quadratic form in the
2 × n output weights with about two effective degrees of freedom (2E²/Var), yet not χ²₂-distributed: its typical
value (a geometric mean over the weights) lies near 0.64 of the expectation, not χ²₂'s e^{−γ} ≈ 0.56, and the
hidden layers' typical values fall below theirs by finite-width fluctuation (``docs/theory.md`` §1.3, "Finite
width"); neither is predicted here.

Backward, with ``m`` the fan-out and ``g`` the gradient of the loss, assuming — as for the forward pass — the
weights independent of the signal they multiply, and the backward weights ``Wᵀ`` independent of the forward
ones (the usual mean-field assumption, Schoenholz et al. 2017)::

    E[g_h(l−1)²] = m_l · s_l · E[g_z(l)²],    E[g_z(l)²] = E[a'(z_l)²] · E[g_h(l)²]

(``E[a'²] = 1/2`` for ReLU), seeded with the measured ``E[g²]`` at the network's output.
See ``docs/theory.md`` section 1.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtr
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model.layers import linear_layers, negative_slope
from reluscope.probe.meanfield import PIECEWISE_LINEAR, SMOOTH, MeanField, gauss_expectation

KERNEL_POINTS = 1024  # standard-normal points that stand for the input when no batch is given
KERNEL_PAIRS = 2**15  # pairs of points on which the kernel is propagated (a random sample beyond)
KERNEL_SEED = 0  # seeds those points and the sample of pairs
SQRT_2PI = math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class LayerSpec:
    """What the theory needs of one layer."""

    fan_in: int  # n
    fan_out: int  # m
    weight_m2: float  # s = E[W²], the weights' variance when they have mean 0
    bias: float  # b, the mean of the layer's biases (0 on the sheet)
    kind: str  # activation after the layer: relu, leaky_relu, tanh, identity
    slope: float = 0.0  # negative slope of leaky_relu
    unit_weight_m2: tuple[float, ...] | None = None  # s_j per unit (row of W); None: every unit s
    unit_bias: tuple[float, ...] | None = None  # b_j per unit; None: every unit b

    @property
    def factor(self) -> float:
        """``E[h²]/E[x²]`` of the layer at bias 0: ``n·s·E[a(z)²]/E[z²]`` (``n·s/2`` for ReLU)."""
        return self.fan_in * self.weight_m2 * _m2_ratio(self.kind, self.slope)

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """``(s_j, b_j)``, each (m,)."""
        s = np.full(self.fan_out, self.weight_m2) if self.unit_weight_m2 is None else np.array(self.unit_weight_m2)
        b = np.full(self.fan_out, self.bias) if self.unit_bias is None else np.array(self.unit_bias)
        return s, b


@dataclass(frozen=True)
class LayerMoments:
    """Predicted moments of one layer, pooled over its units and the points; ``grad_*`` are second moments
    (= variances, gradients have mean 0)."""

    layer: int  # 1-based
    pre_mean: float
    pre_var: float  # E[Var_pooled(z)]: the pooled mean subtracted
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
    """One ``LayerSpec`` per ``nn.Linear`` of ``model``, ``E[W²]`` and the biases read from its parameters."""
    specs = []
    for layer in linear_layers(model):
        w = layer.linear.weight.double()  # (m, n)
        b = torch.zeros(w.shape[0], dtype=torch.float64) if layer.linear.bias is None else layer.linear.bias.double()
        slope = negative_slope(layer) if layer.kind == "leaky_relu" else 0.0
        specs.append(LayerSpec(fan_in=w.shape[1], fan_out=w.shape[0], weight_m2=float(w.pow(2).mean()),
                               bias=float(b.mean()), kind=layer.kind, slope=slope,
                               unit_weight_m2=tuple(w.pow(2).mean(1).tolist()), unit_bias=tuple(b.tolist())))
    return specs


MOMENT_FORMULAS = (*PIECEWISE_LINEAR, *SMOOTH)  # the activations activation_moments knows


def activation_moments(kind: str, mean, var, slope: float = 0.0):
    """``(E[a(z)], E[a(z)²])`` for ``z ~ N(mean, var)``; ``mean`` and ``var`` scalars or arrays of one shape.

    ReLU: ``E = μΦ(μ/σ) + σφ(μ/σ)``, ``E[·²] = (μ²+σ²)Φ(μ/σ) + μσφ(μ/σ)``; leaky ReLU is
    ``relu(z) − α·relu(−z)`` (disjoint supports, so the squares add); tanh by quadrature
    (``meanfield.gauss_expectation``).
    """
    mean, var = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
    if kind == "identity":
        return mean + 0.0, mean**2 + var
    if kind in ("relu", "leaky_relu"):
        alpha = slope if kind == "leaky_relu" else 0.0
        p1, p2 = _relu_moments(mean, var)
        n1, n2 = _relu_moments(-mean, var)
        return p1 - alpha * n1, p2 + alpha**2 * n2
    if kind in SMOOTH:
        phi, _ = SMOOTH[kind]
        pairs = np.broadcast(mean, var)
        m1 = [gauss_expectation(phi, v, m) for m, v in pairs]
        m2 = [gauss_expectation(lambda z: phi(z) ** 2, v, m) for m, v in np.broadcast(mean, var)]
        return np.reshape(m1, pairs.shape), np.reshape(m2, pairs.shape)
    raise ReluscopeError(f"no moment formula for activation {kind!r}", "no_moments")


def _relu_moments(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.sqrt(np.maximum(var, 0.0))
    a = mean / np.where(s > 0, s, 1.0)
    cdf, pdf = ndtr(a), _pdf(a)  # Φ, φ
    r = np.maximum(mean, 0.0)  # var = 0: z = mean
    return (np.where(s > 0, mean * cdf + s * pdf, r),
            np.where(s > 0, (mean**2 + var) * cdf + mean * s * pdf, r * r))


def _pdf(a: np.ndarray) -> np.ndarray:
    """The standard normal density ``φ(a)`` (``scipy.stats.norm.pdf``'s formula, without its per-call checks)."""
    return np.exp(-(a**2) / 2.0) / SQRT_2PI


def derivative_m2(kind: str, mean, var, slope: float = 0.0):
    """``E[a'(z)²]`` for ``z ~ N(mean, var)``: ``Φ(μ/σ) + α²(1 − Φ(μ/σ))`` for (leaky) ReLU, 1 for
    identity."""
    mean, var = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
    if kind == "identity":
        return np.ones_like(mean + var)
    if kind in ("relu", "leaky_relu"):
        alpha = slope if kind == "leaky_relu" else 0.0
        p = np.where(var > 0, ndtr(mean / np.sqrt(np.where(var > 0, var, 1.0))), (mean > 0) * 1.0)
        return p + alpha**2 * (1.0 - p)
    if kind in SMOOTH:
        _, dphi = SMOOTH[kind]
        pairs = np.broadcast(mean, var)
        out = [gauss_expectation(lambda z: dphi(z) ** 2, v, m) for m, v in pairs]
        return np.reshape(out, pairs.shape)
    raise ReluscopeError(f"no derivative formula for activation {kind!r}")


@dataclass(frozen=True)
class Kernel:
    """The mean-field kernel ``K_pp' = E[h_p·h_p']/n`` of ``N`` points: its diagonal and ``P`` pairs ``p ≠ p'``."""

    diag: np.ndarray  # (N,) K_pp
    first: np.ndarray  # (P,) p
    second: np.ndarray  # (P,) p'
    off: np.ndarray  # (P,) K_pp'
    n_points: float  # the points a measurement pools over (inf: infinitely many)

    @classmethod
    def of_points(cls, x: np.ndarray, n_points: float) -> Kernel:
        """``x_p·x_p'/n`` for the rows of ``x`` (N, n): every pair up to ``KERNEL_PAIRS``, else a random sample."""
        N = x.shape[0]
        if N * (N - 1) // 2 <= KERNEL_PAIRS:
            first, second = np.triu_indices(N, 1)
        else:
            rng = np.random.default_rng(KERNEL_SEED)
            first, second = rng.integers(N, size=(2, KERNEL_PAIRS))
            keep = first != second
            first, second = first[keep], second[keep]
        n = x.shape[1]
        return cls(np.einsum("pi,pi->p", x, x) / n, first, second,
                   np.einsum("pi,pi->p", x[first], x[second]) / n, n_points)

    def mean_square_of_means(self) -> float:
        """``E[x̄_i²]``, ``x̄_i`` a component's mean over ``N = n_points`` points:
        ``(1 − 1/N)·mean(off) + mean(diag)/N``."""
        return float((1 - 1 / self.n_points) * self.off.mean() + self.diag.mean() / self.n_points)

    def through(self, kind: str, gain: float, bias_m2: float, slope: float = 0.0) -> Kernel | None:
        """The kernel of ``a(z)`` for ``Σ = gain·K + bias_m2`` (``z ~ N(0, Σ)``); None unless ``a`` is
        piecewise linear: mean-field theory's ``E[a(z)²] = (1+α²) Σ_pp/2`` on the diagonal and
        ``E[a(u)a(u')] = √(Σ_pp Σ_p'p') [(1−α)² J(c)/2 + α c]`` off it, ``J`` the arc-cosine kernel
        (``MeanField.second_moment``, ``MeanField.cross_moment``)."""
        d, off = gain * self.diag + bias_m2, gain * self.off + bias_m2  # (N,), (P,)
        if kind == "identity":
            return Kernel(d, self.first, self.second, off, self.n_points)
        if kind not in ("relu", "leaky_relu"):
            return None
        phi = MeanField(kind, negative_slope=slope)  # a's moments only: the scales are in Σ
        scale = np.sqrt(np.maximum(d[self.first] * d[self.second], 1e-300))  # (P,)
        c = np.clip(off / scale, -1.0, 1.0)  # (P,)
        return Kernel(phi.second_moment(d), self.first, self.second, phi.cross_moment(c, scale), self.n_points)


def input_kernel(input_m2: float, in_dim: int, X: torch.Tensor | np.ndarray | None = None) -> Kernel:
    """The input's kernel on the points ``X`` (N, n), or, when ``X`` is None, on ``KERNEL_POINTS``
    standard-normal points scaled to ``E[x²] = input_m2`` pooled over infinitely many points."""
    if X is None:
        return _normal_kernel(float(input_m2), int(in_dim))
    x = np.asarray(torch.as_tensor(X).detach().double().cpu())  # (N, n)
    if x.ndim != 2 or x.shape[1] != in_dim or len(x) == 0:
        raise ReluscopeError(f"X must be (N, {in_dim}) for this model, N ≥ 1, got {x.shape}")
    return Kernel.of_points(x, len(x))


@functools.lru_cache(maxsize=16)
def _normal_kernel(input_m2: float, in_dim: int) -> Kernel:
    """The seeded standard-normal input kernel, built once per ``(input_m2, in_dim)`` (a live view asks for the
    theory of every frame with the same input); its arrays are read-only."""
    x = np.random.default_rng(KERNEL_SEED).standard_normal((KERNEL_POINTS, in_dim)) * math.sqrt(input_m2)
    kernel = Kernel.of_points(x, math.inf)
    for a in (kernel.diag, kernel.first, kernel.second, kernel.off):
        a.setflags(write=False)
    return kernel


def forward_moments(specs: list[LayerSpec], input_m2: float, kernel: Kernel | None = None) -> list[LayerMoments]:
    """Propagate ``E[x²]`` (mean over the input's components) and the kernel through the layers.

    Without a kernel (or after a layer that is not piecewise linear) the pooled-mean term is left out.
    """
    out, m2 = [], input_m2
    for i, spec in enumerate(specs, start=1):
        s, b = spec.units()  # (m,), (m,)
        v = spec.fan_in * s * m2  # (m,) Var(z_j)
        r_in = 0.0 if kernel is None else kernel.mean_square_of_means()
        pre_var = float(np.mean(v) + b.var() - spec.fan_in * s.mean() * r_in / spec.fan_out)
        a1, a2 = activation_moments(spec.kind, b, v, spec.slope)  # (m,), (m,)
        h_mean, h_m2 = float(np.mean(a1)), float(np.mean(a2))
        if kernel is not None:
            kernel = kernel.through(spec.kind, spec.fan_in * s.mean(), float(np.mean(b**2)), spec.slope)
        spread = 0.0 if kernel is None else max(kernel.mean_square_of_means() - h_mean**2, 0.0) / spec.fan_out
        out.append(LayerMoments(i, float(b.mean()), pre_var, float(np.mean(v + b**2)), h_mean,
                                h_m2 - h_mean**2 - spread, h_m2))
        m2 = h_m2
    return out


def backward_moments(specs: list[LayerSpec], forward: list[LayerMoments], grad_out_m2: float) -> list[LayerMoments]:
    """Fill ``grad_pre_m2``/``grad_post_m2`` from ``E[(∂L/∂h_L)²]`` at the output, last layer to first."""
    out, g_post = [], grad_out_m2
    for spec, f in zip(reversed(specs), reversed(forward)):
        s, b = spec.units()
        v = s / s.mean() * (f.pre_m2 - float(np.mean(b**2))) if s.mean() > 0 else np.zeros_like(s)  # (m,)
        g_pre = float(np.mean(derivative_m2(spec.kind, b, v, spec.slope))) * g_post
        out.append(LayerMoments(**{**f.__dict__, "grad_pre_m2": g_pre, "grad_post_m2": g_post}))
        g_post = spec.fan_out * spec.weight_m2 * g_pre
    return out[::-1]


def predicted_moments(model: nn.Module, input_m2: float, grad_out_m2: float | None = None, *,
                      X: torch.Tensor | np.ndarray | None = None) -> list[LayerMoments]:
    """The theory for ``model``'s realised weights: forward, and backward when ``grad_out_m2`` is given.

    ``X`` (N, n_in): the points the measurement pools over; their kernel gives the pooled-mean term. None:
    standard-normal points with ``E[x²] = input_m2``, pooled over infinitely many points.
    """
    for name, value in (("input_m2", input_m2), ("grad_out_m2", grad_out_m2)):
        if value is not None and not 0 <= value < math.inf:
            raise ReluscopeError(f"{name} must be a second moment: 0 or more and finite, got {value}", "not_finite")
    specs = layer_specs(model)
    fwd = forward_moments(specs, input_m2, input_kernel(input_m2, specs[0].fan_in, X))
    return fwd if grad_out_m2 is None else backward_moments(specs, fwd, grad_out_m2)
