"""Task 2 of the sheet: the pseudo-inverse back-projection of every layer of the 11-layer He network over
training, in the three views (input plane, embedded + PCA, the input's non-zero coordinates); for more than two
inputs on the plane through three data points (``report.slice``), with each layer's x̂ of those points drawn as
images when the inputs are square images (the 8×8 digits)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS, backproject, backprojection_maps, forward64
from reluscope.geometry.equivalence import check_equivalence
from reluscope.plots.backprojection import backprojection_frames, plot_backprojection
from reluscope.plots.images import image_shape, plot_layer_images
from reluscope.report.config import Budget
from reluscope.report.document import Image, Part, Section, Table
from reluscope.report.figures import layers_axis, render_viewer, steps_axis, to_png
from reluscope.report.slice import named_points, plane_indices
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import Texts, texts
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

        def draw(axs, key):
            i, layer = key
            for ax, view in zip(axs, VIEWS):
                frame = frames[i][view][layer]
                plot_backprojection(frame, ax=ax,
                                    title=t("frame_title", view=t(f"view_{view}"), layer=layer + 1, step=steps[i]))
                if frame.explained is not None:  # the embedded view's axes are its principal components
                    ax.set(xlabel=t("pc_label", k=1, share=frame.explained[0]),
                           ylabel=t("pc_label", k=2, share=frame.explained[1]))

        axes = [replace(steps_axis(steps), label=t("axis_step")), replace(layers_axis(b.deep), label=t("axis_layer"))]
        viewer = render_viewer("backprojection", axes, draw, figsize=(9.6, 3.8), panels=len(VIEWS),
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
        answer = t("answer", deep=b.deep, **counts)
        if held < len(checks):  # the others: too ill-conditioned to decide, or failing
            answer += " " + t("answer_others", unresolved=unresolved, failed=failed)
        on_plane = X.shape[1] > 2
        findings = [plane_views(ctx, t) if on_plane else t("views", deep=b.deep, width=b.run.width)]
        if unresolved:
            findings.append(t("finding_unresolved", unresolved=unresolved, layers=len(checks),
                              cond=max(c.cond for c in checks)))
        theory = theory_section(2, ctx.cfg.lang)
        section = Section("task2", t("title"), question=texts("sheet", "de")("task2"), answer=answer,
                          blocks=[viewer, *layer_images(ctx, final, steps[-1], t), table, *findings],
                          derivation=theory.derivation, evidence=theory.evidence)
        summary = [["2", t("summary_setting", depth=b.deep), t("summary_measured", **counts), t("summary_expected")]]
        return Part(section, summary)


def plane_views(ctx: StudyContext, t: Texts) -> str:
    """The viewer's three views as they read for more than two inputs: on the study's plane (``report.slice``)."""
    b, n = ctx.budget, ctx.data.n_features
    first = t("first_narrow" if b.run.width < n else "first_wide", inputs=n, width=b.run.width)
    return t("views_plane", deep=b.deep, inputs=n, width=b.run.width, points=named_points(ctx), first=first)


def layer_images(ctx: StudyContext, model, step: int, t: Texts) -> list[Image]:
    """What each layer keeps of the plane's three points: every layer's input-view back-projection x̂_l as an
    image beside the input, the residual x − x̂_l below it (``plots.images``); none when the inputs are not
    square images."""
    X, y = ctx.data.X, ctx.data.y
    try:
        side, _ = image_shape(X.shape[1])
    except ReluscopeError:  # not an image: nothing to draw
        return []
    idx = list(plane_indices(ctx))
    bp = backproject(model, X[idx], view="input")  # points: layer -> (3, n)
    active = {lay.index: (z > 0).double().mean(dim=1).numpy() for lay, z, _ in forward64(model, X[idx])}  # (3,)
    fig = plot_layer_images(X[idx], bp.points, ctx.data.scaler, active=active, labels=y[idx], indices=idx, panel=0.8)
    rows = np.array(fig.axes).reshape(2 * len(idx), len(bp.layers) + 1)  # per input: its images, its residuals
    for r, i in enumerate(idx):  # the titles in the report's words
        top, bottom = rows[2 * r], rows[2 * r + 1]
        for c, layer in enumerate(bp.layers, start=1):
            residual = np.linalg.norm(X[i] - bp.points[layer][r]) / np.linalg.norm(X[i])
            top[c].set_title(t("image_title", layer=layer + 1, active=active[layer][r]), fontsize=6)
            bottom[c].set_title(t("residual_title", residual=residual), fontsize=6)
    return [Image("task2_images", to_png(fig, lang=t.lang),
                  t("images_caption", points=named_points(ctx), step=step, side=side))]
