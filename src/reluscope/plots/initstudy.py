"""Figures of the initialisation study: variance by layer vs theory, training curves, activation histograms.

Each ``plot_*`` draws one Axes from an ``InitStudyResult`` (``ax=None`` creates a figure) and returns it;
each ``*_figure`` composes the panels the study writes to disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from reluscope.plots.style import axes

if TYPE_CHECKING:
    from reluscope.studies.initstudy import InitStudyResult


def scheme_colors(schemes) -> dict[str, str]:
    """One fixed colour per scheme, in the study's order."""
    cmap = plt.get_cmap("tab10")
    return {s: cmap(i % 10) for i, s in enumerate(schemes)}


def plot_variance_by_layer(result: InitStudyResult, depth: int, *, quantity: str = "pre", ax=None):
    """Measured variance of ``quantity`` per layer (log scale): geometric mean over seeds with the min–max
    band, and the theory for the same weights as a dashed line, one colour per scheme."""
    ax = axes(ax, figsize=(6, 4.5))
    colors = scheme_colors(result.config.schemes)
    for scheme in result.config.schemes:
        rows = [r for r in result.layer_stats
                if r["scheme"] == scheme and r["depth"] == depth and r["quantity"] == quantity]
        if not rows:
            continue
        layers = np.arange(1, depth + 1)
        measured = np.array([[r["var"] for r in rows if r["layer"] == k] for k in layers])  # (depth, seeds)
        theory = np.array([[r["theory_var"] for r in rows if r["layer"] == k] for k in layers])
        with np.errstate(divide="ignore", invalid="ignore"):
            geo = np.exp(np.log(measured).mean(axis=1))
            ax.fill_between(layers, measured.min(axis=1), measured.max(axis=1), color=colors[scheme], alpha=0.15,
                            lw=0)
            ax.plot(layers, geo, "o-", color=colors[scheme], ms=3.5, lw=1.2, label=scheme)
            ax.plot(layers, np.exp(np.log(theory).mean(axis=1)), "--", color=colors[scheme], lw=1)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer")
    ax.set_ylabel({"pre": "Var(z)", "post": "Var(h)", "grad_pre": "Var(∂L/∂z)",
                   "grad_post": "Var(∂L/∂h)"}[quantity])
    ax.set_title(f"depth {depth}: measured (dots, band over seeds) vs theory (dashed)")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_training_curves(result: InitStudyResult, depth: int | None = None, *, metric: str = "train_accuracy",
                         ax=None):
    """``metric`` against the step per scheme at ``depth`` (default the deepest): mean over seeds, band min–max.

    A diverged run's curve stops where it diverged.
    """
    ax = axes(ax, figsize=(6, 4.5))
    depth = result.config.deepest if depth is None else depth
    colors = scheme_colors(result.config.schemes)
    for scheme in result.config.schemes:
        runs = [h for (s, d, _), h in result.histories.items() if s == scheme and d == depth]
        if not runs:
            continue
        steps = [row["step"] for row in max(runs, key=len)]
        values = np.full((len(runs), len(steps)), np.nan)
        for i, h in enumerate(runs):
            values[i, :len(h)] = [row[metric] for row in h]
        values[~np.isfinite(values)] = np.nan
        diverged = sum(r["status"] == "diverged" for r in result.runs if r["scheme"] == scheme and r["depth"] == depth)
        label = f"{scheme} ({diverged}/{len(runs)} diverged)" if diverged else scheme
        with np.errstate(all="ignore"):
            ax.plot(steps, np.nanmean(values, axis=0), color=colors[scheme], lw=1.3, label=label,
                    marker="x" if len(steps) < 3 else None)
            ax.fill_between(steps, np.nanmin(values, axis=0), np.nanmax(values, axis=0), color=colors[scheme],
                            alpha=0.15, lw=0)
    if "loss" in metric:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(f"depth {depth}, {result.config.dataset}")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_activation_histogram(values: list[np.ndarray], *, ax=None, title: str = ""):
    """Per-layer histograms of activations ``h`` (one line per layer) over ``log10 h`` for ``h > 0``; the
    legend gives each layer's fraction of exact zeros (the ReLU's closed half)."""
    ax = axes(ax, figsize=(6, 4))
    cmap = plt.get_cmap("viridis")
    positive = [v[(v > 0) & np.isfinite(v)] for v in values]
    edges = np.histogram_bin_edges(np.log10(np.concatenate([*positive, [1.0]])), bins=60)
    for k, (v, p) in enumerate(zip(values, positive)):
        if not len(p):
            continue
        density, _ = np.histogram(np.log10(p), bins=edges, density=True)
        ax.stairs(density * len(p) / len(v), edges, color=cmap(k / max(len(values) - 1, 1)),
                  label=f"layer {k + 1} ({np.mean(v == 0):.0%} zeros)")
    ax.set_xlabel("log10 h  (h > 0)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=6, ncol=2)
    return ax


def variance_figure(result: InitStudyResult, quantity: str = "pre"):
    """One ``plot_variance_by_layer`` panel per depth of the study."""
    depths = result.config.depths
    fig, axs = plt.subplots(1, len(depths), figsize=(6 * len(depths), 4.5), squeeze=False)
    for ax, depth in zip(axs[0], depths):
        plot_variance_by_layer(result, depth, quantity=quantity, ax=ax)
    fig.tight_layout()
    return fig


def curves_figure(result: InitStudyResult):
    """Train accuracy and train loss per scheme at the deepest depth."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    plot_training_curves(result, metric="train_accuracy", ax=a)
    plot_training_curves(result, metric="train_loss", ax=b)
    fig.tight_layout()
    return fig


def histograms_figure(result: InitStudyResult):
    """Activation histograms at init, one panel per compared scheme (normal vs he), deepest depth, seed 0."""
    schemes = list(result.activations)
    fig, axs = plt.subplots(1, len(schemes), figsize=(6 * len(schemes), 4), squeeze=False)
    for ax, scheme in zip(axs[0], schemes):
        plot_activation_histogram(result.activations[scheme], ax=ax,
                                  title=f"{scheme}: activations at init, depth {result.config.deepest}")
    fig.tight_layout()
    return fig
