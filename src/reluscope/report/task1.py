"""Task 1 of the sheet: initialising ReLU networks — the failure of N(0, 1) at depth 11, its diagnosis with
the measured per-layer moments against theory, and He's scheme fixing it.

The runs are the study's own (``StudyContext.run``: the study's data and seed, snapshots kept), so Task 0's
baseline is this study's (depth 3, N(0, 1)) run and Task 2 looks at this study's (depth 11, He) run. They are
gathered into the init study's ``InitStudyResult`` (``InitStudyResult.add``: probed at initialisation beside
the theory for the same weights), whose displays draw the figures.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from reluscope.plots.initstudy import HistogramDisplay, row_figure
from reluscope.progress import Progress
from reluscope.report.config import Budget
from reluscope.report.document import Axis, Image, Part, Section, Table, Viewer, option_keys
from reluscope.report.figures import render_viewer, to_png
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import Texts, dataset_name, texts
from reluscope.report.theory import theory_section
from reluscope.studies.initstudy import CURVES, InitStudyConfig, InitStudyResult
from reluscope.train.outcome import STALL_MARGIN

SCHEMES = ("normal", "lecun", "he")  # the init schemes compared, labelled by texts/task1.toml's scheme_NAME
QUANTITIES = {"pre": "Var(z)", "post": "Var(h)", "grad_pre": "Var(∂L/∂z)"}  # probe quantity -> toggle label
LAYER = re.compile(r"layer (\d+) \((.+)\)")  # a layer as reluscope.train.outcome names it: "layer 3 (6)"


class Task1(Stage):
    """The per-layer moments at initialisation against theory, which runs train, the activations."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(depth, scheme) for depth in (b.shallow, b.deep) for scheme in SCHEMES]

    def units(self, b: Budget) -> int:
        """One per run probed, per frame of the variance viewer (init × depth × quantity), per static figure."""
        return len(self.runs(b)) + len(OPTIONS) * len((b.shallow, b.deep)) * len(QUANTITIES) + 2

    def build(self, ctx: StudyContext) -> Part:
        b, lang = ctx.budget, ctx.cfg.lang
        t = texts("task1", lang)
        study = init_study(ctx)
        run = {(r["depth"], r["scheme"]): r for r in study.runs}
        pre = {s: _stat(study, s, b.deep, "pre") for s in SCHEMES}
        grad = {s: _stat(study, s, b.deep, "grad_pre")[0]["var"] for s in SCHEMES}
        viewer = variance_viewer(study, t, ctx.advance)
        curves = Image("task1_training_curves", to_png(curves_figure(study, t), dpi=84, lang=lang),
                       t("curves_caption", depth=b.deep))
        ctx.advance(1)
        histograms = Image("task1_histograms", to_png(histograms_figure(study, t), dpi=84, lang=lang),
                           t("hist_caption", depth=b.deep))
        ctx.advance(1)
        normal, he, lecun = run[b.deep, "normal"], run[b.deep, "he"], run[b.deep, "lecun"]
        growth = (pre["normal"][-2]["var"] / pre["normal"][1]["var"]) ** (1 / (b.deep - 3))
        status = {key: t(f"status_{r['status']}") for key, r in run.items()}  # (depth, scheme) -> status word
        findings = [
            t("finding_growth", growth=growth, last_hidden=b.deep - 1, half=b.run.width / 2, deep=b.deep,
              normal_logits=pre["normal"][-1]["var"], he_logits=pre["he"][-1]["var"], normal_grad=grad["normal"],
              he_grad=grad["he"], normal_ended=how_it_ended(normal, t), normal_test=normal["test_accuracy"],
              normal_evaluated=normal["evaluated_at_step"],
              shallow=b.shallow, shallow_logits=_stat(study, "normal", b.shallow, "pre")[-1]["var"],
              shallow_status=status[b.shallow, "normal"]),
            t("finding_he", he_spread=_spread(pre["he"][:-1]), deep=b.deep, he_status=status[b.deep, "he"],
                he_test=he["test_accuracy"], lecun_spread=_spread(pre["lecun"][:-1]),
              lecun_ended=how_it_ended(lecun, t), lecun_test=lecun["test_accuracy"]),
            t("statuses", margin=STALL_MARGIN, **{s: t(f"status_{s}") for s in STATUSES}),
        ]
        answer = t("answer", growth=growth, half=b.run.width / 2, deep=b.deep, normal_status=status[b.deep, "normal"],
                   normal_test=normal["test_accuracy"], he_status=status[b.deep, "he"], he_test=he["test_accuracy"])
        theory = theory_section(1, lang)
        section = Section("task1", t("title"), question=texts("sheet", "de")("task1"), answer=answer,
                          blocks=[viewer, curves, histograms, moments_table(study, b.shallow, t),
                                  moments_table(study, b.deep, t), runs_table(study, lang), *findings],
                          derivation=theory.derivation, evidence=theory.evidence)
        summary = [["1.2", t("summary_setting", depth=b.deep, scheme=t("scheme_normal")),
                    t("summary_failure", status=status[b.deep, "normal"], var=pre["normal"][-1]["var"]),
                    t("summary_failure_expected")],
                   ["1.4", t("summary_setting", depth=b.deep, scheme=t("scheme_he")),
                    t("summary_fix", status=status[b.deep, "he"], test=he["test_accuracy"]), t("summary_fix_expected")]]
        return Part(section, summary)


def init_study(ctx: StudyContext) -> InitStudyResult:
    """The study's runs as an ``InitStudyResult``: each probed at initialisation beside the theory.

    ``run_init_study`` trains its own runs over seeds, each on its own data; here the runs are the study's (one
    seed, one data set, the settings of ``StudyConfig.base``), trained once and shared with Task 0, Task 2 and
    the cells.
    """
    b = ctx.budget
    study = InitStudyResult(InitStudyConfig(depths=(b.shallow, b.deep), schemes=tuple(SCHEMES), seeds=1,
                                            base=ctx.cfg.base))
    for depth in study.config.depths:
        for scheme in study.config.schemes:
            study.add(ctx.run(depth, scheme), ctx.data, scheme=scheme, depth=depth, seed=ctx.cfg.seed)
            ctx.advance(1)
    return study


def _stat(study: InitStudyResult, scheme: str, depth: int, quantity: str) -> list[dict]:
    return [r for r in study.layer_stats if r["scheme"] == scheme and r["depth"] == depth and r["quantity"] == quantity]


def moments_table(study: InitStudyResult, depth: int, t: Texts) -> Table:
    """Per layer at initialisation: E[h] and Var(z), measured and predicted, for N(0, 1) and He."""
    columns, cols = [t("layer")], []
    for scheme in ("normal", "he"):
        post, pre = _stat(study, scheme, depth, "post"), _stat(study, scheme, depth, "pre")
        name = "N(0,1)" if scheme == "normal" else "He"
        columns += [f"{name}: E[h]", t("theory"), f"{name}: Var(z)", t("theory")]
        cols += [[r["mean"] for r in post], [r["theory_mean"] for r in post], [r["var"] for r in pre],
                 [r["theory_var"] for r in pre]]
    rows = [[str(k + 1)] + [t.number(c[k], ".3g") for c in cols] for k in range(depth)]
    return Table(columns, rows, name=f"task1_moments_depth{depth}", caption=t("moments_caption", depth=depth))


def runs_table(study: InitStudyResult, lang: str = "en") -> Table:
    """Every run: its status, accuracies, how it ended (where it diverged or collapsed), in ``lang``."""
    t = texts("task1", lang)
    rows = [[str(r["depth"]), t(f"scheme_{r['scheme']}"), t(f"status_{r['status']}"),
             t.number(r["train_accuracy"], ".3f"), t.number(r["test_accuracy"], ".3f"),
             "—" if r["status"] == "ok" else how_it_ended(r, t),
             layer_words(r["unstable_layer_at_init"], t) or "—"] for r in study.runs]
    base = study.config.base
    columns = [t(f"col_{c}") for c in ("depth", "init", "status", "train_accuracy", "test_accuracy", "ended",
                                       "unstable")]
    return Table(columns, rows, name="task1_runs",
                 caption=t("runs_caption", steps=base.steps, lr=base.lr, momentum=base.momentum, seed=base.seed))


STATUSES = ("ok", "diverged", "collapsed", "stalled")  # reluscope.train.outcome's, named by texts' status_NAME


def status_word(status: str, lang: str) -> str:
    """A run's status (one of ``STATUSES``) as the report names it in ``lang``."""
    return texts("task1", lang)(f"status_{status}")


def how_it_ended(metrics: dict, t: Texts) -> str:
    """How a run ended, with its step and layer, in ``t``'s language: in English the words of
    ``reluscope.train.outcome.describe`` with each layer named by its place among the linear layers alone,
    e.g. ``"diverged at step 3: layer 2 overflowed"`` (the library adds the module's index: ``layer 2 (2)``)."""
    status = metrics["status"]
    if status == "diverged":
        return t("ended_diverged", step=metrics["diverged_at_step"], layer=layer_words(metrics["diverged_layer"], t))
    if status == "collapsed":
        dead = metrics.get("collapsed_layer")
        return t("ended_collapsed", step=metrics["collapsed_at_step"], best=metrics["best_train_accuracy"],
                 best_step=metrics["best_step"], where=t("ended_dead", layer=layer_words(dead, t)) if dead else "")
    if status == "stalled":
        return t("ended_stalled", chance=metrics["chance_accuracy"])
    return t(f"status_{status}")


def layer_words(name: str | None, t: Texts) -> str | None:
    """A layer named by ``reluscope.train.outcome.layer_name`` (``"layer 3 (6)"``) in ``t``'s language, by its
    place among the linear layers (``"layer 3"``): the module's index in the Sequential means nothing to a reader."""
    match = LAYER.fullmatch(name or "")
    return t("layer_name", index=match[1]) if match else name


OPTIONS = [*SCHEMES, "all"]  # the variance viewer's init toggle


def variance_axes(depths: tuple[int, ...], t: Texts) -> list[Axis]:
    """The variance viewer's toggles: the scheme (or all), the depth and the quantity."""
    return [Axis(t("axis_init"), "toggle", [t(f"scheme_{s}") for s in OPTIONS], initial=len(OPTIONS) - 1),
            Axis(t("axis_depth"), "toggle", [str(d) for d in depths], initial=len(depths) - 1),
            Axis(t("axis_quantity"), "toggle", list(QUANTITIES.values()))]


def variance_viewer(study: InitStudyResult, t: Texts, advance: Progress) -> Viewer:
    """Per-layer variance against theory, one frame per choice of ``variance_axes``."""
    depths, axes = study.config.depths, variance_axes(study.config.depths, t)
    displays = {}  # option indices -> VarianceDisplay
    for key in option_keys(axes):
        scheme, depth, quantity = OPTIONS[key[0]], depths[key[1]], list(QUANTITIES)[key[2]]
        display = study.variance(depth, quantity, schemes=tuple(SCHEMES) if scheme == "all" else (scheme,))
        displays[key] = replace(display, bands=[replace(b, label=t(f"scheme_{b.label}")) for b in display.bands])

    def draw(axs, key):
        ax = displays[key].plot(ax=axs[0])
        ax.set_xlabel(t("layer"))
        ax.set_title(t("variance_title", depth=displays[key].depth), fontsize=10)

    return render_viewer("task1_variance", axes, draw, figsize=(9.6, 5.4),
                         margins=dict(left=0.08, right=0.98, bottom=0.1, top=0.91), advance=advance, lang=t.lang,
                         caption=t("variance_caption"))


def curves_figure(study: InitStudyResult, t: Texts):
    """Train accuracy and loss over training at the deepest depth, one line per scheme (its status if not ok)."""
    deep = study.config.deepest
    status = {r["scheme"]: r["status"] for r in study.runs if r["depth"] == deep}
    dataset, displays = dataset_name(study.config.base.dataset, t.lang), []
    for display in study.curves():  # one band per scheme, in the study's order: every scheme ran at every depth
        bands = [replace(b, label=t(f"scheme_{s}") + ("" if status[s] == "ok" else f" ({t(f'status_{status[s]}')})"))
                 for s, b in zip(study.config.schemes, display.bands, strict=True)]
        displays.append(replace(display, bands=bands, title=t("curves_title", depth=deep, dataset=dataset)))
    fig = row_figure(displays, height=4.5)
    for ax, metric in zip(fig.axes, CURVES):
        ax.set(xlabel=t("step"), ylabel=t(f"metric_{metric}"))
    fig.tight_layout()
    return fig


def histograms_figure(study: InitStudyResult, t: Texts):
    """Per compared scheme, the activations at initialisation of every hidden layer (deepest depth)."""
    deep = study.config.deepest
    displays = [HistogramDisplay.from_activations(values, title=t("hist_title", scheme=t(f"scheme_{s}"), depth=deep))
                for s, values in study.activations.items()]
    fig = row_figure(displays, height=4)
    for ax, display in zip(fig.axes, displays):
        ax.set_ylabel(t("hist_density"))
        drawn = [k for k, density in enumerate(display.densities) if density is not None]  # the legend's layers
        if drawn:
            for k, text in zip(drawn, ax.get_legend().get_texts(), strict=True):
                text.set_text(t("hist_layer", layer=k + 1, zeros=display.zeros[k]))
    fig.tight_layout()
    return fig


def _spread(rows: list[dict]) -> float:
    """max/min of the measured variances of ``rows``."""
    v = np.array([r["var"] for r in rows])
    return float(v.max() / v.min())
