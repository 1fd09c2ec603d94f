"""Task 1.1 measured: the purely linear network, ``a(x) = x``, at initialisation.

A linear layer ``z = x W`` with i.i.d. centred weights, independent of its centred input, has

    Var(z_j) = n · Var(W) · Var(x)        (n the fan-in),

so through ``l`` layers ``Var(z_l) = Π_k (n_k Var(W_k)) · Var(x)``. With ``W ~ N(0, 1)`` every layer
multiplies the variance by its fan-in: ×n in the first layer (n inputs), ×width after it; LeCun's
``Var(W) = 1/n`` keeps every factor at 1. The stage builds the study's deepest network with the identity as
activation, initialises it from the study's seed (the same weights as Task 1's N(0, 1) and LeCun nets: the
weight draws do not depend on the activation), and probes it on the study's training points beside the theory
for the same weights (``studies.initstudy.probe_with_theory``). Nothing is trained.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from reluscope.plots.initstudy import VarianceDisplay
from reluscope.plots.style import plt
from reluscope.report.config import Budget
from reluscope.report.document import Image, Part, Section, Table
from reluscope.report.figures import to_png
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import Texts, texts
from reluscope.studies.initstudy import probe_with_theory
from reluscope.train.loop import build_model

SCHEMES = ("normal", "lecun")  # N(0, 1): Var(W) = 1; LeCun: Var(W) = 1/n


class LinearNet(Stage):
    """Per-layer variance of the linear deep net at initialisation, N(0, 1) against LeCun, against theory."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return []  # nothing is trained

    def units(self, b: Budget) -> int:
        """One per network probed, one for the figure."""
        return len(SCHEMES) + 1

    def build(self, ctx: StudyContext) -> Part:
        b, t = ctx.budget, texts("linear", ctx.cfg.lang)
        rows = probe_linear(ctx)
        var_x = input_variance(ctx)
        values = dict(measurements(rows, var_x), depth=b.deep, hidden_last=b.deep - 1, width=b.run.width,
                      points=len(ctx.data.y_train), inputs=ctx.data.n_features, classes=ctx.data.n_classes,
                      dims=t("dims_plane") if ctx.data.n_features == 2 else t("dims_space", inputs=ctx.data.n_features))
        figure = Image("task1_linear_variance", to_png(variance_figure(rows, b.deep, t), dpi=96, lang=t.lang),
                       t("figure_caption", **values))
        ctx.advance(1)
        fan_in = [ctx.data.X_train.shape[1]] + [b.run.width] * (b.deep - 1)
        blocks = [figure, variance_table(rows, var_x, fan_in, t), t("finding", **values)]
        section = Section("task1-linear", t("title"), question=texts("sheet", "de")("task1_linear"),
                          answer=t("answer", **values), blocks=blocks)
        summary = [[t("summary_task"), *(t(f"summary_{scheme}_{column}", **values)
                                         for column in ("setting", "measured", "expected"))] for scheme in SCHEMES]
        return Part(section, summary)


def probe_linear(ctx: StudyContext) -> list[dict]:
    """Tidy probe rows (``probe_with_theory``) of the linear deep net under each of ``SCHEMES`` at init."""
    b, X = ctx.budget, ctx.data.X_train.astype(np.float32)  # (n_train, n)
    rows = []
    for scheme in SCHEMES:
        cfg = replace(ctx.cfg.train_config(b.deep, scheme), activation="identity")
        model = build_model(cfg, ctx.data.n_classes, torch.Generator().manual_seed(cfg.seed),
                            n_features=ctx.data.n_features)
        rows += probe_with_theory(model, X, ctx.data.y_train, scheme=scheme, depth=b.deep, seed=cfg.seed)
        ctx.advance(1)
    return rows


def input_variance(ctx: StudyContext) -> float:
    """Var(x) of the training points, both coordinates pooled (≈ 1: the data are standardised)."""
    return float(np.var(ctx.data.X_train))


def layer_variances(rows: list[dict], scheme: str, column: str = "var") -> np.ndarray:
    """``column`` of the pre-activations z per layer under ``scheme``, (depth,)."""
    mine = sorted((r for r in rows if r["scheme"] == scheme and r["quantity"] == "pre"), key=lambda r: r["layer"])
    return np.array([r[column] for r in mine])


def growth(variances: np.ndarray, var_x: float) -> np.ndarray:
    """Each layer's factor ``Var(z_l)/Var(z_{l−1})``, the first against ``Var(x)``, (depth,)."""
    return variances / np.concatenate([[var_x], variances[:-1]])


def geometric_mean(factors: np.ndarray) -> float:
    return float(np.exp(np.log(factors).mean()))


def measurements(rows: list[dict], var_x: float) -> dict[str, float]:
    """The numbers the section states, from the probe's rows.

    ``first``: the N(0, 1) growth factor of layer 1 (theory: its n inputs); ``hidden``, ``hidden_min``,
    ``hidden_max``: the geometric mean and range of the factors of layers 2 … L−1 (theory: the width);
    ``out``: the output layer's factor, whose few units (one per class) make it a sum of few random terms; ``lo``,
    ``hi``: LeCun's ``Var(z_l)/Var(x)`` over the hidden layers (theory: 1) and ``out_lecun`` at the output;
    ``dev``: the largest factor between measurement and theory in a hidden layer, either scheme;
    ``out_ratio``: measured over predicted at the N(0, 1) output; ``last``, ``last_theory``: both there.
    """
    normal, lecun = (layer_variances(rows, s) for s in SCHEMES)
    g, ratio = growth(normal, var_x), lecun / var_x
    off = np.concatenate([np.abs(np.log(layer_variances(rows, s) / layer_variances(rows, s, "theory_var")))[:-1]
                          for s in SCHEMES])
    last_theory = layer_variances(rows, "normal", "theory_var")[-1]
    return dict(var_x=var_x, first=g[0], hidden=geometric_mean(g[1:-1]), hidden_min=g[1:-1].min(),
                hidden_max=g[1:-1].max(), out=g[-1], lo=ratio[:-1].min(), hi=ratio[:-1].max(), out_lecun=ratio[-1],
                dev=float(np.exp(off.max())), last=normal[-1], last_theory=last_theory,
                out_ratio=normal[-1] / last_theory)


def variance_figure(rows: list[dict], depth: int, t: Texts):
    """Var(z) per layer (log scale): measured (dots) against the theory for the same weights (dashed)."""
    display = VarianceDisplay.from_layer_stats(rows, depth=depth, schemes=SCHEMES, quantity="pre")
    for band in display.bands:
        band.label = t(f"legend_{band.label}")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.92)  # no layout engine: faster
    display.plot(ax=ax)
    ax.set(xlabel=t("x_label"), ylabel=t("y_label"))
    ax.set_title(t("figure_title", depth=depth), fontsize=10)
    ax.legend(fontsize=9)
    return fig


def variance_table(rows: list[dict], var_x: float, fan_in: list[int], t: Texts) -> Table:
    """Per layer: its fan-in n, and per scheme Var(z) measured, predicted for the same weights, and its growth
    factor (the input x in the first row)."""
    cols = []
    for scheme in SCHEMES:
        measured = layer_variances(rows, scheme)
        cols += [measured, layer_variances(rows, scheme, "theory_var"), growth(measured, var_x)]
    body = [[str(k + 1), str(n)] + [t.number(c[k], ".3g") for c in cols] for k, n in enumerate(fan_in)]
    inputs = [t("col_input"), "—"] + ([t.number(var_x, ".3g")] * 2 + ["—"]) * len(SCHEMES)
    return Table([t("col_layer"), t("col_fan_in"),
                  *(t(f"col_{s}_{q}") for s in SCHEMES for q in ("var", "theory", "growth"))],
                 [inputs, *body], caption=t("table_caption"), name="task1_linear_variance")
