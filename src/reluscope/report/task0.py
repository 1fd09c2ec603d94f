"""Task 0 of the sheet: a baseline MLP on a 2D toy data set, standard-normal weights, clearly above chance.

Its decision regions are drawn in the input plane; for more than two inputs, on the plane through three data
points (``report.slice``)."""

from __future__ import annotations

from dataclasses import replace

from reluscope.geometry.slices import predicted_classes, slice_through
from reluscope.plots.boundary import DecisionBoundaryDisplay
from reluscope.plots.slices import plot_slice
from reluscope.report.config import Budget
from reluscope.report.document import Part, Section, Table
from reluscope.report.figures import render_viewer, steps_axis
from reluscope.report.slice import named_points, plane_indices
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.task1 import status_word
from reluscope.report.texts import Texts, texts
from reluscope.train.outcome import STALL_MARGIN


class Task0(Stage):
    """The baseline run's decision regions over training, its accuracy against chance."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.shallow, "normal")]

    def units(self, b: Budget) -> int:
        return b.frames

    def build(self, ctx: StudyContext) -> Part:
        b, t = ctx.budget, texts("task0", ctx.cfg.lang)
        result = ctx.run(b.shallow, "normal")
        m = result.metrics
        steps = sorted(result.snapshots)
        on_plane = ctx.data.n_features > 2
        draw = (plane_frames if on_plane else input_frames)(ctx, result, steps, t)
        axis = replace(steps_axis(steps), label=t("axis_step"))
        caption = (t("viewer_caption_plane", depth=b.shallow, points=named_points(ctx)) if on_plane
                   else t("viewer_caption", depth=b.shallow))
        viewer = render_viewer("task0_boundary", [axis], draw, figsize=(9.6, 6.4),
                               margins=dict(left=0.05, right=0.95, bottom=0.09, top=0.94), advance=ctx.advance,
                               lang=t.lang, caption=caption, blit=True)  # one grid over the data: shared axes
        status = status_word(m["status"], ctx.cfg.lang)
        columns = [t(f"col_{c}") for c in ("depth", "init", "status", "loss", "train_accuracy", "test_accuracy",
                                           "chance")]
        table = Table(columns, [[str(b.shallow), "N(0, 1)", status, t.number(m["final_loss"], ".4g"),
                                 *(t.number(m[k], ".3f") for k in ("train_accuracy", "test_accuracy",
                                                                   "chance_accuracy"))]],
                      caption=t("table_caption"), name="task0_baseline")
        above = m["test_accuracy"] > m["chance_accuracy"] + STALL_MARGIN
        verdict = t("verdict_above") if above else t("verdict_not_above", margin=STALL_MARGIN)
        answer = t("answer", depth=b.shallow, test=m["test_accuracy"], steps=m["steps_run"],
                   chance=m["chance_accuracy"], verdict=verdict)
        finding = t("finding", train=m["train_accuracy"], loss=m["final_loss"], test=m["test_accuracy"], status=status,
                    meaning=t(f"meaning_{m['status']}", margin=STALL_MARGIN),
                    frames=t("frames_plane", inputs=ctx.data.n_features) if on_plane else t("frames_input"))
        section = Section("task0", t("title"), question=texts("sheet", "de")("task0"), answer=answer,
                          blocks=[viewer, table, finding])
        summary = [["0", t("summary_setting", depth=b.shallow),
                    t("summary_measured", test=m["test_accuracy"], loss=m["final_loss"]),
                    t("summary_expected", chance=m["chance_accuracy"])]]
        return Part(section, summary)


def input_frames(ctx: StudyContext, result, steps: list[int], t: Texts):
    """A frame per snapshot: the decision regions in the input plane, the training points on them."""
    X, y = ctx.data.X_train, ctx.data.y_train
    regions = [DecisionBoundaryDisplay.from_model(result.model_at(step), X, y, grid=ctx.budget.grid)
               for step in steps]

    def draw(axs, key):
        ax = regions[key[0]].plot(ax=axs[0], title=t("frame_title", step=steps[key[0]]))
        ax.set(xlabel=t("xlabel"), ylabel=t("ylabel"))

    return draw


def plane_frames(ctx: StudyContext, result, steps: list[int], t: Texts):
    """A frame per snapshot: the decision regions on the study's plane (``report.slice``), its exact decision
    boundary, and the data points nearest the plane where they project."""
    X, y, through = ctx.data.X, ctx.data.y, plane_indices(ctx)
    models = [result.model_at(step) for step in steps]
    slices = [slice_through(model, X, y, through) for model in models]
    classes = [predicted_classes(model, s.plane, ctx.budget.grid) for model, s in zip(models, slices)]

    def draw(axs, key):
        i = key[0]
        ax = plot_slice(slices[i], classes[i], y, ax=axs[0], n_classes=ctx.data.n_classes,
                        title=t("frame_title", step=steps[i]))
        ax.set(xlabel=t("xlabel_plane"), ylabel=t("ylabel_plane"))

    return draw
