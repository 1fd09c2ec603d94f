"""Heat maps of a trainability sweep over (σ_w², depth), with the mean-field theory drawn over them.

* ``plot_trainability``: final train accuracy (a diverged run counts as chance), mean over seeds; the
  critical line ``χ₁ = 1`` and the depth ``MeanField.trainable_depth``: for tanh ``L = 6ξ_c`` (Schoenholz
  et al. 2017: trainable for L ≲ 6ξ_c); for ReLU, whose correlation depth scale is infinite, ``L = 6ξ_∇``,
  where ``E[z_L²]`` and the squared gradients have grown or shrunk by ``e^{±6}``.
* ``plot_init_variance``: ``log₁₀ E[z_L²]`` of the logits at init, mean over seeds, with the q-map's
  prediction ``log₁₀ q_L`` as labelled contours.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from reluscope.plots.style import axes
from reluscope.probe.meanfield import MeanField, critical_sigma_w2

THEORY_POINTS = 60  # σ_w² values at which the theory curves are evaluated


def _grid(rows: list[dict], value) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted σ_w² (S,), depths (D,) and the mean of ``value(row)`` per cell (D, S); NaN where no run."""
    sw = np.array(sorted({r["sigma_w2"] for r in rows}))
    depths = np.array(sorted({r["depth"] for r in rows}))
    total, count = np.zeros((len(depths), len(sw))), np.zeros((len(depths), len(sw)))
    for r in rows:
        i, j = np.searchsorted(depths, r["depth"]), np.searchsorted(sw, r["sigma_w2"])
        total[i, j] += value(r)
        count[i, j] += 1
    with np.errstate(invalid="ignore"):
        return sw, depths, total / count


def _edges(centers: np.ndarray, low: float = -np.inf) -> np.ndarray:
    """Cell edges halfway between sorted centres, the outer ones as far out (not below ``low``), (len + 1,); a
    lone centre ``c`` gets ``c ± max(0.5, |c|/1000)``: edges float64 tells apart however large ``c`` is."""
    if len(centers) == 1:
        half = max(0.5, abs(centers[0]) / 1000)
        return np.array([max(centers[0] - half, low), centers[0] + half])
    mid = (centers[1:] + centers[:-1]) / 2
    return np.concatenate([[max(2 * centers[0] - mid[0], low)], mid, [2 * centers[-1] - mid[-1]]])


def _heatmap(ax: Axes, sw, depths, values, cmap, label, **kw) -> None:
    x, y = _edges(sw, low=0.0), _edges(depths.astype(float), low=0.5)
    mesh = ax.pcolormesh(x, y, values, cmap=cmap, shading="flat", **kw)
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set(xlabel="σ_w²", ylabel="depth L (linear layers)", xlim=x[[0, -1]], ylim=y[[0, -1]])


def plot_trainability(rows: list[dict], *, activation: str = "relu", sigma_b2: float = 0.0,
                      xi_multiple: float = 6.0, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Final train accuracy per (σ_w², depth) with the critical σ_w² and ``trainable_depth(xi_multiple)``."""
    ax = axes(ax, figsize=(6, 4.5))
    sw, depths, acc = _grid(rows, lambda r: r["chance_accuracy"] if r["status"] == "diverged"
                            else r["train_accuracy"])
    chance = min(r["chance_accuracy"] for r in rows)
    _heatmap(ax, sw, depths, acc, "viridis", "final train accuracy (diverged = chance)", vmin=chance, vmax=1.0)
    crit = critical_sigma_w2(activation, sigma_b2)
    ax.axvline(crit, color="white", ls="--", lw=1.2, label=f"critical σ_w² = {crit:.2f} (χ₁ = 1)")
    fine = np.linspace(sw[0], sw[-1], THEORY_POINTS)
    bound = np.array([MeanField(activation, s, sigma_b2).trainable_depth(xi_multiple) for s in fine])
    label = (f"L = {xi_multiple:g} ξ_c" if MeanField(activation).alpha is None
             else f"L = {xi_multiple:g} ξ_∇: {'E[z_L²], ' if sigma_b2 == 0 else ''}"
                  f"E[grad²] × e^±{xi_multiple:g}")
    ax.plot(fine, bound, color="white", lw=1.5, label=label)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.6)
    ax.set_title(title or f"{activation}: trainability")
    return ax


def plot_init_variance(rows: list[dict], *, activation: str = "relu", sigma_b2: float = 0.0, ax: Axes | None = None,
                       title: str | None = None, contour_label=None) -> Axes:
    """``log₁₀ E[z_L²]`` at init per (σ_w², depth), with the q-map's ``log₁₀ q_L`` as contours, each labelled
    ``contour_label(level)`` (by default ``q-map: 1e+02`` for level 2)."""
    ax = axes(ax, figsize=(6, 4.5))
    sw, depths, logq = _grid(rows, lambda r: np.log10(np.clip(r["q_init"], 1e-300, 1e300)))  # overflow: 1e300
    span = np.nanmax(np.abs(logq))
    _heatmap(ax, sw, depths, logq, "RdBu_r", "log₁₀ E[z_L²] at init (measured)", vmin=-span, vmax=span)
    q_in = float(np.mean([r["q_in"] for r in rows]))
    fine_sw = np.linspace(sw[0], sw[-1], THEORY_POINTS)
    fine_depth = np.arange(1, depths.max() + 1)
    theory = np.array([np.log10(np.clip(MeanField(activation, s, sigma_b2).q_trajectory(q_in, int(depths.max())),
                                        1e-300, None))  # q_in = 0 (every point the same): no length at all
                       for s in fine_sw]).T  # (depth, S)
    levels = [lv for lv in (-20, -10, -5, -2, 0, 2, 5, 10, 20) if theory.min() < lv < theory.max()]
    if levels and len(fine_depth) > 1:  # a contour needs two depths at least
        contours = ax.contour(fine_sw, fine_depth, theory, levels=levels, colors="k", linewidths=0.8)
        ax.clabel(contours, fmt=contour_label or (lambda v: f"q-map: 1e{v:+.0f}"), fontsize=7)
    ax.set_title(title or f"{activation}: layer-L variance at init")
    return ax


def plot_sweep(rows: list[dict], *, activation: str = "relu", xi_multiple: float = 6.0):
    """One column per (data set, σ_b²): trainability above, variance at init below. Returns the figure."""
    panels = sorted({(r["dataset"], r["sigma_b2"]) for r in rows})
    fig, grid = plt.subplots(2, len(panels), figsize=(6.5 * len(panels), 9.5), squeeze=False)
    for col, (dataset, sb2) in enumerate(panels):
        sub = [r for r in rows if (r["dataset"], r["sigma_b2"]) == (dataset, sb2)]
        name = f"{activation}, {dataset}, σ_b² = {sb2:g}"
        plot_trainability(sub, activation=activation, sigma_b2=sb2, xi_multiple=xi_multiple, ax=grid[0, col],
                          title=f"{name}: final train accuracy")
        plot_init_variance(sub, activation=activation, sigma_b2=sb2, ax=grid[1, col],
                           title=f"{name}: E[z_L²] at init")
    fig.tight_layout()
    return fig
