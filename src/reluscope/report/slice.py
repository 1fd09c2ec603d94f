"""The plane a study draws inputs of more than two dimensions on: through three typical data points.

The input space of ``n > 2`` inputs cannot be drawn; Task 0 and the cells section draw the plane through three
data points instead (``geometry.plane``: ``x(s, t) = p0 + s·(p1 − p0) + t·(p2 − p0)``, the points at (0, 0),
(1, 0), (0, 1)). It is the plane Task 2 carries back (``plots.backprojection.backprojection_frames``): through
the typical points of classes 0, 1, 2 (``plane.auto_indices``) among the points a frame draws
(``StudyContext.shown``), so every section shows the same plane.
"""

from __future__ import annotations

import numpy as np

from reluscope.geometry.plane import Plane, auto_indices, near_plane, plane_through
from reluscope.report.stage import StudyContext


def plane_indices(ctx: StudyContext) -> tuple[int, int, int]:
    """Indices into ``ctx.data.X`` of the three points the study's plane goes through."""
    shown = ctx.shown_indices()  # (k,)
    return tuple(int(shown[i]) for i in auto_indices(*ctx.shown()))


def study_plane(ctx: StudyContext) -> Plane:
    """The plane through ``plane_indices(ctx)`` with the box ``[−0.5, 1.5]²`` of plane coordinates."""
    return plane_through(ctx.data.X, plane_indices(ctx))


def named_points(ctx: StudyContext) -> str:
    """The three points as the texts name them: ``#i (class)``, separated by commas."""
    return ", ".join(f"#{i} ({ctx.data.y[i]})" for i in plane_indices(ctx))


def near_points(ctx: StudyContext, plane: Plane) -> tuple[np.ndarray, np.ndarray]:
    """``(st, y)``: the plane coordinates (k, 2) and classes (k,) of the data points nearest ``plane``
    (``plane.near_plane``), where they project."""
    st, distance = plane.project(ctx.data.X)  # (N, 2), (N,)
    near = near_plane(distance)  # (N,)
    return st[near], ctx.data.y[near]
