"""``reluscope init-study``: depths × schemes × seeds, written to a study directory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import FLOAT, INT, given, parse_values
from reluscope.cli.progress import progress_bar
from reluscope.limits import MAX_FLOPS, check_work
from reluscope.studies.initstudyconfig import InitStudyConfig
from reluscope.train.budget import run_work

_D = InitStudyConfig()
_B = _D.base


@app.command("init-study")
@click.option("--dataset", default=None, help=f"Data set name or CSV path [default: {_B.dataset}].")
@click.option("--depths", default=None, help="Numbers of linear layers: '3,11' or 'start:stop:count' [default: 3,11].")
@click.option("--schemes", default=None, help=f"Comma-separated init schemes [default: {','.join(_D.schemes)}].")
@click.option("--seeds", type=INT, default=None, help=f"Seeds per depth and scheme [default: {_D.seeds}].")
@click.option("--width", type=INT, default=None, help=f"Hidden width [default: {_B.width}].")
@click.option("--activation", default=None,
              help=f"relu, leaky_relu, tanh, identity (Task 1.1's linear net) [default: {_B.activation}].")
@click.option("--lr", type=FLOAT, default=None, help=f"SGD learning rate [default: {_B.lr}].")
@click.option("--steps", type=INT, default=None, help=f"Full-batch steps per run [default: {_B.steps}].")
@click.option("--n-samples", type=INT, default=None, help=f"Points to generate [default: {_B.n_samples}].")
@click.option("--quick", is_flag=True, help="Small version: 2 seeds, 300 steps, 500 points (options still apply).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/init-study"), show_default=True,
              help="Study directory to write.")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
def init_study(dataset, depths, schemes, seeds, width, activation, lr, steps, n_samples, quick, out, force) -> None:
    """Compare initialisation schemes: per-layer variance vs theory, and which deep nets train."""
    base = InitStudyConfig.quick() if quick else InitStudyConfig()
    run = dict(dataset=dataset, width=width, activation=activation, lr=lr, steps=steps, n_samples=n_samples)
    options = dict(depths=None if depths is None else tuple(parse_values(depths, int, "depths")),
                   schemes=None if schemes is None else tuple(s.strip() for s in schemes.split(",")), seeds=seeds)
    cfg = replace(base, base=replace(base.base, **given(run)), **given(options)).validate()
    runs = len(cfg.schemes) * cfg.seeds
    check_work(runs * sum(run_work(cfg.train_config(d, cfg.schemes[0], cfg.base.seed)) for d in cfg.depths),
               MAX_FLOPS, f"an init study of {runs * len(cfg.depths)} runs")
    from reluscope.studies.initstudy_dir import init_study_to_dir  # torch, matplotlib: after the checks

    with progress_bar(len(cfg.depths) * len(cfg.schemes) * cfg.seeds, "init study") as advance:
        result = init_study_to_dir(cfg, out, force=force, progress=advance)
    deep = [r for r in result.summary() if r["depth"] == cfg.deepest]
    say(f"depth {cfg.deepest}: " + ", ".join(f"{r['scheme']} {r.get('ok', 0)}/{r['runs']} ok" for r in deep)
        + f" -> {out}")
