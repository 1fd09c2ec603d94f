"""Per-layer Var(z) at initialisation, measured against ``probe.theory.predicted_moments``, over many random nets.

11 × 32 ReLU MLPs on the spirals training points (float64), ``SEEDS`` nets per scheme. Prints per layer the
mean measured pooled variance, the mean prediction, their ratio (the theory is an expectation: this ratio is
the test of it), and the geometric mean of measured/predicted (the *typical* net, below the expectation by
the finite-width spread), then the first layer's E[h] against the prediction and the single-Gaussian value.
Not a timed benchmark: it prints numbers that docs/theory.md §1.2 quotes.
"""

import math

import numpy as np
import torch

from reluscope.data import load_dataset
from reluscope.model import build_mlp, init_model_, linear_layers
from reluscope.probe.theory import predicted_moments

SEEDS = 200
SCHEMES = ("normal", "he", "torch-default", "torch-weights")
SHOWN = (1, 2, 3, 5, 7, 9, 10, 11)  # layers in the table


def measure(model: torch.nn.Module, X: torch.Tensor) -> tuple[list[float], float]:
    """Pooled Var(z) of every layer and the first layer's E[h]."""
    h, var, first_mean = X, [], math.nan
    with torch.no_grad():
        for layer in linear_layers(model):
            z = layer.linear(h)  # (N, m)
            var.append(float(z.var(unbiased=False)))
            h = layer.act(z)
            if layer.index == 0:
                first_mean = float(h.mean())
    return var, first_mean


def main() -> None:
    X = torch.as_tensor(load_dataset("spirals").X_train, dtype=torch.float64)  # (750, 2)
    m2 = float(X.pow(2).mean())
    cols = [s - 1 for s in SHOWN]
    print(f"{SEEDS} nets per scheme, 11 × 32 ReLU, spirals training points; layers {SHOWN}")
    for scheme in SCHEMES:
        measured, predicted, first = [], [], []
        for seed in range(SEEDS):
            model = init_model_(build_mlp(2, 32, 11, 2), scheme, generator=torch.Generator().manual_seed(seed))
            model = model.double()
            var, h_mean = measure(model, X)
            theory = predicted_moments(model, m2, X=X)
            measured.append(var)
            predicted.append([t.pre_var for t in theory])
            first.append((h_mean, theory[0].post_mean, math.sqrt(theory[0].pre_m2 / (2 * math.pi))))
        measured, predicted = np.array(measured), np.array(predicted)  # (SEEDS, 11)
        print(f"\n{scheme}")
        print("  Var(z) measured, mean  ", " ".join(f"{v:9.3g}" for v in measured.mean(0)[cols]))
        print("  Var(z) predicted, mean ", " ".join(f"{v:9.3g}" for v in predicted.mean(0)[cols]))
        print("  mean ratio             ", " ".join(f"{v:9.2f}" for v in (measured.mean(0) / predicted.mean(0))[cols]))
        typical = np.exp(np.log(measured / predicted).mean(0))  # (11,)
        print("  geometric-mean ratio   ", " ".join(f"{v:9.2f}" for v in typical[cols]))
        h = np.mean(first, axis=0)
        print(f"  layer 1 E[h]: measured {h[0]:.4f}, predicted {h[1]:.4f}, single Gaussian {h[2]:.4f}")


if __name__ == "__main__":
    main()
