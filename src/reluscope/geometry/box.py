"""The box of the input plane that cells, grids and figures are drawn in: ``(x0, x1, y0, y1)``, checked.

Light on purpose (numpy only): a figure of the decision boundary asks for its box without loading the compiled
pattern pass.
"""

from __future__ import annotations

import math

import numpy as np

from reluscope.errors import ReluscopeError

Box = tuple[float, float, float, float]  # (x0, x1, y0, y1)


def check_box(box) -> Box:
    """``box`` as four floats ``(x0, x1, y0, y1)`` with ``x0 < x1``, ``y0 < y1``; else ``ReluscopeError``."""
    try:
        x0, x1, y0, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ReluscopeError(f"a box is four numbers x0 x1 y0 y1, got {box!r}") from None
    if not all(map(math.isfinite, (x0, x1 - x0, y0, y1 - y0))) or not (x0 < x1 and y0 < y1):
        raise ReluscopeError(f"box needs finite x0 < x1 and y0 < y1 (and finite widths), got {(x0, x1, y0, y1)}",
                             "not_finite")
    return x0, x1, y0, y1


def data_box(X: np.ndarray, margin: float = 0.5) -> Box:
    """The bounding box of ``X`` (n, 2) widened by ``margin`` (0 or more) on every side (the box of
    ``plots.boundary.grid_over``)."""
    margin = check_margin(margin)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    return check_box((lo[0], hi[0], lo[1], hi[1]))


def check_margin(margin: float) -> float:
    """``margin`` if it is 0 or more and finite; else ``ReluscopeError``."""
    if not 0 <= margin < np.inf:
        raise ReluscopeError(f"margin must be 0 or more and finite, got {margin}")
    return margin
