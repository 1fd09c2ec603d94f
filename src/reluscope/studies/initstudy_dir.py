"""The init study written to a directory (``reluscope init-study``): its tables and figures. Layout::

    OUT/config.json               the InitStudyConfig
    OUT/runs.csv                  one row per run: scheme, depth, seed and the run's metrics (status, accuracies,
                                  where it diverged or collapsed, the first layer off by 100× at init)
    OUT/summary.csv, summary.md   one row per depth × scheme, aggregated over seeds (runs by status)
    OUT/layer_stats.csv           tidy: run × layer × quantity, measured and theory columns
    OUT/curves.csv                the training histories
    OUT/variance_by_layer.png     measured pre-activation variance per layer vs theory, one panel per depth
    OUT/training_curves.png       train accuracy and loss per scheme at the deepest depth
    OUT/activation_histograms.png per-layer activations at init, normal vs he, deepest depth (if > 1)
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from reluscope.outputs import atomic_dir, prepare_out_dir, write_csv, write_json
from reluscope.plots.initstudy import row_figure
from reluscope.plots.style import save
from reluscope.progress import Progress, silent
from reluscope.studies.initstudy import InitStudyConfig, InitStudyResult, run_init_study


def init_study_to_dir(cfg: InitStudyConfig, out: str | Path, *, force: bool = False,
                      progress: Progress = silent) -> InitStudyResult:
    """Run the study (``run_init_study``) and write ``out`` atomically; ``out`` is checked before any run."""
    cfg.validate()
    prepare_out_dir(out, force=force)
    result = run_init_study(cfg, progress=progress)
    write_init_study(result, out)
    return result


def write_init_study(result: InitStudyResult, out: str | Path) -> Path:
    """Write the study directory (tables and figures) atomically."""
    cfg, base = result.config, result.config.base
    with atomic_dir(out) as tmp:
        write_json(tmp / "config.json", asdict(cfg))
        write_csv(tmp / "runs.csv", result.runs)
        summary = result.summary()
        write_csv(tmp / "summary.csv", summary)
        (tmp / "summary.md").write_text(f"Init study on {base.dataset}, width {base.width}, {base.optimizer} lr "
                                        f"{base.lr}, {base.steps} steps, {cfg.seeds} seeds\n\n" + _markdown(summary))
        write_csv(tmp / "layer_stats.csv", result.layer_stats)
        write_csv(tmp / "curves.csv", [{"scheme": s, "depth": d, "seed": k, **row}
                                       for (s, d, k), rows in result.histories.items() for row in rows])
        save(row_figure([result.variance(depth) for depth in cfg.depths], height=4.5), tmp / "variance_by_layer.png")
        save(row_figure(result.curves(), height=4.5), tmp / "training_curves.png")
        if result.activations:
            save(row_figure(result.histograms(), height=4), tmp / "activation_histograms.png")
    return Path(out)


def _markdown(rows: list[dict]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r[k]) for k in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"
