"""The widget: anywidget's ``AnyWidget`` with the live view's module and style (``serve.bundle``).

State that every view of the widget needs is a trait, synced both ways and kept with the notebook: ``mode``,
``lang`` (the texts' language, ``"en"`` or ``"de"``; ``None``: the browser's), ``projector`` (large type),
``schema``, ``settings`` and ``request`` (the number of the latest settings request), ``view``, ``playing`` and
``data`` (the run's points, its arrays as binary buffers). Frames are messages (``emit``), never traits: they
would be saved in the notebook. ``on_message`` receives what the front-end sends (control, save, upload).
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

from reluscope.errors import ReluscopeError
from reluscope.serve.bundle import bundle, stylesheet
from reluscope.serve.exercises import LANGUAGES
from reluscope.serve.messages import split


class LiveView(anywidget.AnyWidget):
    """The live view's widget; ``mode`` "playground" shows the controls, "watch" only the views."""

    _esm = traitlets.Unicode(bundle()).tag(sync=True)
    _css = traitlets.Unicode(stylesheet()).tag(sync=True)
    mode = traitlets.Unicode("watch").tag(sync=True)
    lang = traitlets.Unicode(None, allow_none=True).tag(sync=True)  # "en" or "de"; None: the browser's language
    projector = traitlets.Bool(False).tag(sync=True)  # large type
    schema = traitlets.Dict().tag(sync=True)
    settings = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    request = traitlets.Int(0).tag(sync=True)
    view = traitlets.Dict({"layer": 1, "projection": "input"}).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    data = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._handlers: list[Callable[[dict, list], None]] = []
        self.on_msg(self._received)

    def emit(self, kind: str, fields: dict) -> None:
        """Send one server message (``serve.messages``) with its arrays as the comm's buffers."""
        message, buffers = split(kind, **fields)
        self.send(message, buffers)

    def set_data(self, fields: dict) -> None:
        """The run's ``data`` message as the ``data`` trait: its arrays as bytes in place, which the comm sends
        as buffers and the front-end receives as DataViews."""
        message, buffers = split("data", **fields)
        self.data = inline(message, buffers)

    def on_message(self, handler: Callable[[dict, list], None]) -> None:
        """Call ``handler(content, buffers)`` for every message the front-end sends."""
        self._handlers.append(handler)

    def _received(self, _widget, content, buffers) -> None:
        for handler in self._handlers:
            handler(content, list(buffers or []))


def inline(value, buffers: list):
    """``value`` with each array header's buffer index replaced by the buffer's bytes."""
    if isinstance(value, dict):
        return {k: bytes(buffers[v]) if k == "buffer" and isinstance(v, int) else inline(v, buffers)
                for k, v in value.items()}
    if isinstance(value, list):
        return [inline(v, buffers) for v in value]
    return value


def check_lang(lang: str | None) -> str | None:
    """``lang`` if the live view speaks it (``None``: the browser's language); else ``ReluscopeError``."""
    if lang is not None and lang not in LANGUAGES:
        raise ReluscopeError(f"lang must be one of {', '.join(LANGUAGES)} or None (the browser's), got {lang!r}")
    return lang
