"""``rs.Playground(**settings)``: the whole playground in a notebook cell — controls, live views, presets, save run.

It is the page's ``serve.session.Session`` on the widget instead of a WebSocket: the session runs on an event
loop of its own in one kernel thread, and its run trains in another (``serve.trainer``), so the notebook stays
usable while it trains. The front-end's trait changes and messages are handed to that loop; the session's
messages come back as traits (``hello`` → ``schema``, ``data`` → ``data``, ``settings``, ``playing``) or as comm
messages with binary buffers (frames, panels, status, …).

From Python: ``pg.settings`` (the current ``Settings``), ``pg.model`` (a copy of the net between two steps),
``pg.metrics`` (the step and scores so far; the outcome's metrics once the run has ended), ``pg.save(path)``
(a run directory), ``pg.close()`` (stops the run, the loop and both threads; closing the widget's output does
the same, and a restarted kernel takes its threads with it).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.serve.messages import VERSION, check
from reluscope.serve.session import Session
from reluscope.serve.settings import Settings
from reluscope.serve.warm import warm_up
from reluscope.widget.liveview import LiveView, check_lang

TIMEOUT = 60.0  # seconds to wait for the session's loop to act on a call from Python


class Playground:
    """The playground as a widget; ``settings`` as ``Settings``' fields (e.g. ``depth=11, init="normal"``);
    ``lang``: ``"en"`` or ``"de"`` (``None``: the browser's language)."""

    def __init__(self, *, runs_dir: str | Path = "out/playground", lang: str | None = None, **settings):
        first = Settings.from_dict(settings)  # a bad setting is refused here, before any thread starts
        self.widget = LiveView(mode="playground", lang=check_lang(lang))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reluscope-playground", daemon=True)
        self._thread.start()
        self._last: dict = {}  # the latest frame's step and scores
        self._closed = False
        self._session = self._call(_session(self._emit, Path(runs_dir), lang or "en"))  # made on its loop
        self._call(self._session.open())
        self._call(self._session.handle(lambda: check({"v": VERSION, "type": "settings",
                                                       "settings": first.to_dict(), "tag": 0}, [])))
        self.widget.observe(self._changed, names=["settings", "view", "playing"])
        self.widget.on_message(self._received)
        if self.widget.comm is not None and hasattr(self.widget.comm, "on_close"):
            self.widget.comm.on_close(lambda _msg: self.close())

    # ---- Python's side
    @property
    def settings(self) -> Settings:
        return self._session.settings

    @property
    def model(self) -> nn.Sequential:
        """A copy of the current net, taken between two training steps."""
        return self._trainer().model_copy()

    @property
    def metrics(self) -> dict:
        """``{"step", "status": "running", scores…}`` while the run goes on; the run's metrics once it ended."""
        t = self._trainer()
        if t.result is not None:
            return dict(t.result.metrics)
        return dict(step=t.step, status="running", **self._last.get("scores", {}))

    def save(self, path: str | Path) -> Path:
        """Write the run as it stands as a run directory at ``path`` (which must not exist); returns it."""
        self._trainer()  # not closed
        return self._session.save_run(Path(path))

    def close(self) -> None:
        """Stop the run and the session's thread, and close the widget; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._session.close(), self._loop).result(TIMEOUT)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT)
        self._loop.close()
        self.widget.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _trainer(self):
        if self._closed:
            raise ReluscopeError("this playground is closed")
        return self._session.trainer

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(TIMEOUT)

    # ---- the front-end's side, handed to the session's loop
    def _changed(self, change) -> None:
        if threading.current_thread() is self._thread:
            return  # the session's own update, echoed to the front-end
        w = self.widget
        if change["name"] == "settings":
            message = {"type": "settings", "settings": w.settings, "tag": w.request}
        elif change["name"] == "view":
            message = {"type": "view", "view": w.view}
        else:
            message = {"type": "control", "action": "play" if w.playing else "pause"}
        self._hand_over({"v": VERSION, **message}, [])

    def _received(self, content: dict, buffers: list) -> None:
        self._hand_over({"v": VERSION, **content}, buffers)

    def _hand_over(self, message: dict, buffers: list) -> None:
        if not self._closed:
            asyncio.run_coroutine_threadsafe(self._session.handle(lambda: check(message, buffers)), self._loop)

    async def _emit(self, kind: str, fields: dict) -> None:
        """The session's messages: state as traits, frames and the rest as comm messages."""
        w = self.widget
        if kind == "hello":
            w.schema = {"fields": fields["schema"], "views": list(fields["views"]), "exercises": fields["exercises"]}
        elif kind == "data":
            with w.hold_sync():
                w.set_data(fields)
                w.settings, w.playing = fields["settings"], fields["playing"]
        else:
            if kind == "frame":
                self._last = dict(step=fields["step"], scores=fields["scores"])
            if kind == "status":
                w.playing = False
            w.emit(kind, fields)


async def _session(emit, runs_dir: Path, lang: str) -> Session:
    warm_up()  # the first run's imports, made while the widget opens (``warm.warm_up``)
    return Session(emit, runs_dir, lang)
