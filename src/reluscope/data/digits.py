"""The 8×8 handwritten digits (``sklearn.datasets.load_digits``): 1797 images of 64 pixels, 10 classes.

The images ship with scikit-learn, so the set loads offline. Pixel ``(r, c)`` of an image is feature
``8r + c``; the raw grey values are 0 … 16.
"""

from __future__ import annotations

import numpy as np

from reluscope.data.toy import Points, Seed, _random_state

IMAGE_SHAPE = (8, 8)


def load_digits(*, noise: float = 0.0, random_state: Seed = 0) -> Points:
    """All 1797 digits in scikit-learn's order as ``X`` (1797, 64) float64 grey values and ``y`` (1797,) int64.

    ``noise`` adds Gaussian noise of that std (in grey levels) to every pixel, drawn from ``random_state``.

    Returns
    -------
    X : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,), values in range(10)
    """
    from sklearn.datasets import load_digits as sk_digits  # here: ``import reluscope`` stays light

    X, y = sk_digits(return_X_y=True)
    X = X.astype(np.float64)
    if noise:
        X = X + noise * _random_state(random_state).standard_normal(X.shape)
    return X, y.astype(np.int64)
