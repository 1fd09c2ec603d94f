"""What a page shows in its own language: an error or a note as a key of the live view's catalog
(``serve/texts.toml``) and the values of its placeholders, which the page fills in with its number format
(``static/view.js``, ``said``). ``Notice`` is the ``ReluscopeError`` that carries one: its ``str()`` stays the
library's one English line (for Python callers and logs), its ``key`` and ``values`` travel in the page's ``error``.
A value named ``setting`` is a control's catalog key, shown as the control's label.
"""

from __future__ import annotations

from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model import finite_parameters, linear_layers
from reluscope.probe.meanfield import PIECEWISE_LINEAR
from reluscope.probe.theory import MOMENT_FORMULAS

LABELS = {"n_samples": "points", "init": "scheme"}  # a setting whose control's label has another catalog key


class Notice(ReluscopeError):
    """A ``ReluscopeError`` whose message the page writes from its catalog's ``key`` with ``values``."""

    def __init__(self, message: str, key: str, **values):
        super().__init__(message)
        self.key, self.values = key, values

    def fields(self) -> dict:
        """The fields of the page's ``error`` message: the English line, the key and the values."""
        return dict(message=str(self), key=self.key, values=self.values)


def said(key: str, **values) -> dict:
    """A panel's note for the page to write in its language: ``{"key": key, "values": values}``."""
    return dict(key=key, values=values)


def label(setting: str) -> str:
    """The catalog key of the label of ``setting``'s control."""
    return LABELS.get(setting, setting)


def why(error: ReluscopeError, model: nn.Module) -> dict:
    """Why the library could not draw a view of ``model`` (its ``error``), as a note in the catalog's words: the
    parameters or activations are no longer finite (a diverged run), an activation is not piecewise linear (no
    cells) or has no moment formula (no theory), a weight matrix is too ill-conditioned to invert; else the library's
    own line."""
    reason = error.reason
    if reason == "not_finite" or not finite_parameters(model):
        return said("note_diverged")
    if reason == "not_piecewise":
        return said("note_not_piecewise", activation=next(
            (lay.kind for lay in linear_layers(model) if lay.kind not in PIECEWISE_LINEAR), ""))
    if reason == "no_moments":
        return said("note_no_theory", activation=next(
            (lay.kind for lay in linear_layers(model) if lay.kind not in MOMENT_FORMULAS), ""))
    if reason == "ill_conditioned":
        return said("note_singular")
    return said("note_library", text=str(error))
