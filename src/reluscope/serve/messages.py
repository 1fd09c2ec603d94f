"""The playground's wire format: JSON text messages with a version field, checked before anything acts on them.

Client → server (``type``, then its fields; nothing else is accepted)::

    settings  settings: {field: value, …}      a new run (fields as ``Settings``; missing ones keep defaults)
    control   action: play | pause | step | reset
    view      view: {layer: 1…30, projection: input | embedded | nonzero}
    upload    name: str, text: str             a CSV (x1, x2, label), at most MAX_UPLOAD characters
    save      (no fields)                      write the run directory

Server → client: ``hello``, ``data``, ``frame``, ``panels``, ``status``, ``saved``, ``error``, ``busy``.
A message that fails a check raises ``ReluscopeError``; the session answers it with an ``error`` and carries on.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass

import numpy as np

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS
from reluscope.serve.settings import BOUNDS, Settings

VERSION = 1
MAX_UPLOAD = 1_000_000  # characters of an uploaded CSV
MAX_MESSAGE = MAX_UPLOAD + 4096  # characters of any client message (the upload's JSON around it)
MAX_NAME = 200  # characters of an upload's file name
ACTIONS = ("play", "pause", "step", "reset")
FIELDS = {"settings": {"settings"}, "control": {"action"}, "view": {"view"}, "upload": {"name", "text"},
          "save": set()}


@dataclass(frozen=True)
class View:
    """What the Task 2 and cells panels show; changing it redraws, it does not restart the run."""

    layer: int = 1  # 1-based; clipped to the network's depth
    projection: str = "input"  # geometry.backproject.VIEWS


@dataclass(frozen=True)
class Message:
    """One checked client message: its type and its payload (``Settings``, ``View``, an action, an upload)."""

    type: str
    payload: object = None


def parse(text: str) -> Message:
    """Check one client message; ``ReluscopeError`` names the first problem."""
    if not isinstance(text, str):
        raise ReluscopeError("messages are JSON text")
    if len(text) > MAX_MESSAGE:
        raise ReluscopeError(f"message of {len(text)} characters; at most {MAX_MESSAGE}")
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        raise ReluscopeError("message is not valid JSON") from None
    if not isinstance(d, dict):
        raise ReluscopeError("message must be a JSON object")
    if d.get("v") != VERSION:
        raise ReluscopeError(f"message version must be {VERSION}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise ReluscopeError(f"unknown message type; expected one of {', '.join(FIELDS)}")
    extra = set(d) - {"v", "type"} - FIELDS[kind]
    missing = FIELDS[kind] - set(d)
    if extra or missing:
        raise ReluscopeError(f"{kind} message: " + (f"unknown field {sorted(extra)[0][:40]!r}" if extra
                                                    else f"missing field {sorted(missing)[0]!r}"))
    return Message(kind, _payload(kind, d))


def _payload(kind: str, d: dict):
    if kind == "settings":
        return Settings.from_dict(_object(d["settings"], "settings"))
    if kind == "control":
        if d["action"] not in ACTIONS:
            raise ReluscopeError(f"control action must be one of {', '.join(ACTIONS)}")
        return d["action"]
    if kind == "view":
        return _view(_object(d["view"], "view"))
    if kind == "upload":
        name, text = d["name"], d["text"]
        if not (isinstance(name, str) and isinstance(text, str)):
            raise ReluscopeError("upload name and text must be strings")
        if len(name) > MAX_NAME or len(text) > MAX_UPLOAD:
            raise ReluscopeError(f"upload too large: at most {MAX_UPLOAD} characters")
        return name, text
    return None


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise ReluscopeError(f"{name} must be a JSON object")
    return value


def _view(d: dict) -> View:
    unknown = set(d) - {"layer", "projection"}
    if unknown:
        raise ReluscopeError(f"unknown view field {sorted(unknown)[0][:40]!r}")
    view = View(**d)
    low, high = BOUNDS["depth"]
    if not (isinstance(view.layer, int) and not isinstance(view.layer, bool) and low <= view.layer <= high):
        raise ReluscopeError(f"view layer must be a whole number in [{low}, {high}]")
    if view.projection not in VIEWS:
        raise ReluscopeError(f"view projection must be one of {', '.join(VIEWS)}")
    return view


def encode(kind: str, **fields) -> str:
    """A server message as JSON text: ``{"v": 1, "type": kind, …}``, non-finite numbers as ``null``."""
    return json.dumps({"v": VERSION, "type": kind, **_finite(fields)}, allow_nan=False, separators=(",", ":"))


def pack(array: np.ndarray, dtype: str) -> str:
    """An array's bytes (little-endian ``dtype``, row-major) in base64: how images and point sets travel."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode()


def _finite(value):
    """``value`` with every NaN/±inf float (also inside lists and dicts) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
