"""Task 2 of the sheet: the pseudo-inverse back-projection of every layer of the 11-layer He network over
training, in the three views (input plane, embedded + PCA, the input's non-zero coordinates)."""

from __future__ import annotations

from dataclasses import replace

from reluscope.geometry.backproject import VIEWS, backprojection_maps
from reluscope.geometry.equivalence import check_equivalence
from reluscope.plots.backprojection import backprojection_frames, plot_backprojection
from reluscope.report.config import Budget
from reluscope.report.document import Part, Section, Table
from reluscope.report.figures import layers_axis, render_viewer, steps_axis
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import texts
from reluscope.report.theory import theory_section



class Task2(Stage):
    """Every layer of the deep He network carried back into the input plane over training, and the theorem checked."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.deep, "he")]

    def units(self, b: Budget) -> int:
        return b.frames * b.deep + b.frames + 1

    def build(self, ctx: StudyContext) -> Part:
        b, t = ctx.budget, texts("task2", ctx.cfg.lang)
        result = ctx.run(b.deep, "he")
        steps = sorted(result.snapshots)
        X, shown = ctx.data.X, ctx.shown()  # every point enters the check; the frames draw the shown ones
        frames = []  # per step: view -> {layer index: Frame}
        for step in steps:
            model = result.model_at(step)
            frames.append({v: backprojection_frames(model, *shown, view=v, grid=b.warp_grid) for v in VIEWS})
            ctx.advance(1)

        def draw(fig, key):
            i, layer = key
            for k, view in enumerate(VIEWS):
                frame = frames[i][view][layer]
                ax = plot_backprojection(frame, ax=fig.add_subplot(1, len(VIEWS), k + 1),
                                         title=t("frame_title", view=t(f"view_{view}"), layer=layer + 1,
                                                 step=steps[i]))
                if frame.explained is not None:  # the embedded view's axes are its principal components
                    ax.set(xlabel=t("pc_label", k=1, share=frame.explained[0]),
                           ylabel=t("pc_label", k=2, share=frame.explained[1]))

        axes = [replace(steps_axis(steps), label=t("axis_step")), replace(layers_axis(b.deep), label=t("axis_layer"))]
        viewer = render_viewer("backprojection", axes, draw, figsize=(9.6, 3.8),
                               margins=dict(left=0.06, right=0.99, bottom=0.13, top=0.91, wspace=0.3),
                               advance=ctx.advance, lang=t.lang,
                               caption=t("viewer_caption", deep=b.deep))
        final = result.model_at(steps[-1])
        checks = check_equivalence(final, X, view="embedded")
        _, pinvs = backprojection_maps(final, view="embedded")  # every layer's W⁺: its shape and rank
        ctx.advance(1)
        tol = 1e-8

        columns = [t(f"col_{c}") for c in ("layer", "shape", "cond", "act_from_bp", "bp_from_act", "equal")]
        table = Table(columns,
                      [[str(c.layer + 1), f"{pinvs[c.layer].shape[0]} × {pinvs[c.layer].shape[1]}, "
                        f"{pinvs[c.layer].rank}",
                        *(t.number(v, ".2e") for v in (c.cond, c.act_from_bp, c.bp_from_act)), t(c.verdict(tol))]
                       for c in checks],
                      caption=t("table_caption", step=steps[-1], points=len(X)), name="task2_equivalence")
        verdicts = [c.verdict(tol) for c in checks]
        held, failed, unresolved = (verdicts.count(v) for v in ("yes", "no", "unresolvable"))
        counts = dict(held=held, layers=len(checks), unresolved=unresolved)
        answer = t("answer", deep=b.deep, failed=failed, **counts)
        findings = [t("views", deep=b.deep, width=b.run.width)]
        if unresolved:
            findings.append(t("finding_unresolved", unresolved=unresolved, layers=len(checks), cond=max(c.cond for c in checks)))
        theory = theory_section(2, ctx.cfg.lang)
        section = Section("task2", t("title"), question=texts("sheet", "de")("task2"), answer=answer,
                          blocks=[viewer, table, *findings], derivation=theory.derivation, evidence=theory.evidence)
        summary = [["2", t("summary_setting", depth=b.deep), t("summary_measured", **counts), t("summary_expected")]]
        return Part(section, summary)

