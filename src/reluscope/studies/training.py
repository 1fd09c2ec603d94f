"""Train a configured run and write its run directory with its figures (what ``reluscope train`` does)."""

from __future__ import annotations

from pathlib import Path

from reluscope.outputs import prepare_out_dir
from reluscope.progress import Progress, silent
from reluscope.train.config import TrainConfig
from reluscope.train.loop import fit
from reluscope.train.rundir import Run, load_run, save_run


def train_to_dir(cfg: TrainConfig, out: str | Path, *, force: bool = False,
                 progress: Progress = silent, device: str = "cpu") -> Run:
    """Train ``cfg`` on ``device`` and write the run directory ``out`` (config, metrics, history, model, and
    the decision boundary's figure when the input is the plane)."""
    cfg.validate()
    prepare_out_dir(out, force=force)
    data, result = fit(cfg, progress=progress, device=device)

    def figures(tmp: Path) -> None:
        from reluscope.plots.boundary import plot_decision_boundary  # matplotlib only when a figure is drawn
        from reluscope.plots.style import axes, save

        ax = axes(figsize=(5, 5))
        m = result.metrics
        plot_decision_boundary(result.model, data.X, data.y, ax=ax,
                               title=f"{data.name}: {m['status']}, test acc {m['test_accuracy']:.2f}")
        save(ax.figure, tmp / "decision_boundary.png")

    save_run(out, cfg, data, result, figures if data.n_features == 2 else None)
    return load_run(out)
