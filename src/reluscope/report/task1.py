"""Task 1 of the sheet: initialising ReLU networks — the failure of N(0, 1) at depth 11, its diagnosis with
the measured per-layer moments against theory, and He's scheme fixing it.

The runs are the study's own (``StudyContext.run``: the study's data and seed, snapshots kept), so Task 0's
baseline is this study's (depth 3, N(0, 1)) run and Task 2 looks at this study's (depth 11, He) run. They are
gathered into the init study's ``InitStudyResult`` (``InitStudyResult.add``: probed at initialisation beside
the theory for the same weights), whose displays draw the figures.
"""

from __future__ import annotations

import numpy as np

from reluscope.plots.initstudy import row_figure
from reluscope.progress import Progress
from reluscope.report.config import Budget
from reluscope.report.document import Axis, Image, Part, Section, Table, Viewer, option_keys
from reluscope.report.figures import render_viewer, to_png
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.theory import theory_section
from reluscope.studies.initstudy import InitStudyConfig, InitStudyResult
from reluscope.train.outcome import describe

SCHEMES = {"normal": "N(0, 1)", "lecun": "LeCun, Var(W) = 1/n", "he": "He, Var(W) = 2/n"}
QUANTITIES = {"pre": "Var(z)", "post": "Var(h)", "grad_pre": "Var(∂L/∂z)"}  # probe quantity -> toggle label

QUESTION = """\
*Sheet, Task 1:* keep the variance of the intermediate results constant from layer to layer,
$\\operatorname{Var}(y) = \\operatorname{Var}(x)$ for a layer $y = a(x^\\top W + b)$ — a rising variance
overflows, a falling one underflows, multiplicatively over depth. **1.1** Linear case $a(x) = x$: derive
$\\operatorname{Var}(y_i)$ from $\\operatorname{Var}(x)$ and $\\operatorname{Var}(W_{ij})$; how must
$\\operatorname{Var}(W_{ij})$ be chosen for the activations to stay stable as the number of layers grows?
**1.2** Measure the mean and variance of each layer. Change the number of layers to 11: training should stop
working — explain it with the means and variances. **1.3** ReLU case, bias 0: determine $E[y]$ (and the
second moment) and how the weights must be drawn. **1.4** Implement that scheme and train the 11-layer
network again.

**Answers in brief** (derivations below). 1.1: with independent, centred inputs and weights,
$\\operatorname{Var}(y_i) = n \\operatorname{Var}(W_{ij}) \\operatorname{Var}(x_j)$, so
$\\operatorname{Var}(W_{ij}) = 1/n$; any other choice multiplies the variance by $(n \\operatorname{Var}(W))^L$
over $L$ layers. 1.3: for $z \\sim \\mathcal{N}(0, \\sigma^2)$ and $y = \\max(0, z)$,
$E[y] = \\sigma/\\sqrt{2\\pi}$ and $E[y^2] = \\sigma^2/2$; the next layer sees
$\\operatorname{Var}(z') = n \\operatorname{Var}(W) E[y^2]$, so $\\operatorname{Var}(W) = 2/n$ (He).
1.2 and 1.4: the measurements below, on the study's data with width {width}.
"""


class Task1(Stage):
    """The per-layer moments at initialisation against theory, which runs train, the activations."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(depth, scheme) for depth in (b.shallow, b.deep) for scheme in SCHEMES]

    def units(self, b: Budget) -> int:
        """One per run probed, per frame of the variance viewer, per static figure."""
        return len(self.runs(b)) + len(option_keys(variance_axes((b.shallow, b.deep)))) + 2

    def build(self, ctx: StudyContext) -> Part:
        b = ctx.budget
        study = init_study(ctx)
        run = {(r["depth"], r["scheme"]): r for r in study.runs}
        pre = {s: _stat(study, s, b.deep, "pre") for s in SCHEMES}
        grad = {s: _stat(study, s, b.deep, "grad_pre")[0]["var"] for s in SCHEMES}
        blocks = [variance_viewer(study, ctx.advance), moments_table(study, b.shallow), moments_table(study, b.deep),
                  runs_table(study)]
        normal, he = run[b.deep, "normal"], run[b.deep, "he"]
        growth = (pre["normal"][-2]["var"] / pre["normal"][1]["var"]) ** (1 / (b.deep - 3))
        blocks.append(
            f"**1.2** With N(0, 1) weights the pre-activation variance grows by a factor of **{growth:.3g}** per "
            f"layer (measured, layers 2 to {b.deep - 1}; theory $n \\operatorname{{Var}}(W)/2 = {b.run.width / 2:g}$) "
            f"and reaches **{pre['normal'][-1]['var']:.3g}** at the logits of the {b.deep}-layer network (He: "
            f"**{pre['he'][-1]['var']:.3g}**); the gradient of the loss at layer 1 has variance "
            f"**{grad['normal']:.3g}** (He: {grad['he']:.3g}). The {b.deep}-layer N(0, 1) run "
            f"**{describe(normal)}**, test accuracy {normal['test_accuracy']:.3f}. At depth {b.shallow} the same "
            f"weights give a logit variance of {_stat(study, 'normal', b.shallow, 'pre')[-1]['var']:.3g}, and that "
            f"run ends {run[b.shallow, 'normal']['status']}.")
        blocks.append(
            f"**1.4** With He's $\\operatorname{{Var}}(W) = 2/n$ the variance stays within a factor "
            f"**{_spread(pre['he'][:-1]):.3g}** over the hidden layers, and the {b.deep}-layer run ends "
            f"**{he['status']}** with test accuracy **{he['test_accuracy']:.3f}**. LeCun's $1/n$, right for linear "
            f"layers, halves the second moment at every ReLU: variance spread {_spread(pre['lecun'][:-1]):.3g}, "
            f"run {describe(run[b.deep, 'lecun'])}, test accuracy {run[b.deep, 'lecun']['test_accuracy']:.3f}.")
        blocks.append(Image("task1_training_curves", to_png(row_figure(study.curves(), height=4.5), dpi=84),
                            f"Training accuracy and loss at depth {b.deep}, one line per scheme."))
        ctx.advance(1)
        blocks.append(Image("task1_histograms", to_png(row_figure(study.histograms(), height=4), dpi=84),
                            f"Activations at initialisation per layer, depth {b.deep}: N(0, 1) against He."))
        ctx.advance(1)
        theory = theory_section(1, ctx.cfg.lang)
        section = Section("task1", "Task 1 — initialisation of ReLU networks",
                          answer=QUESTION.replace("{width}", str(b.run.width)), blocks=blocks,
                          derivation=theory.derivation, evidence=theory.evidence)
        summary = [["1.2", f"depth {b.deep}, N(0, 1)",
                    f"{normal['status']}, logit Var(z) {pre['normal'][-1]['var']:.3g}",
                    "fails: variance × n/2 per layer"],
                   ["1.4", f"depth {b.deep}, He", f"{he['status']}, test accuracy {he['test_accuracy']:.3f}",
                    "trains: variance constant"]]
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


def moments_table(study: InitStudyResult, depth: int) -> Table:
    """Per layer at initialisation: E[h] and Var(z), measured and predicted, for N(0, 1) and He."""
    columns, cols = ["layer"], []
    for scheme in ("normal", "he"):
        post, pre = _stat(study, scheme, depth, "post"), _stat(study, scheme, depth, "pre")
        name = "N(0,1)" if scheme == "normal" else "He"
        columns += [f"{name}: E[h]", "theory", f"{name}: Var(z)", "theory"]
        cols += [[r["mean"] for r in post], [r["theory_mean"] for r in post], [r["var"] for r in pre],
                 [r["theory_var"] for r in pre]]
    rows = [[str(k + 1)] + [f"{c[k]:.3g}" for c in cols] for k in range(depth)]
    return Table(columns, rows, name=f"task1_moments_depth{depth}",
                 caption=f"Depth {depth} at initialisation, on the training points: mean of the activations h "
                         "and variance of the pre-activations z per layer, measured and predicted by the theory "
                         "for the same weights (layer "
                         f"{depth} is the logits: h = z).")


def runs_table(study: InitStudyResult) -> Table:
    """Every run: its status, accuracies, how it ended (``describe``: where it diverged or collapsed)."""
    rows = [[str(r["depth"]), SCHEMES[r["scheme"]], r["status"], f"{r['train_accuracy']:.3f}",
             f"{r['test_accuracy']:.3f}", "—" if r["status"] == "ok" else describe(r),
             r["unstable_layer_at_init"] or "—"] for r in study.runs]
    base = study.config.base
    return Table(["depth", "init", "status", "train accuracy", "test accuracy", "how it ended",
                  "first layer with E[z²] off by 100× at init"], rows, name="task1_runs",
                 caption=f"Every run of Task 1 ({base.steps} SGD steps, lr {base.lr}, momentum {base.momentum}, "
                         f"seed {base.seed}).")


OPTIONS = [*SCHEMES, "all"]  # the variance viewer's init toggle


def variance_axes(depths: tuple[int, ...]) -> list[Axis]:
    """The variance viewer's toggles: the scheme (or all), the depth and the quantity."""
    return [Axis("init", "toggle", [SCHEMES.get(s, s) for s in OPTIONS], initial=len(OPTIONS) - 1),
            Axis("depth", "toggle", [str(d) for d in depths], initial=len(depths) - 1),
            Axis("quantity", "toggle", list(QUANTITIES.values()))]


def variance_viewer(study: InitStudyResult, advance: Progress) -> Viewer:
    """Per-layer variance against theory, one frame per choice of ``variance_axes``."""
    depths, axes = study.config.depths, variance_axes(study.config.depths)
    displays = {}  # option indices -> VarianceDisplay
    for key in option_keys(axes):
        scheme, depth, quantity = OPTIONS[key[0]], depths[key[1]], list(QUANTITIES)[key[2]]
        displays[key] = study.variance(depth, quantity, schemes=tuple(SCHEMES) if scheme == "all" else (scheme,))

    def draw(fig, key):
        ax = displays[key].plot(ax=fig.subplots())
        ax.set_title(f"depth {displays[key].depth}: measured (dots) vs theory (dashed)", fontsize=10)

    return render_viewer("task1_variance", axes, draw, figsize=(6.4, 4.2),
                         margins=dict(left=0.12, right=0.97, bottom=0.12, top=0.92), dpi=80, advance=advance,
                         caption="Variance per layer at initialisation (log scale), measured on the training points "
                                 "and predicted for the same weights: pre-activations z, activations h, and the "
                                 "gradient of the loss with respect to z.")


def _spread(rows: list[dict]) -> float:
    """max/min of the measured variances of ``rows``."""
    v = np.array([r["var"] for r in rows])
    return float(v.max() / v.min())
