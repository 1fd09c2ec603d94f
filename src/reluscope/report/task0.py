"""Task 0 of the sheet: a baseline MLP on a 2D toy data set, standard-normal weights, clearly above chance."""

from __future__ import annotations

from reluscope.plots.boundary import DecisionBoundaryDisplay
from reluscope.report.config import Budget
from reluscope.report.document import Part, Section, Table
from reluscope.report.figures import render_viewer, steps_axis
from reluscope.report.stage import Stage, StudyContext

QUESTION = """\
*Sheet, Task 0:* a working MLP classifier (PyTorch) that classifies one of the 2D toy data sets clearly
better than guessing. The data is standardised to roughly standard normal; the weights are drawn from
$\\mathcal{N}(0, 1)$.
"""


class Task0(Stage):
    """The baseline run's decision regions over training, its accuracy against chance."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.shallow, "normal")]

    def units(self, b: Budget) -> int:
        return b.frames

    def build(self, ctx: StudyContext) -> Part:
        b = ctx.budget
        result = ctx.run(b.shallow, "normal")
        m = result.metrics
        steps = sorted(result.snapshots)
        X, y = ctx.data.X_train, ctx.data.y_train
        regions = [DecisionBoundaryDisplay.from_model(result.model_at(step), X, y, grid=b.grid) for step in steps]

        def draw(fig, key):
            regions[key[0]].plot(ax=fig.subplots(), title=f"step {steps[key[0]]}")

        viewer = render_viewer("task0_boundary", [steps_axis(steps)], draw, figsize=(4.6, 4.6),
                               margins=dict(left=0.14, right=0.97, bottom=0.11, top=0.93), advance=ctx.advance,
                               caption=f"Decision regions of the {b.shallow}-layer network with N(0, 1) weights "
                                       "over training (training points shown).")
        table = Table(["depth", "init", "status", "final train loss", "train accuracy", "test accuracy",
                       "chance (majority class)"],
                      [[str(b.shallow), "N(0, 1)", m["status"], f"{m['final_loss']:.4g}", f"{m['train_accuracy']:.3f}",
                        f"{m['test_accuracy']:.3f}", f"{m['chance_accuracy']:.3f}"]],
                      caption="The baseline run.", name="task0_baseline")
        finding = (f"With $\\mathcal{{N}}(0,1)$ weights the {b.shallow}-layer network reaches a test accuracy of "
                   f"**{m['test_accuracy']:.3f}** against **{m['chance_accuracy']:.3f}** for guessing the "
                   f"majority class (status: {m['status']}).")
        section = Section("task0", "Task 0 — baseline", answer=QUESTION, blocks=[viewer, table, finding])
        summary = [["0", f"depth {b.shallow}, N(0, 1)",
                    f"test accuracy {m['test_accuracy']:.3f}, final loss {m['final_loss']:.4g}",
                    f"clearly above chance {m['chance_accuracy']:.3f}"]]
        return Part(section, summary)
