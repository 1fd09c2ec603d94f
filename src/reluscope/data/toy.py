"""2D toy classification data sets in the manner of ``sklearn.datasets``.

Every generator takes ``n_samples`` first, keyword-only ``noise`` and ``random_state``, and returns
``X`` of shape (n_samples, 2) (float64) and ``y`` of shape (n_samples,) (int64). Classes are balanced
up to one sample. Moons and circles are scikit-learn's own generators.
"""

from __future__ import annotations

import numpy as np

# scikit-learn is imported inside the generators that use it: ``import reluscope`` stays light.

Seed = int | np.random.RandomState | None  # a ``random_state``, as ``sklearn.utils.check_random_state`` takes it
Points = tuple[np.ndarray, np.ndarray]  # ``X`` (n_samples, n_features) and the labels ``y`` (n_samples,)


def _random_state(seed: Seed) -> np.random.RandomState:
    """``sklearn.utils.check_random_state``: an int seeds a new ``RandomState``, one is passed through."""
    from sklearn.utils import check_random_state

    return check_random_state(seed)


def _split_counts(n_samples: int, k: int) -> np.ndarray:
    """Class sizes that sum to ``n_samples`` and differ by at most one."""
    return np.full(k, n_samples // k) + (np.arange(k) < n_samples % k)


def make_moons(n_samples: int = 500, *, noise: float = 0.1, random_state: Seed = 0) -> Points:
    """Two interleaving half circles (``sklearn.datasets.make_moons``).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in {0, 1}
    """
    from sklearn.datasets import make_moons as sk_moons

    X, y = sk_moons(n_samples, noise=noise, random_state=random_state)
    return X, y.astype(np.int64)


def make_circles(n_samples: int = 500, *, noise: float = 0.08, factor: float = 0.5, random_state: Seed = 0) -> Points:
    """A small circle inside a large one (``sklearn.datasets.make_circles``).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in {0, 1}; 1 is the inner circle
    """
    from sklearn.datasets import make_circles as sk_circles

    X, y = sk_circles(n_samples, noise=noise, factor=factor, random_state=random_state)
    return X, y.astype(np.int64)


def make_spirals(n_samples: int = 500, *, n_arms: int = 2, turns: float = 1.5, noise: float = 0.2,
                 random_state: Seed = 0) -> Points:
    """Interleaved spiral arms, one class per arm.

    Arm ``k`` is the curve ``r(t) = t, θ(t) = 2π·turns·t + 2πk/n_arms`` for t ∈ [0.05, 1], scaled to
    radius 3, plus isotropic Gaussian noise of std ``noise``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in range(n_arms)
    """
    rng = _random_state(random_state)
    y = np.repeat(np.arange(n_arms), _split_counts(n_samples, n_arms))  # (n,)
    t = rng.uniform(0.05, 1.0, size=n_samples)  # (n,)
    theta = 2 * np.pi * (turns * t + y / n_arms)  # (n,)
    X = 3.0 * t[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])  # (n, 2)
    X += noise * rng.standard_normal((n_samples, 2))
    return X, y.astype(np.int64)


def make_xor(n_samples: int = 500, *, noise: float = 0.1, random_state: Seed = 0) -> Points:
    """The XOR problem: four Gaussian clusters at (±1, ±1); the label is 1 where x1·x2 < 0.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in {0, 1}
    """
    rng = _random_state(random_state)
    corner = np.repeat(np.arange(4), _split_counts(n_samples, 4))  # (n,)
    centres = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    X = centres[corner] + noise * rng.standard_normal((n_samples, 2))  # (n, 2)
    return X, (corner >= 2).astype(np.int64)


def make_gaussians(n_samples: int = 500, *, n_classes: int = 3, noise: float = 1.0, random_state: Seed = 0) -> Points:
    """``n_classes`` isotropic Gaussian blobs on a circle of radius 4, std ``noise``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in range(n_classes)
    """
    from sklearn.datasets import make_blobs

    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])  # (k, 2)
    X, y = make_blobs(list(_split_counts(n_samples, n_classes)), centers=centres, cluster_std=noise,
                      random_state=random_state)
    return X, y.astype(np.int64)


def make_checkerboard(n_samples: int = 500, *, n_tiles: int = 4, noise: float = 0.0, random_state: Seed = 0) -> Points:
    """Points uniform on [0, n_tiles)², labelled by the colour of their tile of a checkerboard.

    ``noise`` is the std of Gaussian jitter added after labelling.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values in {0, 1}
    """
    rng = _random_state(random_state)
    X = rng.uniform(0, n_tiles, size=(n_samples, 2))  # (n, 2)
    y = (np.floor(X).sum(axis=1) % 2).astype(np.int64)  # (n,)
    return X + noise * rng.standard_normal(X.shape), y
