"""Mean-field theory and trainability: a small sweep of ReLU nets over σ_w² × depth, drawn with the theory.

Every net has ``W ~ N(0, σ_w²/n)`` and ``b = 0`` and trains a few full-batch SGD steps (the sweep of
``reluscope.studies.sweep``, local backend, the sizes of ``Budget.sweep_*``). For ReLU a layer multiplies the
length ``q = E[z²]`` and the mean squared gradient by ``χ₁ = σ_w²/2``:

    q_L = (σ_w²/2)^{L−1} · q_1,    ξ_∇ = 1/|ln(σ_w²/2)|,

critical at ``σ_w² = 2`` (He), in expectation. The correlation map of ReLU has ``J'(1) = 1`` for every σ_w²:
no ordered or chaotic phase, no exponential correlation depth (correlations approach 1 polynomially). The
curve ``L = 6ξ_∇`` (where ``q_L`` and the gradients have changed by ``e^{±6}``) is drawn as a rule of thumb for
the sweep's SGD setting: the band moves with the learning rate. ``docs/theory.md`` §4.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.plots.sweep import plot_init_variance, plot_trainability
from reluscope.plots.style import plt
from reluscope.probe.meanfield import MeanField as Theory
from reluscope.probe.meanfield import critical_sigma_w2
from reluscope.report.config import Budget
from reluscope.report.document import Image, Part, Section, Table
from reluscope.report.figures import to_png
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import Texts, dataset_name, texts
from reluscope.report.theory import theory_section
from reluscope.studies.store import ERROR
from reluscope.studies.sweep import SweepConfig, plan, run_sweep

DATASET = "moons"  # learned by a shallow net within the sweep's few steps (spirals is not)
ACTIVATION = "relu"


def sweep_config(b: Budget, seed: int) -> SweepConfig:
    """The section's sweep: ``Budget.sweep_*`` on ``DATASET``, one seed per cell; ``seed`` draws the points."""
    base = replace(b.run, dataset=DATASET, activation=ACTIVATION, n_samples=b.sweep_points, width=b.sweep_width,
                   steps=b.sweep_steps, snapshots=0, seed=seed)
    return SweepConfig(depths=list(b.sweep_depths), sigma_w2=list(b.sweep_sigma_w2), datasets=[DATASET], seeds=1,
                       base=base)


class MeanField(Stage):
    """Final train accuracy and E[z_L²] at init over (σ_w², depth), with the critical σ_w² and L = 6ξ_∇."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return []  # the sweep trains its own nets

    def units(self, b: Budget) -> int:
        """A training step of each ensemble of the sweep (one per depth), one for the figure."""
        cfg = sweep_config(b, 0)
        return len(plan(cfg, set())) * cfg.base.steps + 1

    def build(self, ctx: StudyContext) -> Part:
        b, t = ctx.budget, texts("meanfield", ctx.cfg.lang)
        cfg = sweep_config(b, ctx.cfg.seed)
        with tempfile.TemporaryDirectory() as out:
            rows = run_sweep(cfg, out, progress=ctx.advance, draw=False).rows  # drawn here, in the report's words
        failed = [r for r in rows if r["status"] == ERROR]
        if failed:
            raise ReluscopeError(f"the mean-field sweep failed: {failed[0]['error']}")
        values = measurements(rows, t)
        values.update(width=b.sweep_width, steps=b.sweep_steps, points=cfg.base.n_samples,
                      dataset=dataset_name(DATASET, t.lang),
                      nets=len(rows))
        figure = Image("meanfield_sweep", to_png(sweep_figure(rows, t), dpi=80, lang=t.lang),
                       t("figure_caption", **values))
        ctx.advance(1)
        theory = theory_section(4, ctx.cfg.lang)
        section = Section("meanfield", t("title"), question=texts("sheet", "de")("task1_intro"),
                          answer=t("answer", **values), blocks=[figure, sweep_table(rows, t), t("finding", **values)],
                          derivation=theory.derivation, evidence=theory.evidence)
        summary = [[t("summary_task"), t("summary_setting", **values), t("summary_measured", **values),
                    t("summary_expected")]]
        return Part(section, summary)


def _cell(rows: list[dict], sigma_w2: float, depth: int) -> dict:
    return next(r for r in rows if r["sigma_w2"] == sigma_w2 and r["depth"] == depth)


def input_length(rows: list[dict]) -> float:
    """``q_in = E[x²]`` of the sweep's training points (the same points in every task)."""
    return float(np.mean([r["q_in"] for r in rows]))


def q_map(q_in: float, sigma_w2: float, depth: int) -> float:
    """The mean-field length ``q_L`` of the logits of a depth-``depth`` ReLU net at init."""
    return float(Theory(ACTIVATION, sigma_w2).q_trajectory(q_in, depth)[-1])


def measurements(rows: list[dict], t: Texts) -> dict:
    """The numbers the answer states, at the deepest depth: for the smallest σ_w² (``low``), the grid's value
    nearest the critical one (``crit``) and the largest (``high``) the final train accuracy and status, the
    measured ``E[z_L²]`` at init and the q-map's; ``6ξ_∇`` at ``low`` and ``high``."""
    sigmas, depth = sorted({r["sigma_w2"] for r in rows}), max(r["depth"] for r in rows)
    critical = critical_sigma_w2(ACTIVATION)
    q_in = input_length(rows)
    picks = dict(low=sigmas[0], crit=min(sigmas, key=lambda s: abs(s - critical)), high=sigmas[-1])
    values = dict(depth=depth, critical=critical, q_in=q_in)
    for name, s in picks.items():
        r = _cell(rows, s, depth)
        values.update({name: s, f"acc_{name}": r["train_accuracy"], f"status_{name}": t(f"status_{r['status']}"),
                       f"q_{name}": r["q_init"], f"qmap_{name}": q_map(q_in, s, depth),
                       f"bound_{name}": Theory(ACTIVATION, s).trainable_depth()})
    return values


def sweep_figure(rows: list[dict], t: Texts):
    """Trainability (left) and E[z_L²] at init (right) over (σ_w², depth), labelled in the report's language."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.25)  # no layout engine: faster
    plot_trainability(rows, activation=ACTIVATION, ax=left, title=t("accuracy_title"))
    plot_init_variance(rows, activation=ACTIVATION, ax=right, title=t("variance_title"),
                       contour_label=lambda level: t("contour_label", q=10.0 ** level))
    for ax, colorbar in ((left, t("accuracy_colorbar")), (right, t("variance_colorbar"))):
        ax.set(xlabel=t("x_label"), ylabel=t("y_label"))
        next(c for c in ax.collections if c.colorbar is not None).colorbar.set_label(colorbar)
    critical, bound = left.get_legend().get_texts()
    critical.set_text(t("legend_critical", critical=critical_sigma_w2(ACTIVATION)))
    bound.set_text(t("legend_bound"))
    return fig


def sweep_table(rows: list[dict], t: Texts) -> Table:
    """Per σ_w²: χ₁, the bound 6ξ_∇, E[z_L²] at init at the deepest depth (measured and q-map), the final train
    accuracy at every depth (with the run's status when it is not ok)."""
    sigmas, depths = sorted({r["sigma_w2"] for r in rows}), sorted({r["depth"] for r in rows})
    q_in, deepest = input_length(rows), depths[-1]
    body = []
    for s in sigmas:
        theory = Theory(ACTIVATION, s)
        bound = theory.trainable_depth()
        accuracy = [_accuracy(_cell(rows, s, d), t) for d in depths]
        numbers = (theory.chi1(), bound, _cell(rows, s, deepest)["q_init"], q_map(q_in, s, deepest))
        body.append([t.number(s, "g"), *(t.number(v, ".3g") for v in numbers), *accuracy])
    columns = [t("col_sigma"), t("col_chi1"), t("col_bound"), t("col_q", depth=deepest),
               t("col_qmap", depth=deepest), *(t("col_accuracy", depth=d) for d in depths)]
    return Table(columns, body, caption=t("table_caption"), name="meanfield_sweep")


def _accuracy(row: dict, t: Texts) -> str:
    text = t.number(row["train_accuracy"], ".3f")
    return text if row["status"] == "ok" else f"{text} ({t('status_' + row['status'])})"
