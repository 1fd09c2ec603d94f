"""The whole sheet as one study: every task's runs, numbers and figures, written as one offline report.

``run_study(cfg)`` builds the stages — Task 0 (baseline), the linear net of Task 1.1, Task 1
(initialisation), Task 2 (back-projection), decision cells, mean-field trainability — each a
``Stage`` (``reluscope.report.stage``) that calls the analysis library and returns its report section and its
rows of the summary table. ``write_study`` renders the page into ``cfg.out`` atomically. One ``progress(n)``
advances over all stages together.

Every run of a study shares one data set and one seed (``cfg.seed`` draws the data, the split, the initial
weights); the runs of all stages start at once in forked processes (``StudyContext.start``), runs used by several
stages (the 11-layer He run) only once, and each stage is built as soon as the runs it reads have ended (those
that read none while the runs train), the sheet's order kept among those ready; the page keeps the sheet's order.
"""

from __future__ import annotations

import platform
import shlex
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import torch

from reluscope.data import Dataset, load_dataset
from reluscope.errors import ReluscopeError
from reluscope.outputs import atomic_dir, check_writable, printable, write_json
from reluscope.progress import Counted, Progress, silent
from reluscope.report.cells import Cells
from reluscope.report.config import Budget, StudyConfig
from reluscope.report.document import Part, Report, Section, Table
from reluscope.report.html import write_report
from reluscope.report.linear import LinearNet
from reluscope.report.meanfield import MeanField
from reluscope.report.pdf import print_pdf
from reluscope.report.slice import study_plane
from reluscope.report.stage import Stage, StudyContext
from reluscope.report.task0 import Task0
from reluscope.report.task1 import Task1
from reluscope.report.task2 import Task2
from reluscope.report.texts import dataset_name, texts

MARKER = "study.json"  # written into every study directory; only such a directory is overwritten


def stages() -> list[Stage]:
    """The study's stages in the sheet's order."""
    return [Task0(), LinearNet(), Task1(), Task2(), Cells(), MeanField()]


def _plan(b: Budget) -> list[tuple[Stage, list[tuple[int, str]]]]:
    """Each stage, in the sheet's order, with the runs it reads that no earlier stage reads."""
    seen, plan = set(), []
    for stage in stages():
        new = [r for r in stage.runs(b) if r not in seen]
        seen.update(new)
        plan.append((stage, new))
    return plan


def _units(stage: Stage, new: list[tuple[int, str]], b: Budget) -> int:
    """The progress units of ``stage``: its own, and a training step of each run it is the first to read."""
    return stage.units(b) + len(new) * b.run.steps


def total_units(cfg: StudyConfig) -> int:
    """The progress units ``run_study`` reports over all stages: training steps, frames, analyses."""
    return sum(_units(stage, new, cfg.budget) for stage, new in _plan(cfg.budget))


def run_study(cfg: StudyConfig, progress: Progress = silent) -> Report:
    """Run every stage and compose the report (nothing is written).

    Torch runs on one thread meanwhile: the networks are small, and on a shared machine several threads
    per process oversubscribe the cores (ten times slower measured under load).
    """
    cfg.validate()
    start = time.perf_counter()
    base = cfg.base
    data = load_dataset(base.dataset, base.n_samples, noise=base.noise, random_state=base.seed)
    if not (data.X_train.std(axis=0) > 0).any():  # every activation would be constant, every variance 0
        raise ReluscopeError(f"{data.name}: all training points coincide; the study needs points spread in the plane")
    ctx = StudyContext(cfg, data, progress)
    if data.n_features > 2:
        study_plane(ctx)  # drawn on a plane through three data points: refused here if they span none
    parts: dict[int, Part] = {}  # index in the sheet's order -> the stage's part
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        plan = _plan(cfg.budget)
        ctx.readers = Counter(run for stage, _ in plan for run in stage.runs(cfg.budget))
        ctx.start(list(ctx.readers))  # the runs of every stage at once, one unit per step
        todo = list(enumerate(stage for stage, _ in plan))
        while todo:  # each stage as soon as its runs are trained, the sheet's order among those ready
            ready = [(i, stage) for i, stage in todo if ctx.ready(stage.runs(cfg.budget))]
            if not ready:
                ctx.wait()
                continue
            i, stage = ready[0]
            todo.remove(ready[0])
            parts[i] = _build(stage, ctx, progress)
    finally:
        ctx.close()
        torch.set_num_threads(threads)
    sections = [parts[i].section for i in sorted(parts)]
    summary = [row for i in sorted(parts) for row in parts[i].summary]
    t = texts("page", cfg.lang)
    columns = [t(f"col_{c}") for c in ("task", "setting", "measured", "expected")]
    sections.append(Section("summary", t("summary_title"), answer=t("summary_text"),
                            blocks=[Table(columns, summary, caption=t("summary_caption"), name="summary")]))
    provenance = _provenance(cfg, data, time.perf_counter() - start)
    return Report(t("title", dataset=dataset_name(data.name, cfg.lang)), provenance, sections, t("lead"), lang=cfg.lang)


def _build(stage: Stage, ctx: StudyContext, progress: Progress) -> Part:
    """``stage.build(ctx)``, its progress units counted: topped up to ``stage.units`` when it reported fewer."""
    ctx.advance = advance = Counted(progress)
    part = stage.build(ctx)
    advance.top_up(stage.units(ctx.budget))
    return part


def prepare_study_dir(out: Path) -> None:
    """``out`` may be written if it can be (``outputs.check_writable``) and is absent, empty, or an earlier study
    (it holds ``study.json``); checked before the study's minutes of work."""
    check_writable(out)
    if out.exists() and not out.is_dir():
        raise ReluscopeError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ReluscopeError(f"--out {out} is a non-empty directory that holds no earlier study; "
                             "choose another --out")


def write_study(cfg: StudyConfig, progress: Progress = silent) -> Path:
    """Run the study and write ``cfg.out`` (replacing an earlier study there atomically), with ``report.pdf`` when
    ``cfg.pdf``; return report.html."""
    cfg.validate()
    out = Path(cfg.out)
    prepare_study_dir(out)
    report = run_study(cfg, progress)
    with atomic_dir(out) as tmp:
        page = write_report(report, tmp)
        if cfg.pdf:
            print_pdf(page, tmp / "report.pdf")
        write_json(tmp / MARKER, dict(config={**asdict(cfg), "out": str(cfg.out)}, provenance=report.provenance))
    return out / "report.html"


def _provenance(cfg: StudyConfig, data: Dataset, seconds: float) -> dict[str, str]:
    """What the page says about its run, in ``cfg.lang``, keyed by ``texts/page.toml``'s ``p_KEY`` labels."""
    b, t = cfg.budget, texts("page", cfg.lang)
    command = ["reluscope", "study", "--dataset", cfg.dataset, "--seed", str(cfg.seed), *(["--quick"] * cfg.quick),
               *(["--lang", cfg.lang] if cfg.lang != "en" else []), *(["--pdf"] * cfg.pdf), "--out", str(cfg.out)]
    packages = ("reluscope", "torch", "numpy", "scikit-learn", "matplotlib")
    return {
        "data": t("data_value", name=dataset_name(data.name, cfg.lang), train=len(data.y_train), test=len(data.y_test),
                  classes=data.n_classes),
        "seeds": t("seeds_value", seed=cfg.seed),
        "training": t("training_value", steps=b.run.steps, momentum=b.run.momentum, lr=b.run.lr, width=b.run.width,
                      shallow=b.shallow, deep=b.deep) + (t("quick_value") if cfg.quick else ""),
        "versions": ", ".join(f"{p} {version(p)}" for p in packages) + f", Python {platform.python_version()}",
        "command": printable(shlex.join(command)),
        "created": t("created_value", when=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}", seconds=seconds),
    }
