"""The watch example's He loop over seeds: ``examples/watch-your-own-net.ipynb`` trains an 11×32 ReLU net, He
weights and zero biases, with its own loop (SGD, momentum 0.9, full batch, 1000 steps) on 1000 spiral points. Its
text says each seed trains at lr 0.01; this runs the notebook's own ``make_net`` and ``train`` (read from it) for
every seed and learning rate and prints the training and test accuracy.

    .venv/bin/python benchmarks/watch_example_seeds.py [--seeds 12] [--lrs 0.01 0.05] [--steps 1000]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

import reluscope as rs

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "watch-your-own-net.ipynb"


def example(X: torch.Tensor, y: torch.Tensor) -> dict:
    """The notebook's code cell that defines ``make_net`` and ``train``, run on ``(X, y)``: its names."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if "def make_net" in "".join(c["source"]))
    names = {"torch": torch, "nn": torch.nn, "X": X, "y": y}
    exec(source, names)  # noqa: S102 — the project's own example notebook
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.05])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = rs.load_dataset("spirals", 1000, random_state=0)
    X, y = torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train)  # (N, 2), (N,)
    Xt, yt = torch.as_tensor(data.X_test, dtype=torch.float32), torch.as_tensor(data.y_test)
    ex = example(X, y)
    for lr in args.lrs:
        reached = []
        for seed in range(args.seeds):
            model = ex["make_net"](std=lambda n_in: math.sqrt(2 / n_in), seed=seed)
            train = ex["train"](model, steps=args.steps, lr=lr)["accuracy"]
            with torch.no_grad():
                test = (model(Xt).argmax(1) == yt).float().mean().item()
            reached.append(train)
            print(f"lr {lr}: seed {seed:2d} training accuracy {train:.3f}, test {test:.3f}", flush=True)
        print(f"lr {lr}: {sum(a >= 0.98 for a in reached)}/{args.seeds} seeds reach training accuracy 0.98; "
              f"lowest {min(reached):.3f}")


if __name__ == "__main__":
    main()
