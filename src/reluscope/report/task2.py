"""Task 2 of the sheet: the pseudo-inverse back-projection of every layer of the 11-layer He network over
training, in the three views (input plane, embedded + PCA, the input's non-zero coordinates)."""

from __future__ import annotations

import torch

from reluscope.geometry.backproject import VIEWS, backprojection_maps
from reluscope.geometry.equivalence import check_equivalence
from reluscope.plots.backprojection import backprojection_frames, plot_backprojection
from reluscope.report.config import Budget
from reluscope.report.document import Part, Section, Table
from reluscope.report.figures import layers_axis, render_viewer, steps_axis
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.theory import theory_section

EPS64 = float(torch.finfo(torch.float64).eps)  # float64 round-off unit

QUESTION = """\
*Sheet, Task 2:* $y = \\operatorname{{relu}}(xW + b)$ is an affine change of basis followed by the
non-linearity; undo the change of basis after it, $\\hat x = (y - b)W^{{+}}$ with the pseudo-inverse
$W^{{+}}$ ($W W^{{+}} W = W$). **2.1** Prove that for $n \\ge m$ the activation is equal under a suitable
affine basis to its back-projection (and state exactly when this holds). **2.2** Implement the
back-projection, carry every layer back into the input space (layer 2 through layer 1's back-projection,
and so on), and show what each layer does while the network trains: in the input space embedded in
$\\mathbb{{R}}^{{m_{{\\max}}}}$ reduced by PCA, or in the input's non-zero dimensions.

Below: every layer of the {deep}-layer He network of Task 1.4 at every training snapshot. Each frame
shows the three views side by side: **input** ($W_1^{{+}}$ straight into the plane), **embedded** (the plane
embedded in $\\mathbb{{R}}^{{{width}}}$, first layer completed to an invertible map, first two principal
components) and **nonzero** (the embedded view's two input coordinates). The grid carried back is coloured
by the class the network predicts there, the data by its true class.
"""


class Task2(Stage):
    """Every layer of the deep He network carried back into the input plane over training, and the theorem checked."""

    def runs(self, b: Budget) -> list[tuple[int, str]]:
        return [(b.deep, "he")]

    def units(self, b: Budget) -> int:
        return b.frames * b.deep + b.frames + 1

    def build(self, ctx: StudyContext) -> Part:
        b = ctx.budget
        result = ctx.run(b.deep, "he")
        steps = sorted(result.snapshots)
        X, y = ctx.data.X, ctx.data.y
        frames = []  # per step: view -> {layer index: Frame}
        for step in steps:
            model = result.model_at(step)
            frames.append({v: backprojection_frames(model, X, y, view=v, grid=b.warp_grid) for v in VIEWS})
            ctx.advance(1)

        def draw(fig, key):
            i, layer = key
            for k, view in enumerate(VIEWS):
                frame = frames[i][view][layer]
                plot_backprojection(frame, ax=fig.add_subplot(1, len(VIEWS), k + 1),
                                    title=f"{view}: layer {layer + 1}, step {steps[i]}")

        viewer = render_viewer("backprojection", [steps_axis(steps), layers_axis(b.deep)], draw, figsize=(10, 3.6),
                               margins=dict(left=0.07, right=0.98, bottom=0.15, top=0.87, wspace=0.42), dpi=84,
                               advance=ctx.advance,
                               caption=f"Back-projection of the chosen layer of the {b.deep}-layer He network at the "
                                       "chosen training step, in the three views.")
        final = result.model_at(steps[-1])
        checks = check_equivalence(final, X, view="embedded")
        maps, pinvs = backprojection_maps(final, view="embedded")
        cond = {i: m.cond for i, m in maps.items()}  # of the composed map Φ_l
        ctx.advance(1)
        tol = 1e-8
        resolvable = {i: c * EPS64 <= tol for i, c in cond.items()}  # can float64 resolve a residual of tol?

        def verdict(c) -> str:
            if c.holds(tol):
                return "yes"
            return "no" if resolvable[c.layer] else "not resolvable in float64 (cond·ε₆₄ above 1e-8)"

        table = Table(["layer", "W: n × m, rank", "condition of Φ_l", "residual of h ≈ affine(x̂) (theorem)",
                       "residual of x̂ ≈ affine(h)", "equal (≤ 1e-8)"],
                      [[str(c.layer + 1), f"{pinvs[c.layer].shape[0]} × {pinvs[c.layer].shape[1]}, "
                        f"{pinvs[c.layer].rank}", f"{cond[c.layer]:.2e}", f"{c.act_from_bp:.2e}",
                        f"{c.bp_from_act:.2e}", verdict(c)]
                       for c in checks],
                      caption=f"The theorem checked on the trained network (step {steps[-1]}, all {len(X)} points, "
                              "embedded view): relative residuals of the least-squares affine fits between each "
                              "layer's activations h and their back-projection x̂ = Φ_l(h), next to the condition "
                              "number of the composed map Φ_l. Round-off of float64 (ε₆₄ = 2.2e-16) grows with it: "
                              "where cond(Φ_l)·ε₆₄ > 1e-8 a residual of 1e-8 cannot be resolved.",
                      name="task2_equivalence")
        held = [c for c in checks if c.holds(tol)]
        failed = [c for c in checks if not c.holds(tol) and resolvable[c.layer]]
        unresolved = len(checks) - len(held) - len(failed)
        finding = (f"On the trained network the activations are an affine function of their back-projection "
                   f"(residual ≤ 1e-8) for {len(held)} of {len(checks)} layers; {len(failed)} layers fail where "
                   f"float64 could resolve it"
                   + (f", and {unresolved} layers have composed maps too ill-conditioned (cond up to "
                      f"{max(cond.values()):.1e}) for a residual of 1e-8 to be resolved in float64."
                      if unresolved else "."))
        theory = theory_section(2, ctx.cfg.lang)
        section = Section("task2", "Task 2 — pseudo-inverse back-projection",
                          answer=QUESTION.format(deep=b.deep, width=b.run.width), blocks=[viewer, table, finding],
                          derivation=theory.derivation, evidence=theory.evidence)
        summary = [["2", f"depth {b.deep}, He, trained: activations vs back-projection",
                    f"affine-equivalent in {len(held)} of {len(checks)} layers "
                    f"({unresolved} not resolvable in float64)",
                    "residual at round-off where §2's conditions hold"]]
        return Part(section, summary)

