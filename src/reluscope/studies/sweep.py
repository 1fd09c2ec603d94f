"""Trainability sweeps: depth × σ_w² (× σ_b², × data set) × seeds, trained as ensembles, resumable.

The runs of one (data set, depth) are trained together as one ensemble, or in ensembles of ``chunk`` runs:
each ensemble is one ``SweepTask`` (``sweeptask.train_task``: config in, rows out). The tasks run one after
another in this process (the local backend) or as Ray tasks on a cluster (``ray=RayOptions(…)``, see
``raymap``); a run's numbers do not depend on either choice. The driver stores each ensemble's rows in
``OUT/runs.sqlite`` as soon as it finishes (``store.RunStore``: one transaction, the grid key unique), so a
killed sweep loses at most the ensembles in flight, and a rerun with the same ``OUT`` trains only the runs the
store does not hold. A task that raises is stored as ``error`` rows with its message, and the sweep goes on;
the next rerun tries those runs again. Layout::

    OUT/sweep.json         the SweepConfig (a rerun must keep its ``base`` training settings)
    OUT/runs.sqlite        the results store: one row per run (grid key, outcome, E[z_L²] at init, error)
    OUT/runs.csv           the store exported, at the end of every run_sweep (and by ``export_csv``)
    OUT/trainability.png   final train accuracy and layer-L variance at init over (σ_w², depth), with theory
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_file, check_writable, write_json
from reluscope.plots.style import save
from reluscope.plots.sweep import plot_sweep
from reluscope.progress import Counted, Progress, silent
from reluscope.studies.raymap import RayOptions, ray_map
from reluscope.studies.store import ERROR, KEY, RunStore, read_rows
from reluscope.studies.sweepconfig import GRID_FIELDS, SweepConfig
from reluscope.studies.sweeptask import SweepTask, train_task
from reluscope.train.config import TrainConfig
from reluscope.train.device import check_device

STORE, TABLE = "runs.sqlite", "runs.csv"


@dataclass
class SweepResult:
    """What ``run_sweep`` did and what the sweep holds now."""

    rows: list[dict]  # every run of this sweep's grid, from the store, ordered by KEY
    trained: int  # runs trained by this call (the others were already in the store)
    failed: int  # runs whose task raised in this call: stored with status "error" and their error
    seconds: float  # wall time of this call
    figure: Path | None  # None when no run of the grid has finished, or with draw=False


def plan(cfg: SweepConfig, done: set[tuple], *, chunk: int | None = None, device: str = "cpu") -> list[SweepTask]:
    """The tasks that train every run of ``cfg`` not in ``done``: per (data set, depth) its runs in grid order,
    in ensembles of at most ``chunk`` runs (None: one ensemble)."""
    if chunk is not None and chunk < 1:
        raise ReluscopeError(f"chunk must be at least 1, got {chunk}")
    groups: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    for dataset, depth, w, b, seed in cfg.runs():
        if (dataset, depth, w, b, seed) not in done:
            groups.setdefault((dataset, depth), []).append((w, b, seed))
    tasks = []
    for (dataset, depth), cells in groups.items():
        base, size = replace(cfg.base, dataset=dataset, depth=depth), chunk or len(cells)
        tasks += [SweepTask(base, tuple(cells[i:i + size]), device) for i in range(0, len(cells), size)]
    return tasks


def finished(out: str | Path) -> set[tuple]:
    """The ``KEY`` of every run of ``OUT`` that finished (read from its store, else from a ``runs.csv``)."""
    out = Path(out)
    if (out / STORE).is_file():
        with RunStore(out / STORE) as store:
            return store.done()
    return {tuple(r[k] for k in KEY) for r in read_rows(out / TABLE) if r["status"] != ERROR}


def total_units(cfg: SweepConfig, out: str | Path, *, force: bool = False, chunk: int | None = None) -> int:
    """The progress units ``run_sweep(cfg, out, force=force, chunk=chunk)`` reports: a training step of each
    ensemble it trains (all of them with ``force``, else those with a run not yet finished in ``OUT``). ``OUT``
    is checked first (``outputs.check_writable``): a name the OS refuses ends here, before any training."""
    out = check_writable(out, replace=False)
    return len(plan(cfg, set() if force else finished(out), chunk=chunk)) * cfg.base.steps


def run_sweep(cfg: SweepConfig, out: str | Path, *, force: bool = False, progress: Progress = silent,
              device: str = "cpu", chunk: int | None = None, ray: RayOptions | None = None,
              draw: bool = True) -> SweepResult:
    """Train every run of ``cfg`` not yet finished in ``OUT``, storing rows as ensembles finish; export
    ``runs.csv``; draw the figure.

    ``force`` starts over in an ``OUT`` that holds another sweep; ``progress(n)``: n more units of
    ``total_units`` done (``reluscope.progress``; on Ray a task's steps all at once when it finishes); ``device``
    is where the ensembles train ("cuda": on Ray, each task reserves a GPU unless ``ray.num_gpus`` says
    otherwise); ``chunk`` caps the runs per ensemble; ``ray`` runs the ensembles as Ray tasks (None: one after
    another in this process); ``draw=False`` leaves ``trainability.png`` undrawn (``figure`` is None).

    Raises
    ------
    ReluscopeError
        If ``OUT`` holds a sweep with other base training settings (and not ``force``), or the device or the
        Ray cluster is not there.
    """
    device, ray = _placement(device, ray)
    out = open_sweep(cfg, out, force=force)
    tasks = plan(cfg, finished(out), chunk=chunk, device=device)
    start, trained, failed = time.perf_counter(), 0, 0
    with RunStore(out / STORE) as store:
        try:
            runs = _local(tasks, progress) if ray is None else ray_map(train_task, tasks, ray)
            with closing(runs):
                for task, result in runs:
                    if isinstance(result, Exception):
                        store.add(task.error_rows(result))
                        failed += len(task.cells)
                    else:
                        trained += store.add(result)  # runs another driver stored first are not counted
                    if ray is not None:
                        progress(cfg.base.steps)
        finally:
            store.export_csv(out / TABLE)
        grid = set(cfg.runs())
        rows = [r for r in store.rows() if tuple(r[k] for k in KEY) in grid]
    figure = _draw(rows, cfg.base.activation, out / "trainability.png") if draw else None
    return SweepResult(rows, trained, failed, time.perf_counter() - start, figure)


def export_csv(out: str | Path) -> Path:
    """Write ``OUT/runs.csv`` from ``OUT/runs.sqlite`` (every row, ordered by ``KEY``); return its path."""
    out = check_writable(out, replace=False)
    if not (out / STORE).is_file():
        raise ReluscopeError(f"{out} holds no sweep ({STORE} is missing)")
    with RunStore(out / STORE) as store:
        return store.export_csv(out / TABLE)


def _local(tasks: Iterable[SweepTask], progress: Progress) -> Iterator[tuple[SweepTask, list[dict] | Exception]]:
    """The local backend: each task in this process, in order; a task that raises yields its exception. Each task
    reports all its steps, also when its members all diverged early or it raised (as a finished Ray task does)."""
    for task in tasks:
        advance = Counted(progress)
        try:
            rows = train_task(task, advance)
        except Exception as e:  # recorded as the task's error rows; KeyboardInterrupt stops the sweep
            rows = e
        advance.top_up(task.base.steps)
        yield task, rows


def _placement(device: str, ray: RayOptions | None) -> tuple[str, RayOptions | None]:
    """Check ``device`` here for the local backend; on Ray the workers hold the devices, so only cpu or cuda
    (a GPU reserved per task) can be asked for."""
    if ray is None:
        return str(check_device(device)), None
    if device not in ("cpu", "cuda"):
        raise ReluscopeError(f"the Ray backend trains on cpu or cuda (one GPU per task), got {device!r}")
    if device == "cuda" and ray.num_gpus == 0:
        ray = replace(ray, num_gpus=1.0)
    return device, ray


def _draw(rows: list[dict], activation: str, path: Path) -> Path | None:
    """The trainability figure of the finished runs (None when there are none)."""
    finished_rows = [r for r in rows if r["status"] != ERROR]
    if not finished_rows:
        return None
    with atomic_file(path) as tmp:
        save(plot_sweep(finished_rows, activation=activation), tmp)
    return path


def open_sweep(cfg: SweepConfig, out: str | Path, *, force: bool = False) -> Path:
    """Validate ``cfg``, write ``OUT/sweep.json`` and make sure ``OUT`` has a store; refuse an ``OUT`` whose
    runs were trained with other base settings unless ``force``, which deletes its runs. A sweep with a
    ``runs.csv`` and no store yet has its rows imported into a new store."""
    cfg.validate()
    out = check_writable(out, replace=False)
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    meta = out / "sweep.json"
    if force:
        for name in (TABLE, STORE, f"{STORE}-wal", f"{STORE}-shm"):
            (out / name).unlink(missing_ok=True)
    elif meta.is_file() and _training(_read_config(meta).base) != _training(cfg.base):
        raise ReluscopeError(f"{out} holds a sweep with other training settings; use --force to start over "
                             "or another --out")
    out.mkdir(parents=True, exist_ok=True)
    if not (out / STORE).is_file():
        legacy = read_rows(out / TABLE)
        with RunStore(out / STORE) as store:
            store.add(legacy)
    with atomic_file(meta) as tmp:
        write_json(tmp, cfg.to_dict())
    return out


def _read_config(meta: Path) -> SweepConfig:
    try:
        return SweepConfig.from_dict(json.loads(meta.read_text()))
    except (ValueError, KeyError, TypeError) as e:
        raise ReluscopeError(f"{meta}: not a sweep's settings ({e}); use --force to start over") from None


def _training(base: TrainConfig) -> dict:
    """The settings every run of a sweep shares (what a resumed sweep must not change)."""
    return {k: v for k, v in base.to_dict().items() if k not in GRID_FIELDS}
