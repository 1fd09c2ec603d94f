"""What each layer keeps of an image: the input view's back-projection ``x̂_l`` of every layer drawn as an
image beside the input, with the residual ``x − x̂_l`` below it.

Images are drawn in the data's raw units (the standardisation undone), each back-projection on the input's
grey scale, each residual on a diverging scale symmetric about 0.
"""

from __future__ import annotations

import math

import numpy as np

from reluscope.data import Standardizer
from reluscope.errors import ReluscopeError
from reluscope.plots.style import plt


def image_shape(n_features: int) -> tuple[int, int]:
    """``(h, w)`` of an input of ``n_features`` pixels: a square (8×8 for the digits); else ``ReluscopeError``."""
    side = math.isqrt(n_features)
    if side < 2 or side * side != n_features:
        raise ReluscopeError(f"images need a square number of input pixels (64 for the 8×8 digits), got "
                             f"{n_features} inputs")
    return side, side


def plot_layer_images(X: np.ndarray, xhat: dict[int, np.ndarray], scaler: Standardizer, *,
                      active: dict[int, np.ndarray] | None = None, labels: np.ndarray | None = None,
                      indices=None, panel: float = 1.1):
    """Two rows per input ``X[r]`` (k, n): the input and each layer's ``xhat[l][r]`` (k, n) as images (titled
    with the share ``active[l][r]`` of the layer's units on, when given), then each layer's residual
    ``x − x̂_l`` with its relative size ``‖x − x̂_l‖ / ‖x‖`` (standardised units). Returns the Figure."""
    shape = image_shape(X.shape[1])
    layers = sorted(xhat)
    raw = scaler.inverse_transform(X)  # (k, n)
    lo, hi = float(raw.min()), float(raw.max())
    fig, axs = plt.subplots(2 * len(X), len(layers) + 1, figsize=(panel * (len(layers) + 1), 2 * panel * len(X)),
                            squeeze=False, layout="constrained")
    for r, x in enumerate(X):
        top, bottom = axs[2 * r], axs[2 * r + 1]
        name = "input" if indices is None else f"#{indices[r]}"
        top[0].imshow(raw[r].reshape(shape), cmap="gray_r", vmin=lo, vmax=hi)
        top[0].set_title(name if labels is None else f"{name} ({labels[r]})", fontsize=7)
        bottom[0].set_axis_off()
        for c, layer in enumerate(layers, start=1):
            diff = (x - xhat[layer][r]) * scaler.std  # (n,) raw units
            top[c].imshow(scaler.inverse_transform(xhat[layer][r]).reshape(shape), cmap="gray_r", vmin=lo, vmax=hi)
            on = "" if active is None else f", {100 * active[layer][r]:.0f}% on"
            top[c].set_title(f"x̂ layer {layer + 1}{on}", fontsize=6)
            bound = max(float(np.abs(diff).max()), 1e-12)
            bottom[c].imshow(diff.reshape(shape), cmap="RdBu_r", vmin=-bound, vmax=bound)
            rel = np.linalg.norm(x - xhat[layer][r]) / max(np.linalg.norm(x), 1e-300)
            bottom[c].set_title(f"x − x̂: {rel:.2g}", fontsize=7)
    for ax in axs.flat:
        ax.set(xticks=[], yticks=[])
    return fig
