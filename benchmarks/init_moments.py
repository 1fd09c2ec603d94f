"""Per-layer Var(z) at initialisation, measured against ``probe.theory.predicted_moments``, over many random nets.

11 × 32 ReLU MLPs on the spirals training points (float64), ``SEEDS`` nets per scheme. Prints per layer the
mean measured pooled variance, the mean prediction, their ratio (the theory is an expectation: this ratio is
the test of it), and the geometric mean of measured/predicted (the *typical* net, below the expectation by
the finite-width spread), then the first layer's E[h] against the prediction and the single-Gaussian value.
For ``normal`` it also prints the spread of the logits' pooled variance over the output weights, given the
output layer's input (``logit_spread``; ``he`` draws the same nets, scaled). Not a timed benchmark: it prints
numbers that docs/theory.md §1.2 and §1.3 quote.
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
SPREAD_SCHEME, DRAWS = "normal", 20_000  # the scheme whose logits' spread is measured; weight draws per net


def measure(model: torch.nn.Module, X: torch.Tensor) -> tuple[list[float], float, torch.Tensor]:
    """Pooled Var(z) of every layer, the first layer's E[h] and the output layer's input (N, n)."""
    h, var, first_mean, last_input = X, [], math.nan, X
    with torch.no_grad():
        for layer in linear_layers(model):
            last_input = h
            z = layer.linear(h)  # (N, m)
            var.append(float(z.var(unbiased=False)))
            h = layer.act(z)
            if layer.index == 0:
                first_mean = float(h.mean())
    return var, first_mean, last_input


def logit_spread(h: np.ndarray, m: int, rng: np.random.Generator) -> tuple[float, float]:
    """The pooled variance of ``z = hW`` (zero bias) as a quadratic form in the ``m`` columns ``w_j`` of ``W``,
    given the input ``h`` (N, n), with ``S = hᵀh/N`` and ``μ`` the mean row of ``h``::

        Var_pooled(z) = (1/m) Σ_j w_jᵀ S w_j − (1/m²) (Σ_j μ·w_j)² = wᵀ K w,
        K = I_m ⊗ S/m − 11ᵀ ⊗ μμᵀ/m²

    over ``w = (w_1, …, w_m)``. For iid Gaussian weights it is ``Σ λ_i g_i²`` (``λ`` the eigenvalues of ``K``,
    ``g_i`` iid standard normal). Returns the effective degrees of freedom ``2E²/Var = (Σλ)²/Σλ²`` (exact; 2 for
    a χ²₂) and the geometric mean over ``DRAWS`` draws divided by the mean ``Σλ`` (``e^{−γ} ≈ 0.56`` for a
    χ²₂).
    """
    S = h.T @ h / len(h)  # (n, n)
    mu = h.mean(axis=0)  # (n,)
    K = np.kron(np.eye(m), S) / m - np.kron(np.ones((m, m)), np.outer(mu, mu)) / m**2  # (m·n, m·n)
    lam = np.clip(np.linalg.eigvalsh(K), 0.0, None)  # (m·n,), ≥ 0 up to round-off: K is a variance
    q = rng.standard_normal((DRAWS, len(lam))) ** 2 @ lam  # (DRAWS,)
    return float(lam.sum() ** 2 / (lam**2).sum()), float(np.exp(np.log(q).mean()) / lam.sum())


def main() -> None:
    X = torch.as_tensor(load_dataset("spirals").X_train, dtype=torch.float64)  # (750, 2)
    m2 = float(X.pow(2).mean())
    cols = [s - 1 for s in SHOWN]
    print(f"{SEEDS} nets per scheme, 11 × 32 ReLU, spirals training points; layers {SHOWN}")
    for scheme in SCHEMES:
        measured, predicted, first, spread = [], [], [], []
        rng = np.random.default_rng(0)
        for seed in range(SEEDS):
            model = init_model_(build_mlp(2, 32, 11, 2), scheme, generator=torch.Generator().manual_seed(seed))
            model = model.double()
            var, h_mean, last_input = measure(model, X)
            if scheme == SPREAD_SCHEME:
                spread.append(logit_spread(last_input.numpy(), 2, rng))
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
        if spread:
            dof, typical = np.percentile(spread, [5, 50, 95], axis=0).T  # each (3,): 5th, 50th, 95th percentile
            print(f"  logits given their input, over the output weights ({DRAWS} draws per net; median, 5–95 % of"
                  f" nets): 2E²/Var {dof[1]:.2f} ({dof[0]:.2f}–{dof[2]:.2f}), geometric mean/mean"
                  f" {typical[1]:.2f} ({typical[0]:.2f}–{typical[2]:.2f}); a χ²₂: 2 and"
                  f" {math.exp(-np.euler_gamma):.2f}")


if __name__ == "__main__":
    main()
