"""The decision cells of every layer (the sheet's premise, LE11) of the 11-layer He network, over training."""

from __future__ import annotations

import numpy as np

from reluscope.geometry.patterns import data_box, grid_regions
from reluscope.geometry.region_stats import counts_over_training
from reluscope.plots.regions import plot_counts_over_training, plot_grid_cells
from reluscope.plots.style import plt
from reluscope.report.config import Budget
from reluscope.report.document import Image, Part, Section, Table
from reluscope.report.figures import layers_axis, render_viewer, steps_axis, to_png
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.theory import theory_section

QUESTION = """\
*The sheet builds on LE11:* the **decision cells** of a layer are the regions of the input plane on which the
network truncated after that layer is a single affine map — one activation pattern of its ReLUs. Below, the
cells of every hidden layer of the {deep}-layer He network of Task 1.4, at each training snapshot, with the
data coloured by class. Each image colours the pattern of every pixel centre (a cell keeps its colour across
layers and steps); the table sets these grid counts beside the exact counts of convex polygons.
"""


class Cells(Stage):
    """The decision cells of every hidden layer of the deep He network over training, by grid and exact count."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.deep, "he")]

    def units(self, b: Budget) -> int:
        return b.frames * (b.deep - 1) + b.frames + (2 if b.exact_final else 1)

    def build(self, ctx: StudyContext) -> Part:
        b = ctx.budget
        result = ctx.run(b.deep, "he")
        steps = sorted(result.snapshots)
        box = data_box(ctx.data.X)
        snapshot = result.model_at  # step -> model
        grids = []
        for step in steps:
            grids.append(grid_regions(snapshot(step), box, b.pixels))
            ctx.advance(1)
        counted = [steps[0], steps[-1]] if b.exact_final else [steps[0]]
        exact = counts_over_training(snapshot, counted, box, progress=ctx.advance)  # (len(counted), L)
        exact = dict(zip(counted, exact.tolist()))  # step -> exact cell count per layer

        def draw(fig, key):
            i, layer = key[0], key[1] + 1
            grid = grids[i]
            plot_grid_cells(grid, layer, ax=fig.subplots(), X=ctx.data.X, y=ctx.data.y,
                            title=f"step {steps[i]}, layer {layer}: {grid.counts[layer - 1]} patterns")

        hidden = b.deep - 1  # the logits layer has no kink: its cells are those of the last hidden layer
        viewer = render_viewer("cells", [steps_axis(steps), layers_axis(hidden, initial=hidden - 1)], draw,
                               figsize=(4.4, 4.4), margins=dict(left=0.03, right=0.97, bottom=0.03, top=0.93),
                               advance=ctx.advance,
                               caption="Decision cells of the network truncated after the chosen layer, at the chosen "
                                       f"training step (He init, depth {b.deep}).")
        counts = [g.counts for g in grids]  # (S, L)
        fig = plt.figure(figsize=(6, 3.6), layout="constrained")  # sized before drawing: no label is cut off
        plot_counts_over_training(steps, np.array(counts)[:, :hidden], ax=fig.subplots())
        figure = Image("cells_counts", to_png(fig), "Cells per hidden layer over training (grid count, log scale).")
        first, last = steps[0], steps[-1]
        columns = [(f"grid, step {first}", counts[0]), (f"exact, step {first}", exact[first]),
                   (f"grid, step {last}", counts[-1])]
        columns += [(f"exact, step {last}", exact[last])] if last in exact else []
        table = Table(["layer"] + [c for c, _ in columns],
                      [[str(layer + 1)] + [str(col[layer]) for _, col in columns] for layer in range(hidden)],
                      caption=f"Cells in the box around the data: patterns of the {b.pixels}² pixel centres (grid) "
                              "and exact convex polygons.", name="cells_counts")
        final = exact.get(last, counts[-1])
        how = "exact" if last in exact else "grid"
        finding = (f"Cells after layer 1: **{exact[first][0]}** at initialisation, **{final[0]}** after {last} steps "
                   f"({how}); after layer {hidden}: **{exact[first][hidden - 1]}** and **{final[hidden - 1]}**. Every "
                   "layer can only cut the cells of the layer before it, so a deeper layer never has fewer.")
        theory = theory_section(3, ctx.cfg.lang)
        section = Section("cells", "Decision cells of every layer", answer=QUESTION.format(deep=b.deep),
                          blocks=[viewer, table, figure, finding], derivation=theory.derivation,
                          evidence=theory.evidence)
        summary = [["cells", f"depth {b.deep}, He, after layer {hidden}",
                    f"{exact[first][hidden - 1]} cells (exact) at step {first} → {final[hidden - 1]} ({how}) "
                    f"at step {last}",
                    "never fewer cells in a deeper layer"]]
        return Part(section, summary)

