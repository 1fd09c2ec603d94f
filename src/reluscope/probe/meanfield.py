"""Mean-field signal propagation through deep random networks (Poole et al. 2016, Schoenholz et al. 2017).

A random layer ``z^l = W^l φ(z^{l−1}) + b^l`` with ``W_ij ~ N(0, σ_w²/N_{l−1})`` and ``b_i ~ N(0, σ_b²)``.
In the wide limit every pre-activation is Gaussian, and a layer acts on the length ``q`` (mean squared
pre-activation) of one input and on the correlation ``c`` of two inputs of equal length:

* q-map: ``q^l = σ_w² E_{z~N(0, q^{l−1})}[φ(z)²] + σ_b²``
* c-map: ``c^l = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q^l`` with ``(u₁, u₂) ~ N(0, q^{l−1} [[1, c], [c, 1]])``
* ``χ₁ = σ_w² E[φ'(z)²]``, ``z ~ N(0, q*)``: the mean squared singular value of a layer's Jacobian —
  gradients grow (``χ₁ > 1``) or vanish (``χ₁ < 1``) by ``χ₁`` per layer; ``χ₁ = 1`` is the critical line.
  Where ``q`` has a fixed point ``q* > 0`` it is also the c-map's slope at ``c = 1``.
* ``χ_c``: the c-map's true slope at its stable fixed point ``c*``; deviations ``c* − c^l`` shrink by it.
* depth scales ``ξ = 1/|ln χ|``: the number of layers over which a deviation grows or shrinks by ``e`` —
  ``ξ_∇`` from ``χ₁`` (gradients, and for piecewise-linear φ the length ``q``), ``ξ_c`` from ``χ_c``
  (correlations; ``inf`` when ``χ_c = 1``, where ``c^l → c*`` only polynomially).

Closed forms for the piecewise-linear ``φ(z) = max(z, αz)`` (ReLU: α = 0; identity: α = 1), with
``J(c) = (√(1−c²) + (π − arccos c)·c)/π`` the arc-cosine kernel (Cho & Saul 2009)::

    E[φ(z)²]        = (1 + α²) q / 2
    E[φ(u₁)φ(u₂)]   = q [(1 − α)² J(c) / 2 + α c]
    E[φ'(z)²]       = (1 + α²) / 2
    E[φ'(u₁)φ'(u₂)] = α + (1 − α)² (π − arccos c) / (2π)

so a ReLU layer maps ``q ↦ σ_w² q/2 + σ_b²``, ``χ₁ = σ_w²/2``, and with ``σ_b = 0`` the c-map is ``J``
(``J(0) = 1/π``) for every σ_w². ``J'(c) = (π − arccos c)/π``, so ``J'(1) = 1``: ``χ_c = 1`` and ``ξ_c = ∞``
whatever σ_w² — ReLU has no ordered/chaotic transition in ``c`` (Hayou et al. 2019). Near 1,
``J(1 − ε) = 1 − ε + (2√2/(3π)) ε^{3/2} + O(ε²)``, so ``1 − c^l ≈ 9π²/(2l²)``: correlations approach
1 like ``1/l²``, not exponentially. ``σ_w²/2`` is the length and gradient factor ``χ₁`` alone.

tanh has no closed form: its expectations are quadratures over ``z = √q·x``, ``x ~ N(0, 1)``,
by the trapezoid rule on ``x ∈ [−12, 12]`` with spacing ``h ≤ 0.35/√q``. For a function analytic in a strip
(tanh's nearest poles are at ``z = ±iπ/2``) the trapezoid rule converges like ``exp(−π²/(h√q))``, so the
rule stays accurate to ~1e−8 at every length; a fixed Gauss–Hermite rule does not (80 nodes are 15 % off
for ``E[sech⁴ z]`` at ``q = 16``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from reluscope.errors import ReluscopeError

QUADRATURE_POINTS = 81  # the fewest nodes of the rule (for q ≤ 1)
QUADRATURE_SPACING = 0.35  # h·√q: spacing of the nodes in z = √q·x

SMOOTH = {"tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2)}  # name -> (φ, φ')
PIECEWISE_LINEAR = ("relu", "leaky_relu", "identity")


def standard_normal_rule(q: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x`` (P,) and weights ``w`` (P,) with ``Σ w f(√q·x) ≈ E[f(z)]``, ``z ~ N(0, q)``: the trapezoid
    rule on [−12, 12] with ``P = max(81, ⌈24·√q/0.35⌉)`` (odd) nodes, weights ``h·φ(x)``."""
    n = max(QUADRATURE_POINTS, math.ceil(24 * math.sqrt(q) / QUADRATURE_SPACING))
    x = np.linspace(-12.0, 12.0, n | 1)  # (P,)
    return x, np.exp(-x * x / 2) * (x[1] - x[0]) / math.sqrt(2 * math.pi)


def gauss_expectation(f: Callable[[np.ndarray], np.ndarray], q: float, mean: float = 0.0) -> float:
    """``E[f(z)]`` for ``z ~ N(mean, q)`` (``standard_normal_rule``; a shift keeps tanh's strip of analyticity)."""
    x, w = standard_normal_rule(q)
    return float(w @ f(mean + math.sqrt(q) * x))


def gauss_expectation_2d(f: Callable[[np.ndarray, np.ndarray], np.ndarray], c: float, q: float) -> float:
    """``E[f(u₁, u₂)]`` for ``(u₁, u₂) ~ N(0, q [[1, c], [c, 1]])``: ``u₁ = √q·x``,
    ``u₂ = √q(c·x + √(1−c²)·y)`` with ``x, y`` i.i.d. standard normal, the product of two
    ``standard_normal_rule``s."""
    nodes, w = standard_normal_rule(q)
    x, y = np.meshgrid(nodes, nodes, indexing="ij")  # (P, P)
    u1 = math.sqrt(q) * x
    u2 = math.sqrt(q) * (c * x + math.sqrt(max(1.0 - c * c, 0.0)) * y)
    return float(w @ f(u1, u2) @ w)


def arccos_kernel(c: float | np.ndarray) -> float | np.ndarray:
    """``J(c) = (√(1−c²) + (π − arccos c) c)/π = 2 E[relu(u₁) relu(u₂)]/q``: the ReLU c-map at σ_b = 0;
    ``c`` clipped to [−1, 1], a number or an array (elementwise)."""
    c = np.clip(c, -1.0, 1.0)
    return (np.sqrt(1.0 - c * c) + (math.pi - np.arccos(c)) * c) / math.pi


@dataclass(frozen=True)
class MeanField:
    """The wide-network limit of a deep random MLP with activation ``activation`` and weight scales σ_w², σ_b²."""

    activation: str = "relu"  # relu, leaky_relu, identity (closed forms) or tanh (quadrature)
    sigma_w2: float = 2.0  # W_ij ~ N(0, σ_w² / fan_in)
    sigma_b2: float = 0.0  # b_i ~ N(0, σ_b²)
    negative_slope: float = 0.01  # α of leaky ReLU (torch's default)

    def __post_init__(self):
        if self.activation not in PIECEWISE_LINEAR and self.activation not in SMOOTH:
            raise ReluscopeError(f"mean-field theory knows {', '.join((*PIECEWISE_LINEAR, *SMOOTH))}, "
                                 f"not {self.activation!r}")
        if not (self.sigma_w2 > 0 and self.sigma_b2 >= 0):
            raise ReluscopeError(f"need σ_w² > 0 and σ_b² ≥ 0, got {self.sigma_w2}, {self.sigma_b2}")

    @property
    def alpha(self) -> float | None:
        """The negative slope of a piecewise-linear φ; None for tanh."""
        return {"relu": 0.0, "leaky_relu": self.negative_slope, "identity": 1.0}.get(self.activation)

    # -- the four Gaussian moments ---------------------------------------------------------------------
    def second_moment(self, q: float) -> float:
        """``E[φ(z)²]``, ``z ~ N(0, q)``."""
        a = self.alpha
        if a is not None:
            return (1 + a * a) * q / 2
        phi, _ = SMOOTH[self.activation]
        return gauss_expectation(lambda z: phi(z) ** 2, q)

    def cross_moment(self, c: float, q: float) -> float:
        """``E[φ(u₁)φ(u₂)]`` for two inputs of length ``q`` and correlation ``c``."""
        a = self.alpha
        if a is not None:
            return q * ((1 - a) ** 2 * arccos_kernel(c) / 2 + a * c)
        phi, _ = SMOOTH[self.activation]
        return gauss_expectation_2d(lambda u, v: phi(u) * phi(v), c, q)

    def derivative_cross_moment(self, c: float, q: float) -> float:
        """``E[φ'(u₁)φ'(u₂)]``; at ``c = 1`` it is ``E[φ'(z)²]``."""
        a = self.alpha
        if a is not None:
            return a + (1 - a) ** 2 * (math.pi - math.acos(min(max(c, -1.0), 1.0))) / (2 * math.pi)
        _, dphi = SMOOTH[self.activation]
        return gauss_expectation_2d(lambda u, v: dphi(u) * dphi(v), c, q)

    def slope_at_zero(self) -> float:
        """``φ'(0)`` of a smooth φ (1 for tanh); with σ_b = 0 the length ``q → 0`` for ``σ_w² φ'(0)² ≤ 1``
        (odd, concave φ). Piecewise-linear φ never ask: their lengths are in closed form."""
        _, dphi = SMOOTH[self.activation]
        return float(dphi(0.0))

    # -- maps ------------------------------------------------------------------------------------------
    def qmap(self, q: float) -> float:
        """Length of the next layer's pre-activation: ``σ_w² E[φ(z)²] + σ_b²``."""
        return self.sigma_w2 * self.second_moment(q) + self.sigma_b2

    def cmap(self, c: float, q: float = 1.0) -> float:
        """Correlation of two inputs of length ``q`` after one layer: ``(σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q'``."""
        return (self.sigma_w2 * self.cross_moment(c, q) + self.sigma_b2) / self.qmap(q)

    def q_trajectory(self, q_in: float, depth: int) -> np.ndarray:
        """``q_1 … q_depth`` for an input with mean square ``q_in`` per coordinate, shape (depth,).

        The first layer sees the raw input (no φ): ``q_1 = σ_w² q_in + σ_b²``; then ``q_l = qmap(q_{l−1})``.
        """
        qs = [self.sigma_w2 * q_in + self.sigma_b2]
        for _ in range(depth - 1):
            qs.append(self.qmap(qs[-1]))
        return np.array(qs)

    # -- fixed points, χ₁, depth scale -----------------------------------------------------------------
    def q_star(self) -> float:
        """Fixed point of the q-map.

        Piecewise-linear φ: ``σ_b² / (1 − χ₁)`` for χ₁ < 1, ``inf`` when lengths grow without bound
        (at χ₁ = 1 with σ_b = 0 every length is fixed; 0 is returned).
        tanh: the root of ``qmap(q) = q`` (0 when σ_b = 0 and σ_w² ≤ 1).
        """
        a = self.alpha
        if a is not None:
            slope = self.sigma_w2 * (1 + a * a) / 2
            if slope < 1:
                return self.sigma_b2 / (1 - slope)
            return 0.0 if (slope == 1 and self.sigma_b2 == 0) else math.inf
        if self.sigma_b2 == 0 and self.sigma_w2 * self.slope_at_zero() ** 2 <= 1:
            return 0.0  # q = 0 is the stable fixed point: qmap(q) ≤ σ_w² φ'(0)² q (tanh: |tanh z| ≤ |z|)
        low, high = 1e-12, self.sigma_w2 + self.sigma_b2 + 1.0  # |tanh| ≤ 1 bounds q* by σ_w² + σ_b²
        return brentq(lambda q: self.qmap(q) - q, low, high, xtol=1e-14, maxiter=500)

    def chi1(self, q: float | None = None) -> float:
        """``χ₁ = σ_w² E[φ'(z)²]`` at length ``q`` (default ``q*``; piecewise-linear φ: independent of q).

        The factor by which a layer multiplies the mean squared gradient (and, for piecewise-linear φ with
        σ_b = 0, the length ``q``).
        """
        q = self.q_star() if q is None else q
        return self.sigma_w2 * self.derivative_cross_moment(1.0, max(q, 1e-12))

    def c_star(self, steps: int = 2000) -> float:
        """Stable fixed point of the c-map: 1 for every piecewise-linear φ (``J(c) > c`` below 1) and in
        tanh's ordered phase (χ₁ ≤ 1); in tanh's chaotic phase the limit of the c-map iterated from c = 1/2."""
        if self.alpha is not None or self.chi1() <= 1:
            return 1.0
        q, c = self.q_star(), 0.5
        for _ in range(steps):
            c, previous = self.cmap(c, q), c
            if abs(c - previous) < 1e-15:
                break
        return c

    def chi_c(self) -> float:
        """The c-map's slope at its stable fixed point ``c*``.

        By Price's theorem ``∂c^l/∂c^{l−1} = σ_w² q E[φ'(u₁)φ'(u₂)] / qmap(q)``; at a finite fixed point
        ``q* > 0`` the ratio ``q/qmap(q)`` is 1 and the slope is ``σ_w² E[φ'(u₁)φ'(u₂)]`` at ``(q*, c*)``
        (``= χ₁`` when ``c* = 1``). For piecewise-linear φ whose lengths have no positive finite fixed point
        (σ_b = 0, or χ₁ ≥ 1 where the bias becomes negligible) the c-map tends to the bias-free one,
        ``c ↦ (1−α)²J(c)/(1+α²) + 2αc/(1+α²)``, whose slope at ``c* = 1`` is exactly 1: for ReLU the
        arc-cosine map with ``J'(1) = 1``, whatever σ_w².
        """
        q = self.q_star()
        if self.alpha is not None:
            return self.chi1() if 0 < q < math.inf else 1.0
        c = self.c_star()
        return self.sigma_w2 * self.derivative_cross_moment(c, max(q, 1e-12))

    def correlation_depth_scale(self) -> float:
        """``ξ_c = 1/|ln χ_c|``: ``c* − c^l ∝ e^{−l/ξ_c}`` near ``c*``; ``inf`` when ``χ_c = 1``.

        ReLU with σ_b = 0: ``inf`` for every σ_w² — the correlations approach 1 as ``9π²/(2l²)``.
        """
        return _depth_scale(self.chi_c())

    def gradient_depth_scale(self) -> float:
        """``ξ_∇ = 1/|ln χ₁|``: mean squared gradients grow or shrink by ``e`` every ``ξ_∇`` layers.

        For ReLU with σ_b = 0 also the length: ``q_L/q_1 = (σ_w²/2)^{L−1} = e^{±(L−1)/ξ_∇}``; ``inf`` on
        the critical line σ_w² = 2.
        """
        return _depth_scale(self.chi1())

    def trainable_depth(self, multiple: float = 6.0) -> float:
        """The depth ``multiple · ξ`` beyond which a random net is hard to train.

        tanh: ``6 ξ_c`` (Schoenholz et al. 2017, who find trainability for ``L ≲ 6ξ_c``). Piecewise-linear φ
        have ``ξ_c = ∞`` (σ_b = 0) and the bound comes from the length and gradients instead: ``6 ξ_∇`` is the
        depth at which ``E[z_L²]`` and the mean squared gradient have grown or shrunk by ``e^{±6} ≈ 400``.
        """
        return multiple * (self.gradient_depth_scale() if self.alpha is not None else self.correlation_depth_scale())


def _depth_scale(chi: float) -> float:
    return math.inf if chi == 1 else 1.0 / abs(math.log(chi))


def critical_sigma_w2(activation: str = "relu", sigma_b2: float = 0.0, *, negative_slope: float = 0.01) -> float:
    """The σ_w² where ``χ₁ = 1`` (edge of chaos): ``2/(1 + α²)`` for piecewise-linear φ.

    tanh at ``σ_b² = 0``: ``1/φ'(0)² = 1`` exactly (below it ``q* = 0`` and ``χ₁ = σ_w²``; above it ``q* > 0``
    and ``χ₁ < σ_w²``, so the root sits on the kink of ``χ₁(σ_w²)``). For ``σ_b² > 0``, ``q* > 0`` and
    ``E[φ'²] < 1``, so ``χ₁(1) < 1``: the root is bracketed by ``[1, high]`` with ``high`` doubled until
    ``χ₁ > 1``, and found by ``brentq`` on a continuous function with a sign change.
    """
    mf = MeanField(activation, 1.0, sigma_b2, negative_slope)
    if mf.alpha is not None:
        return 2.0 / (1 + mf.alpha ** 2)
    if sigma_b2 == 0:
        return 1.0 / mf.slope_at_zero() ** 2

    def excess(s: float) -> float:
        return MeanField(activation, s, sigma_b2, negative_slope).chi1() - 1

    low, high = 1.0, 2.0
    while excess(high) <= 0:
        if high > 1e6:
            raise ReluscopeError(f"no critical σ_w² below 1e6 for {activation} at σ_b² = {sigma_b2}")
        low, high = high, 2 * high
    return brentq(excess, low, high, xtol=1e-12, maxiter=500)
