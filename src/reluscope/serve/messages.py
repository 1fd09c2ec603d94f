"""The live view's message schema, one for both hosts (the playground's WebSocket and the notebook widget's comm):
JSON objects with a version field, checked before anything acts on them. Arrays travel as binary buffers
(``codec``).

Client → server (``type``, then its fields; nothing else is accepted)::

    settings  settings: {field: value, …}, tag: int   a new run (fields as ``Settings``; missing ones keep
                                                      defaults); ``tag`` numbers the request, and the run's
                                                      ``data`` echoes the latest one
    control   action: play | pause | step | reset
    view      view: {layer: 1…30, projection: input | embedded | nonzero}
    upload    name: str, and one buffer: the file's bytes    a CSV (x1, …, xd, label), at most MAX_UPLOAD bytes
    save      (no fields)                      write the run directory
    export    format: json | pt                the current weights as a file (answered by ``export``)
    hello     lang: en | de                    the exercises in that language (answered by ``exercises``)
    load      run: str                         a run directory that "save run" wrote under the runs directory,
                                               by its name: its settings and weights, resting (``loaded``)
    runs      (no fields)                      the names of the runs that can be loaded (answered by ``runs``)

Server → client: ``hello`` (the settings' schema, the views, ``lang`` and ``exercises``: the sheet's exercises in
that language, as ``exercises.exercises``), ``exercises`` (``lang``, ``exercises``), ``loaded`` (``name``, ``step``:
the step it was saved at), ``runs`` (``runs``: the names ``load`` takes, newest first; also sent after every
``saved``), ``data`` (a run's points, once per run and again when the drawn points or the plane
change; for inputs of n > 2 the points on the plane and its ``slice``), ``export`` (``format``, ``step``, ``name``:
a file name, ``file``: the bytes as a ``|u1`` array), ``frame`` (the quick panels of one step), ``panels`` (the slow
ones, and ``weights``: the network graph's, ``graph``), ``geometry`` (``rs.watch``: every layer's views), ``status``
(a run's outcome: ``metrics`` and ``sentences``, one per language, the host shows its own; or the empty plane
waiting for points: ``key``, ``values``), ``saved``, ``error`` and ``busy`` (``message``, the English line; and,
where a student's action caused it, ``key`` and ``values`` of the catalog, which the page says in its language:
``notice``).
A message that fails a check raises ``ReluscopeError``; the session answers it with an ``error`` and carries on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS
from reluscope.model.export import FORMATS
from reluscope.serve.exercises import LANGUAGES
from reluscope.serve.codec import dumps, envelope, open_envelope, to_wire
from reluscope.serve.notice import Notice
from reluscope.serve.settings import BOUNDS, Settings
from reluscope.serve.upload import shown_name

VERSION = 2
MAX_UPLOAD = 1_000_000  # bytes of an uploaded CSV
MAX_MESSAGE = MAX_UPLOAD + 4096  # bytes of any client message (an upload's header and padding around it)
MAX_NAME = 200  # characters of an upload's file name
MAX_TAG = 2**31 - 1
ACTIONS = ("play", "pause", "step", "reset")
FIELDS = {"settings": {"settings"}, "control": {"action"}, "view": {"view"}, "upload": {"name"}, "save": set(),
          "export": {"format"}, "hello": {"lang"}, "load": {"run"}, "runs": set()}
OPTIONAL = {"settings": {"tag"}}


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


def parse(raw: str | bytes) -> Message:
    """Check one client message from the WebSocket (JSON text, or an envelope for an upload)."""
    if not isinstance(raw, (str, bytes)):
        raise ReluscopeError("messages are JSON text or binary envelopes")
    if len(raw) > MAX_MESSAGE:
        raise ReluscopeError(f"message of {len(raw)} {'bytes' if isinstance(raw, bytes) else 'characters'}; "
                             f"at most {MAX_MESSAGE}")
    if isinstance(raw, bytes):
        return check(*open_envelope(raw, max_buffers=1))
    try:
        d = json.loads(raw)
    except (ValueError, RecursionError):
        raise ReluscopeError("message is not valid JSON") from None
    return check(d, [])


def check(d, buffers: list) -> Message:
    """Check one decoded client message and its buffers (the widget's comm hands them over decoded);
    ``ReluscopeError`` names the first problem."""
    if not isinstance(d, dict):
        raise ReluscopeError("message must be a JSON object")
    if d.get("v") != VERSION:
        raise ReluscopeError(f"message version must be {VERSION}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise ReluscopeError(f"unknown message type; expected one of {', '.join(FIELDS)}")
    extra = set(d) - {"v", "type"} - FIELDS[kind] - OPTIONAL.get(kind, set())
    missing = FIELDS[kind] - set(d)
    if extra or missing:
        raise ReluscopeError(f"{kind} message: " + (f"unknown field {sorted(extra)[0][:40]!r}" if extra
                                                    else f"missing field {sorted(missing)[0]!r}"))
    if (kind == "upload") != bool(buffers) or len(buffers) > 1:
        raise ReluscopeError("only an upload carries a buffer: the file's bytes" if kind != "upload"
                             else "an upload carries one buffer: the file's bytes")
    return Message(kind, _payload(kind, d, buffers))


def _payload(kind: str, d: dict, buffers: list):
    if kind == "settings":
        tag = d.get("tag", 0)
        if not (type(tag) is int and 0 <= tag <= MAX_TAG):
            raise ReluscopeError(f"settings tag must be a whole number in [0, {MAX_TAG}]")
        return Settings.from_dict(_object(d["settings"], "settings")), tag
    if kind == "control":
        if d["action"] not in ACTIONS:
            raise ReluscopeError(f"control action must be one of {', '.join(ACTIONS)}")
        return d["action"]
    if kind == "view":
        return _view(_object(d["view"], "view"))
    if kind == "hello":
        if d["lang"] not in LANGUAGES:
            raise ReluscopeError(f"lang must be one of {', '.join(LANGUAGES)}")
        return d["lang"]
    if kind == "load":
        if not is_run_name(d["run"]):
            raise ReluscopeError(f"load names a run directory: a name of at most {MAX_NAME} characters without "
                                 "a folder")
        return d["run"]
    if kind == "export":
        if d["format"] not in FORMATS:
            raise ReluscopeError(f"export format must be one of {', '.join(FORMATS)}")
        return d["format"]
    if kind == "upload":
        name, data = d["name"], bytes(buffers[0])
        if not isinstance(name, str) or len(name) > MAX_NAME:
            raise ReluscopeError(f"upload name must be a string of at most {MAX_NAME} characters")
        shown = shown_name(name)
        if len(data) > MAX_UPLOAD:
            raise Notice(f"{shown}: {len(data):,} bytes; a CSV may have at most {MAX_UPLOAD:,}", "upload_size",
                         name=shown, size=len(data), most=MAX_UPLOAD)
        try:
            return name, data.decode("utf-8")
        except UnicodeDecodeError:
            raise Notice(f"{shown}: not UTF-8 text", "upload_text", name=shown) from None
    return None


def is_run_name(name) -> bool:
    """Whether ``name`` can name a run directory in a ``load``: text of at most ``MAX_NAME`` printable characters
    (so no lone surrogate of a name that is not UTF-8), no folder in it, not ``.`` or ``..``."""
    return (isinstance(name, str) and 0 < len(name) <= MAX_NAME and name not in (".", "..") and name.isprintable()
            and not set(name) & set("/\\"))


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


def split(kind: str, **fields) -> tuple[dict, list[memoryview]]:
    """A server message ``{"v": VERSION, "type": kind, …}`` as JSON-ready data and its arrays' buffers (the
    widget's comm sends the two as they are); non-finite numbers outside arrays become ``null``."""
    buffers: list[memoryview] = []
    return to_wire({"v": VERSION, "type": kind, **fields}, buffers), buffers


def encode(kind: str, **fields) -> str | bytes:
    """A server message for the WebSocket: JSON text, or an envelope when it carries arrays."""
    message, buffers = split(kind, **fields)
    return envelope(message, buffers) if buffers else dumps(message)
