"""``reluscope train``: one training run written to a run directory."""

from __future__ import annotations

from pathlib import Path

import click

from reluscope.cli.app import app, say
from reluscope.cli.options import DATASET_HELP, FLOAT, INT, noise_help, parse_values
from reluscope.cli.progress import progress_bar
from reluscope.model.names import INIT_NAMES
from reluscope.train.budget import MAX_DEPTH
from reluscope.train.config import TrainConfig

_D = TrainConfig()


@app.command()
@click.option("--dataset", default=_D.dataset, show_default=True,
              help=DATASET_HELP)
@click.option("--n-samples", type=INT, default=_D.n_samples, show_default=True, 
              help="Points to generate, at least 8 (checked, but not used, for digits and a CSV).")
@click.option("--noise", type=FLOAT, default=None, help=noise_help())
@click.option("--depth", type=INT, default=_D.depth, show_default=True, 
              help=f"Number of linear layers, 1 … {MAX_DEPTH}.")
@click.option("--width", type=INT, default=_D.width, show_default=True, help="Hidden width, at least 1.")
@click.option("--widths", default=None,
              help="Or one width per hidden layer, e.g. 8,8,4 (sets the depth to their count + 1).")
@click.option("--activation", default=_D.activation, show_default=True, help="relu, leaky_relu, tanh, identity.")
@click.option("--init", default=_D.init, show_default=True, help=f"Weight initialisation: {', '.join(INIT_NAMES)}.")
@click.option("--optimizer", default=_D.optimizer, show_default=True, help="sgd (with momentum) or adam.")
@click.option("--lr", type=FLOAT, default=_D.lr, show_default=True, 
              help="Learning rate, > 0 (peak, after the warm-up).")
@click.option("--momentum", type=FLOAT, default=_D.momentum, show_default=True, help="SGD momentum, in [0, 1).")
@click.option("--warmup-steps", type=INT, default=_D.warmup_steps, show_default=True,
              help="Steps over which the learning rate rises linearly from lr/N to lr.")
@click.option("--schedule", default=_D.schedule, show_default=True,
              help="After the warm-up: constant, or cosine (down to 0 at the last step).")
@click.option("--clip-norm", type=FLOAT, default=None, help="Clip the gradient norm to this (default: no clipping).")
@click.option("--steps", type=INT, default=_D.steps, show_default=True, help="Optimisation steps, at least 1.")
@click.option("--batch-size", type=INT, default=None, 
              help="Mini-batch size, at least 1 (default: full batch).")
@click.option("--snapshots", type=INT, default=_D.snapshots, show_default=True,
              help="Keep the parameters at K evenly spaced steps, the last included, and at step 0 (0: none).")
@click.option("--snapshot-every", type=INT, default=_D.snapshot_every, show_default=True,
              help="Or keep them every N steps, and at the last (0: none).")
@click.option("--seed", type=INT, default=_D.seed, show_default=True, help="Seeds data, split, init, batches.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True,
              help="Run directory to write.")
@click.option("--force", is_flag=True, help="Overwrite a non-empty --out.")
@click.option("--device", default="cpu", show_default=True, help="Where the steps run: cpu, cuda, mps.")
def train(dataset, n_samples, noise, depth, width, widths, activation, init, optimizer, lr, momentum, warmup_steps,
          schedule, clip_norm, steps, batch_size, snapshots, snapshot_every, seed, out, force, device) -> None:
    """Train one MLP classifier and write its run directory."""
    cfg = TrainConfig(dataset=dataset, n_samples=n_samples, noise=noise, depth=depth, width=width,
                      widths=None if widths is None else parse_values(widths, int, "widths"),
                      activation=activation, init=init, optimizer=optimizer, lr=lr, momentum=momentum,
                      warmup_steps=warmup_steps, schedule=schedule, clip_norm=clip_norm, steps=steps,
                      batch_size=batch_size, snapshots=snapshots, snapshot_every=snapshot_every,
                      seed=seed).validate()
    from reluscope.studies.training import train_to_dir  # torch, matplotlib: after the options are checked
    from reluscope.train.outcome import describe

    with progress_bar(cfg.steps, "training") as advance:
        run = train_to_dir(cfg, out, force=force, progress=advance, device=device)
    m = run.metrics
    say(f"{describe(m)}: train accuracy {m['train_accuracy']:.3f}, test accuracy "
        f"{m['test_accuracy']:.3f} -> {out}")
