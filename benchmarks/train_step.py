"""ms per training step: reluscope's loop vs a plain PyTorch loop vs scikit-learn's MLPClassifier.

An 11-layer, width-32 ReLU MLP on 1000 spiral points, full batch, SGD with momentum 0.9; for sklearn one
epoch with ``batch_size = n`` is one step. All three are measured in this run; the ratios are printed.

    .venv/bin/python benchmarks/train_step.py [--steps 500]
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn

from reluscope.data import load_dataset
from reluscope.model import build_mlp
from reluscope.train import TrainConfig, fit

DEPTH, WIDTH, N = 11, 32, 1000


def time_reluscope(data, steps: int) -> float:
    cfg = TrainConfig(dataset="spirals", depth=DEPTH, width=WIDTH, steps=steps, eval_every=steps, lr=0.01)
    t = time.perf_counter()
    fit(cfg, data=data)
    return (time.perf_counter() - t) / steps


def time_plain_torch(data, steps: int) -> float:
    """The textbook loop, nothing else: forward, loss, zero_grad, backward, step."""
    torch.manual_seed(0)
    model = build_mlp(2, WIDTH, DEPTH, 2)  # a plain nn.Sequential with PyTorch's default init
    return plain_loop(model, torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train),
                      steps)


def plain_loop(model: nn.Module, X: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    """Seconds per step of the textbook loop on ``model``: SGD with momentum 0.9, full batch."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    t = time.perf_counter()
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t) / steps


def time_sklearn(data, epochs: int) -> float:
    clf = MLPClassifier(hidden_layer_sizes=(WIDTH,) * (DEPTH - 1), solver="sgd", batch_size=len(data.y_train),
                        learning_rate_init=0.01, momentum=0.9, nesterovs_momentum=False, max_iter=epochs, tol=0,
                        n_iter_no_change=epochs + 1, alpha=0.0, shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        clf.fit(data.X_train, data.y_train)
    return (time.perf_counter() - t) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    data = load_dataset("spirals", int(N / 0.75), random_state=0)  # 1000 training points
    assert len(data.y_train) == N
    time_reluscope(data, 20)  # warm-up, both torch loops alike
    time_plain_torch(data, 20)
    ours = time_reluscope(data, args.steps)
    plain = time_plain_torch(data, args.steps)
    sk = time_sklearn(data, args.steps)
    print(f"{DEPTH}x{WIDTH} ReLU MLP, {N} points, full batch SGD, torch threads = {torch.get_num_threads()}")
    print(f"reluscope loop      {ours * 1e3:7.3f} ms/step")
    print(f"plain PyTorch loop  {plain * 1e3:7.3f} ms/step   (reluscope / plain = {ours / plain:.2f})")
    print(f"sklearn MLP epoch   {sk * 1e3:7.3f} ms/epoch  (sklearn / reluscope = {sk / ours:.2f}x)")


if __name__ == "__main__":
    main()
