"""``reluscope study``: the whole sheet end to end, written as one offline report."""

from __future__ import annotations

from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import DATASET_HELP, INT
from reluscope.cli.progress import progress_bar
from reluscope.report.config import StudyConfig

_D = StudyConfig()


@app.command()
@click.option("--dataset", default=_D.dataset, show_default=True,
              help=DATASET_HELP)
@click.option("--quick", is_flag=True, help="A small budget that checks the pipeline in seconds.")
@click.option("--seed", type=INT, default=_D.seed, show_default=True,
              help="Seeds the data, the split, the initial weights and the batches of every run.")
@click.option("--lang", type=click.Choice(["en", "de"]), default=_D.lang, show_default=True,
              help="Language of the report (the sheet's questions are quoted in the original German in both).")
@click.option("--pdf", is_flag=True, help="Also write OUT/report.pdf (A4) through headless Chromium.")
@click.option("--out", type=click.Path(path_type=Path), default=_D.out, show_default=True,
              help="Study directory (an earlier study there is replaced).")
def study(dataset, quick, seed, lang, pdf, out) -> None:
    """Run the whole sheet (Tasks 0, 1, 2, the decision cells, mean-field trainability) and write
    OUT/report.html in English or German, one offline page, with its figures and tables beside it."""
    cfg = StudyConfig(dataset=dataset, seed=seed, quick=quick, out=out, lang=lang, pdf=pdf).validate()
    from reluscope.report.study import total_units, write_study  # torch, matplotlib: after the checks

    with progress_bar(total_units(cfg), "study") as advance:
        page = write_study(cfg, progress=advance)
    for path in (page, page.with_name("report.pdf")) if pdf else (page,):
        say(f"report -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
