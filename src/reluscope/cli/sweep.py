"""``reluscope sweep``: a resumable trainability sweep over depth × σ_w² (× σ_b², × data set) × seeds, in this
process or on a Ray cluster."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import FLOAT, INT, VALUES_FORMAT, given, parse_values
from reluscope.cli.progress import progress_bar
from reluscope.errors import ReluscopeError
from reluscope.studies.raymap import RayOptions
from reluscope.studies.sweepconfig import SweepConfig

_D = SweepConfig()


@app.command()
@click.option("--depths", default=None, help=f"Depths, at least 1: {VALUES_FORMAT}. [default: 2,5,10,20,30,40,50]")
@click.option("--sigma-w2", default=None, 
              help=f"σ_w² values, > 0, W ~ N(0, σ_w²/fan_in): {VALUES_FORMAT} (8 values from 0.5 to 4). "
                   "[default: 0.5:4:8]")
@click.option("--sigma-b2", default="0", show_default=True, 
              help=f"σ_b² values, ≥ 0, b ~ N(0, σ_b²): {VALUES_FORMAT}.")
@click.option("--datasets", default="moons", show_default=True, help="Comma-separated data set names.")
@click.option("--seeds", type=INT, default=None, help=f"Seeds per cell. [default: {_D.seeds}]")
@click.option("--width", type=INT, default=_D.base.width, show_default=True, help="Hidden width.")
@click.option("--activation", default=_D.base.activation, show_default=True, help="relu, leaky_relu, tanh.")
@click.option("--optimizer", default=_D.base.optimizer, show_default=True, help="sgd (with momentum) or adam.")
@click.option("--lr", type=FLOAT, default=_D.base.lr, show_default=True, help="Learning rate.")
@click.option("--steps", type=INT, default=None, help=f"Full-batch steps per run. [default: {_D.base.steps}]")
@click.option("--n-samples", type=INT, default=None, help=f"Points per data set. [default: {_D.base.n_samples}]")
@click.option("--quick", is_flag=True, help="A small grid in seconds: depths 2,10,20, σ_w² 1,2,3, 1 seed, 100 steps.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/sweep"), show_default=True,
              help="Sweep directory; rerun with the same --out to resume.")
@click.option("--force", is_flag=True, help="Start over in an --out that holds another sweep.")
@click.option("--device", default="cpu", show_default=True, help="Where the ensembles train: cpu or cuda.")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: ensembles one after another here; ray: each ensemble a Ray task.")
@click.option("--address", default=None,
              help="Ray cluster: 'auto' (`ray start` on this machine) or ray://HOST:PORT. "
                   "[default: $RAY_ADDRESS, else a new local cluster]")
@click.option("--chunk", type=INT, default=None,
              help="Runs per ensemble (task). [default: all runs of a data set and depth]")
@click.option("--export", is_flag=True, help="Only write --out's runs.csv from its runs.sqlite.")
def sweep(depths, sigma_w2, sigma_b2, datasets, seeds, width, activation, optimizer, lr, steps, n_samples, quick,
          out, force, device, backend, address, chunk, export) -> None:
    """Train a grid of networks as ensembles; heat maps of trainability with mean-field theory."""
    if export:
        from reluscope.studies.sweep import export_csv

        say(export_csv(out))
        return
    if address is not None and backend != "ray":
        raise ReluscopeError("--address needs --backend ray")
    defaults = SweepConfig.quick() if quick else _D
    training = dict(width=width, activation=activation, optimizer=optimizer, lr=lr, steps=steps, n_samples=n_samples)
    grid = dict(depths=None if depths is None else parse_values(depths, int, "depths"),
                sigma_w2=None if sigma_w2 is None else parse_values(sigma_w2, float, "sigma-w2"),
                sigma_b2=parse_values(sigma_b2, float, "sigma-b2"),
                datasets=[d.strip() for d in datasets.split(",") if d.strip()], seeds=seeds)
    cfg = replace(defaults, **given(grid), base=replace(defaults.base, **given(training))).validate()
    from reluscope.studies.sweep import run_sweep, total_units  # torch, matplotlib: after the options are checked

    ray = RayOptions(address=address) if backend == "ray" else None
    with progress_bar(total_units(cfg, out, force=force, chunk=chunk), "sweep") as advance:
        result = run_sweep(cfg, out, force=force, progress=advance, device=device, chunk=chunk, ray=ray)
    ok = sum(r["status"] == "ok" for r in result.rows)
    errors = [r["error"] for r in result.rows if r["error"]]
    failed = f"; {len(errors)} failed ({' '.join(errors[0].split())[:200]}), rerun to retry" if errors else ""
    say(f"{result.trained} runs trained, {len(result.rows) - result.trained - result.failed} resumed, in "
        f"{result.seconds:.1f} s; {ok}/{len(result.rows)} ok{failed} -> {result.figure or out}")
