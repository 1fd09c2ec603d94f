"""Figures of the initialisation study: variance by layer vs theory, training curves, activation histograms.

After sklearn's Display objects: ``*Display.from_*`` computes the arrays from the study's tidy rows (plain
dicts, as ``reluscope.studies.initstudy`` keeps them), ``plot(ax=None)`` only draws them (a new figure when
``ax`` is None) and returns the Axes; ``row_figure`` puts several displays side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from reluscope.plots.style import axes, series_style

QUANTITY_LABELS = {"pre": "Var(z)", "post": "Var(h)", "grad_pre": "Var(∂L/∂z)", "grad_post": "Var(∂L/∂h)"}


def scheme_styles(schemes: Sequence[str]) -> dict[str, dict]:
    """One fixed colour and marker per scheme, in the study's order (``style.series_style``)."""
    return {s: series_style(i) for i, s in enumerate(schemes)}


@dataclass
class Band:
    """One scheme's curve over seeds: a central line and the min–max band around it."""

    x: np.ndarray  # (m,) layers or steps
    line: np.ndarray  # (m,) geometric mean (variances) or mean (curves) over seeds
    lo: np.ndarray  # (m,) minimum over seeds
    hi: np.ndarray  # (m,) maximum over seeds
    label: str
    style: dict  # its colour and marker (style.series_style)
    reference: np.ndarray | None = None  # (m,) the theory's line (dashed), where there is one


@dataclass
class VarianceDisplay:
    """Measured variance of one quantity per layer at initialisation against the theory for the same weights."""

    depth: int
    quantity: str  # "pre", "post", "grad_pre" or "grad_post" (reluscope.probe.stats.QUANTITIES)
    bands: list[Band]  # one per scheme that has measurements at this depth

    @classmethod
    def from_layer_stats(cls, rows: Sequence[dict], *, depth: int, schemes: Sequence[str],
                         quantity: str = "pre") -> VarianceDisplay:
        """From tidy probe rows (scheme, depth, seed, layer, quantity, var, theory_var): per scheme the
        geometric mean over seeds with its min–max band, and the theory's geometric mean."""
        styles = scheme_styles(schemes)
        layers = np.arange(1, depth + 1)
        bands = []
        for scheme in schemes:
            mine = [r for r in rows if r["scheme"] == scheme and r["depth"] == depth and r["quantity"] == quantity]
            if not mine:
                continue
            measured = np.array([[r["var"] for r in mine if r["layer"] == k] for k in layers])  # (depth, seeds)
            theory = np.array([[r["theory_var"] for r in mine if r["layer"] == k] for k in layers])  # (depth, seeds)
            with np.errstate(divide="ignore", invalid="ignore"):
                geo, reference = np.exp(np.log(measured).mean(axis=1)), np.exp(np.log(theory).mean(axis=1))
            bands.append(Band(layers, geo, measured.min(axis=1), measured.max(axis=1), scheme, styles[scheme],
                              reference))
        return cls(depth, quantity, bands)

    def plot(self, *, ax: Axes | None = None) -> Axes:
        ax = axes(ax, figsize=(6, 4.5))
        for b in self.bands:
            ax.fill_between(b.x, b.lo, b.hi, color=b.style["color"], alpha=0.15, lw=0)
            ax.plot(b.x, b.line, "-", ms=4, lw=1.2, label=b.label, **b.style)
            ax.plot(b.x, b.reference, "--", color=b.style["color"], lw=1)
        if any((b.hi > 0).any() for b in self.bands):  # all zero (every point the same): a linear axis
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer")
        ax.set_ylabel(QUANTITY_LABELS[self.quantity])
        ax.set_title(f"depth {self.depth}: typical measured (dots: geometric mean, band: range over seeds)\n"
                     "vs the theory's expectation (dashed)", fontsize=9)
        ax.legend(fontsize=7, ncol=2)
        return ax


@dataclass
class CurvesDisplay:
    """One training metric against the step, per scheme: mean over seeds with the min–max band."""

    metric: str  # a history column, e.g. "train_accuracy" or "train_loss"
    title: str
    bands: list[Band]

    @classmethod
    def from_histories(cls, histories: dict[tuple[str, int, int], list[dict]], runs: Sequence[dict], *,
                       depth: int, schemes: Sequence[str], metric: str = "train_accuracy",
                       dataset: str = "") -> CurvesDisplay:
        """From the histories keyed (scheme, depth, seed) and the runs' rows (scheme, depth, status). A run
        that stopped early (diverged) ends its curve there; a scheme's label counts its runs by every status
        other than ``ok``, e.g. ``"normal (2/2 diverged)"``."""
        styles = scheme_styles(schemes)
        bands = []
        for scheme in schemes:
            mine = [h for (s, d, _), h in histories.items() if s == scheme and d == depth]
            if not mine:
                continue
            steps = [row["step"] for row in max(mine, key=len)]
            values = np.full((len(mine), len(steps)), np.nan)  # (seeds, steps)
            for i, h in enumerate(mine):
                values[i, :len(h)] = [row[metric] for row in h]
            values[~np.isfinite(values)] = np.nan
            with np.errstate(all="ignore"):
                mean, lo, hi = np.nanmean(values, axis=0), np.nanmin(values, axis=0), np.nanmax(values, axis=0)
            status = Counter(r["status"] for r in runs if r["scheme"] == scheme and r["depth"] == depth)
            failed = ", ".join(f"{n}/{len(mine)} {s}" for s, n in sorted(status.items()) if s != "ok")
            bands.append(Band(np.array(steps), mean, lo, hi, f"{scheme} ({failed})" if failed else scheme,
                              styles[scheme]))
        return cls(metric, f"depth {depth}, {dataset}", bands)

    def plot(self, *, ax: Axes | None = None) -> Axes:
        ax = axes(ax, figsize=(6, 4.5))
        for b in self.bands:  # about 10 markers a line: told apart in greyscale, the line still readable
            ax.plot(b.x, b.line, lw=1.3, ms=4, label=b.label, markevery=max(1, len(b.x) // 10), **b.style)
            ax.fill_between(b.x, b.lo, b.hi, color=b.style["color"], alpha=0.15, lw=0)
        if "loss" in self.metric:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(self.metric.replace("_", " "))
        ax.set_title(self.title)
        ax.legend(fontsize=7, ncol=2)
        return ax


@dataclass
class HistogramDisplay:
    """Per-layer histograms of activations ``h > 0`` over ``log10 h``, each layer's share of exact zeros."""

    edges: np.ndarray  # (bins + 1,) common bin edges in log10 h
    densities: list[np.ndarray | None]  # per layer (bins,): density of log10 h scaled by the share of h > 0
    zeros: list[float]  # per layer: fraction of exact zeros (the ReLU's closed half)
    title: str = ""

    @classmethod
    def from_activations(cls, values: Sequence[np.ndarray], *, title: str = "") -> HistogramDisplay:
        """From each hidden layer's activations (flattened); a layer with no finite ``h > 0`` has no line."""
        positive = [v[(v > 0) & np.isfinite(v)] for v in values]
        edges = np.histogram_bin_edges(np.log10(np.concatenate([*positive, [1.0]])), bins=60)
        densities = []
        for v, p in zip(values, positive):
            density = np.histogram(np.log10(p), bins=edges, density=True)[0] * len(p) / len(v) if len(p) else None
            densities.append(density)
        return cls(edges, densities, [float(np.mean(v == 0)) for v in values], title)

    def plot(self, *, ax: Axes | None = None) -> Axes:
        ax = axes(ax, figsize=(6, 4))
        cmap = plt.get_cmap("viridis")
        for k, (density, zeros) in enumerate(zip(self.densities, self.zeros)):
            if density is not None:
                ax.stairs(density, self.edges, color=cmap(k / max(len(self.zeros) - 1, 1)),
                          label=f"layer {k + 1} ({zeros:.0%} zeros)")
        ax.set_xlabel("log10 h  (h > 0)")
        ax.set_ylabel("density")
        ax.set_title(self.title)
        if any(d is not None for d in self.densities):  # every h = 0: nothing drawn, nothing to name
            ax.legend(fontsize=6, ncol=2)
        return ax


def row_figure(displays: Sequence, *, height: float, panel_width: float = 6.0):
    """The displays side by side, one panel each (``panel_width × height`` inches). Returns the Figure."""
    fig, axs = plt.subplots(1, len(displays), figsize=(panel_width * len(displays), height), squeeze=False)
    for ax, display in zip(axs[0], displays):
        display.plot(ax=ax)
    fig.tight_layout()
    return fig
