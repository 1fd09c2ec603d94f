"""The decision cells of every layer (the sheet's premise, LE11) of the 11-layer He network, over training: in the
input plane, or for more than two inputs on the plane through three data points (``report.slice``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from reluscope.geometry.box import data_box
from reluscope.geometry.patterns import grid_regions
from reluscope.geometry.region_stats import counts_over_training
from reluscope.plots.regions import plot_counts_over_training, plot_grid_cells
from reluscope.plots.style import plt
from reluscope.report.config import Budget
from reluscope.report.document import Image, Part, Section, Table
from reluscope.report.figures import layers_axis, render_viewer, steps_axis, to_png
from reluscope.report.slice import named_points, near_points, study_plane
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.texts import texts
from reluscope.report.theory import theory_section


class Cells(Stage):
    """The decision cells of every hidden layer of the deep He network over training, by grid and exact count."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.deep, "he")]

    def units(self, b: Budget) -> int:
        return b.frames * (b.deep - 1) + b.frames + (2 if b.exact_final else 1)

    def build(self, ctx: StudyContext) -> Part:
        b, t = ctx.budget, texts("cells", ctx.cfg.lang)
        result = ctx.run(b.deep, "he")
        steps = sorted(result.snapshots)
        on_plane = ctx.data.n_features > 2
        space = "plane" if on_plane else "input"  # the texts' where_SPACE, space_SPACE, box_SPACE
        if on_plane:  # the cells on the study's plane: each snapshot folded onto its coordinates (s, t)
            plane = study_plane(ctx)
            box, shown = plane.box, near_points(ctx, plane)

            def snapshot(step):  # step -> model on the plane
                return plane.fold(result.model_at(step))
        else:
            box, shown = data_box(ctx.data.X), ctx.shown()
            snapshot = result.model_at  # step -> model
        grids = []
        for step in steps:
            grids.append(grid_regions(snapshot(step), box, b.pixels))
            ctx.advance(1)
        counted = [steps[0], steps[-1]] if b.exact_final else [steps[0]]
        exact = counts_over_training(snapshot, counted, box, progress=ctx.advance)  # (len(counted), L)
        exact = dict(zip(counted, exact.tolist()))  # step -> exact cell count per layer

        def draw(axs, key):
            i, layer = key[0], key[1] + 1
            grid = grids[i]
            plot_grid_cells(grid, layer, ax=axs[0], X=shown[0], y=shown[1],
                            title=t("frame_title", step=steps[i], layer=layer, count=grid.counts[layer - 1]))

        hidden = b.deep - 1  # the logits layer has no kink: its cells are those of the last hidden layer
        axes = [replace(steps_axis(steps), label=t("axis_step")),
                replace(layers_axis(hidden, initial=hidden - 1), label=t("axis_layer"))]
        viewer = render_viewer("cells", axes, draw,
                               figsize=(9.6, 5.8), margins=dict(left=0.03, right=0.97, bottom=0.02, top=0.95),
                               advance=ctx.advance, lang=t.lang, blit=True,  # one box, no ticks: shared axes
                               caption=t("viewer_caption", deep=b.deep))
        counts = [g.counts for g in grids]  # (S, L)
        fig = plt.figure(figsize=(9.6, 4), layout="constrained")  # sized before drawing: no label is cut off
        ax = plot_counts_over_training(steps, np.array(counts)[:, :hidden], ax=fig.subplots())
        ax.set(xlabel=t("counts_xlabel"), ylabel=t("counts_ylabel"))
        for layer, text in enumerate(ax.get_legend().get_texts()):  # one entry per hidden layer, in order
            text.set_text(t("counts_legend", layer=layer + 1))
        figure = Image("cells_counts", to_png(fig, lang=t.lang), t("counts_caption"))
        first, last = steps[0], steps[-1]
        columns = [(t("col_grid", step=first), counts[0]), (t("col_exact", step=first), exact[first]),
                   (t("col_grid", step=last), counts[-1])]
        columns += [(t("col_exact", step=last), exact[last])] if last in exact else []
        table = Table([t("col_layer")] + [c for c, _ in columns],
                      [[str(layer + 1)] + [t.number(col[layer]) for _, col in columns] for layer in range(hidden)],
                      caption=t("table_caption", pixels=b.pixels, where=t(f"where_{space}")), name="cells_counts")
        final = exact.get(last, counts[-1])
        how = "exact" if last in exact else "grid"
        answer = t("answer", space=t(f"space_{space}"), box=t(f"box_{space}"), deep=b.deep, first_init=exact[first][0],
                   first_final=final[0], last=last, hidden=hidden, deep_init=exact[first][hidden - 1],
                   deep_final=final[hidden - 1], how=t(f"how_{how}"))
        theory = theory_section(3, ctx.cfg.lang)
        section = Section("cells", t("title"), question=texts("sheet", "de")("cells"), answer=answer,
                          blocks=[viewer, figure, table, t("finding"),
                                  *([t("finding_plane", inputs=ctx.data.n_features, points=named_points(ctx), lo=box[0],
                                      hi=box[1])]
                                    if on_plane else [])], derivation=theory.derivation,
                          evidence=theory.evidence)
        kept = all(a <= b for c in exact.values() for a, b in zip(c, c[1:]))  # a layer refines the cells before it
        summary = [[t("summary_task"), t("summary_setting", depth=b.deep, layer=hidden),
                    t("summary_measured", init=exact[first][hidden - 1], first=first, final=final[hidden - 1],
                      how=t(f"summary_{how}"), last=last, order=t(f"summary_order_{'kept' if kept else 'broken'}")),
                    t("summary_expected")]]
        return Part(section, summary)

