"""``save run``: a live run written as a normal run directory (``reluscope.load_run``, ``backproject``, ``regions``).

A finished run is saved from its ``TrainResult``. A run still in progress is trained again from its seed up to the
step on the page — the same settings and generator give the same parameters — so its run directory holds a real
history, metrics and snapshots, and its ``config.json`` reruns it (drawn points, which ``data.npz`` and
``playground.json`` hold, join the retrained run from its first step). Beside the usual files the directory has
``playground.json`` (the page's settings, including the σ_w², σ_b² of the ``mean-field`` scheme, which
``config.json`` names by its scheme only: rerun from it, that scheme takes its defaults σ_w² = 2, σ_b² = 0) and, for
an uploaded CSV, ``data.csv`` (which ``config.json`` points to). The empty plane (``drawn``) writes its points as
``data.csv`` too, so that ``config.json`` (``reluscope train --dataset RUN/data.csv``) reruns on them; read as a
CSV they are standardised and split into training and test points, as any CSV is (which needs two points of each
class), where the page trained on all of them as drawn: the rerun trains on the same points, not to the same
numbers.

``saved_runs`` lists the runs directory's runs that the page can load back (``load_live_run``), newest first. A run
that went on from a loaded one is retrained from the loaded weights (``start``), its ``playground.json`` saying
``"loaded": true``: its ``config.json`` reruns from the initialisation instead.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from reluscope.data import Dataset, save_csv
from reluscope.errors import ReluscopeError
from reluscope.geometry.slices import predicted_classes, slice_through
from reluscope.outputs import write_json
from reluscope.plots.boundary import plot_decision_boundary
from reluscope.plots.slices import plot_slice
from reluscope.plots.style import axes, save
from reluscope.serve.messages import is_run_name
from reluscope.serve.notice import Notice
from reluscope.serve.settings import DRAWN, UPLOADED, Settings
from reluscope.train.loop import TrainResult, train_model
from reluscope.train.rundir import load_run, save_run

MAX_LISTED = 100  # saved runs the page's menu offers at most


def run_name(settings: Settings, step: int) -> str:
    """``20260101-120000-spirals-11x32-he-seed0-step300``: sortable, readable, no user text in it."""
    s = settings
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{s.dataset}-{s.depth}x{s.width}-{s.init}-seed{s.seed}-step{step}"


def save_live_run(runs_dir: Path, settings: Settings, data: Dataset, step: int, result: TrainResult | None,
                  csv_path: Path | None = None, *, out: Path | None = None, start: dict | None = None) -> Path:
    """Write the run at ``step`` (``result``: the finished run, else retrained) under ``runs_dir`` with a name of
    its own, or at ``out``, which must not exist yet; its path. ``start``: the weights a loaded run began from,
    which the retrained run starts from in place of its initialisation (``playground.json`` says so; its
    ``config.json`` reruns from the initialisation)."""
    if step < 1 and result is None:
        raise Notice("nothing trained yet: press play or step first", "nothing_trained")
    if out is not None and out.exists():
        raise ReluscopeError(f"{out} exists already; name a new directory")
    for i in range(1, 100) if out is None else ():
        out = runs_dir / (run_name(settings, step) + (f"-{i}" if i > 1 else ""))
        if not out.exists():
            break
    dataset = str((out / "data.csv").resolve()) if settings.dataset in (UPLOADED, DRAWN) else settings.dataset
    cfg = settings.train_config(dataset, steps=None if result is not None else step)
    if result is None:
        model, gen = settings.build_model(data)  # as the live run: initialised, then the loaded weights
        if start is not None:
            model.load_state_dict(start)
        result = train_model(model, data, cfg, generator=gen)

    def extras(tmp: Path) -> None:
        write_json(tmp / "playground.json", dict(settings=settings.to_dict(), step=step, loaded=start is not None))
        if csv_path is not None:
            shutil.copyfile(csv_path, tmp / "data.csv")
        elif settings.dataset == DRAWN:  # its data are the points (the test split is the training split)
            save_csv(tmp / "data.csv", data.X_train, data.y_train)
        ax = axes(figsize=(5, 5))
        title = f"{data.name.rsplit('/', 1)[-1]}: step {step}"
        if data.n_features == 2:
            plot_decision_boundary(result.model, data.X, data.y, ax=ax, title=title)
        else:  # the page's slice
            cut = slice_through(result.model, data.X, data.y, settings.plane)
            plot_slice(cut, predicted_classes(result.model, cut.plane), data.y, ax=ax, n_classes=data.n_classes,
                       title=title)
        save(ax.figure, tmp / "decision_boundary.png")

    return save_run(out, cfg, data, result, extras)


def saved_runs(runs_dir: Path, most: int = MAX_LISTED) -> list[str]:
    """The names a ``load`` can give (``messages.is_run_name``) of the directories in ``runs_dir`` that hold a
    ``playground.json`` (runs "save run" wrote), newest first (by that file's time, then by name), at most ``most``;
    none when ``runs_dir`` does not exist."""
    try:
        found = [(p.stat().st_mtime, d.name) for d in runs_dir.iterdir() if (p := d / "playground.json").is_file()]
    except OSError:  # no runs directory yet, or one that cannot be read
        return []
    return [name for _, name in sorted(found, reverse=True) if is_run_name(name)][:most]


def load_live_run(runs_dir: Path, name: str) -> tuple[Settings, dict, int, Path | None]:
    """The run directory ``runs_dir/name`` that ``save_live_run`` wrote: its settings (``playground.json``), its
    final weights (a state dict), the step it was saved at and its CSV (None unless it trained on an uploaded CSV)."""
    path, shown = runs_dir / name, name[:60]
    if path.resolve().parent != runs_dir.resolve() or not (path / "playground.json").is_file():
        raise Notice(f"no run saved by the playground is called {shown!r} in the runs directory", "load_missing",
                     name=shown)
    try:
        saved = json.loads((path / "playground.json").read_text(encoding="utf-8"))
        settings, step = Settings.from_dict(saved["settings"]), saved["step"]
        run = load_run(path)
    except (ReluscopeError, ValueError, KeyError, TypeError, OSError) as e:
        raise Notice(f"{shown}: not a run the playground saved, or a damaged one ({type(e).__name__}: {e})",
                     "load_broken", name=shown) from None
    csv = path / "data.csv" if settings.dataset == UPLOADED else None
    return settings, run.model.state_dict(), step if type(step) is int else 0, csv
