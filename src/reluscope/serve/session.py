"""One live view's session: its current run (``Trainer``) and the loop that draws what the run offers.

A session talks through an ``emit(kind, fields)`` coroutine, the same for both hosts: the playground's WebSocket
(``serve_socket``, here) and the notebook widget (``reluscope.widget``). Each client message is checked
(``messages``) and acted on (``handle``); a bad one is answered with an ``error`` and changes nothing.
Drawing runs beside it: ``Slot`` hands the newest ``Snapshot`` from the training thread to the event loop
(older ones are dropped, never queued), a worker thread draws its quick panels (``panels.render``) and the
``frame`` goes out when the socket is free. The slow panels (theory, residuals,
cells and the network graph's weights: ``panels.render_slow``) follow in a ``panels`` message
about every ``SLOW_INTERVAL`` seconds while training (with the frame nearest each due time and at least
``SLOW_FRAMES`` frames without them in between; the interval grows with the square of ``trainer.crowding()``
when more runs train than there are cores), and for every frame of a resting run, a new run's first frame and a
changed view. Their cells are exact polygons at rest, and while training too as long as the chosen layer last had
at most ``LIVE_EXACT`` of them and, drawn while training, the slow panels with them took at most ``LIVE_CPU``
seconds of CPU (else the grid image, until a resting frame finds at most ``LIVE_EXACT``). Every drawing takes a
compute slot (``slots.SLOTS``) in turn with the runs' training steps, and its run takes no step meanwhile
(``Trainer.drawing``) unless more runs train than there are cores (``crowding() > 1``). A session that hears nothing for
``idle_timeout`` seconds is closed; closing stops its run's thread and removes its upload.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS
from reluscope.model.export import export_weights
from reluscope.report.task1 import how_it_ended
from reluscope.report.texts import texts
from reluscope.serve.exercises import LANGUAGES, exercises
from reluscope.serve.messages import Message, View, encode, parse
from reluscope.serve.notice import Notice, said
from reluscope.serve.panels import render, render_slow
from reluscope.serve.saving import load_live_run, save_live_run, saved_runs
from reluscope.serve.scene import Scene, box_of
from reluscope.serve.settings import DRAWN, UPLOADED, Settings, schema
from reluscope.serve.slots import SLOTS
from reluscope.serve.trainer import Snapshot, Trainer, crowding
from reluscope.serve.upload import shown_name, store_upload

SLOW_INTERVAL = 1 / 12  # seconds between redraws of the slow panels while training (12 a second: 10 or more with a
# frame's jitter either side while frames come at 30 a second or more), about …
SLOW_FRAMES = 1  # … with at least this many frames without them in between
LIVE_EXACT = 3000  # while training, a layer's cells are exact polygons while it had at most this many …
LIVE_CPU = 0.05  # … and the slow panels with them took at most this many CPU seconds (12 a second stay possible)
log = logging.getLogger("reluscope.serve")


class Slot:
    """A one-value mailbox from any thread to the event loop: ``put`` replaces, ``take`` waits and empties."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop, self._lock, self._event = loop, threading.Lock(), asyncio.Event()
        self._value: Snapshot | None = None

    def put(self, value: Snapshot) -> None:
        with self._lock:
            self._value = value
        with contextlib.suppress(RuntimeError):  # the event loop has closed: the server is shutting down
            self._loop.call_soon_threadsafe(self._event.set)

    def empty(self) -> bool:
        return self._value is None

    async def take(self) -> Snapshot:
        while True:
            await self._event.wait()
            self._event.clear()
            with self._lock:
                value, self._value = self._value, None
            if value is not None:
                return value


Emit = Callable[[str, dict], Awaitable[None]]  # sends one server message (its kind and fields) to the client


class Session:
    """The state behind one live view; ``emit`` sends to its client. Runs on an asyncio event loop."""

    def __init__(self, emit: Emit, runs_dir: Path, lang: str = "en"):
        self.emit, self.runs_dir, self.lang = emit, runs_dir, lang
        self.settings, self.view, self.run, self.tag = Settings(), View(), 0, 0
        self.trainer: Trainer | None = None
        self.scene: Scene | None = None
        self._canvas = None  # a model of the run's shape that frames load snapshots into
        self._loop = asyncio.get_running_loop()
        self._slot = Slot(self._loop)
        self._send_lock = asyncio.Lock()
        self._last_slow, self._since_slow, self._view_changed = 0.0, 0, False
        self._last_frame, self._frame_gap = 0.0, 0.0  # when the last frame was drawn; mean seconds between frames
        self._grid_cells: set[tuple[int, int]] = set()  # (run, layer) whose exact cells are too many to be live
        self._upload_dir: tempfile.TemporaryDirectory | None = None
        self._csv: tuple[Path, str] | None = None  # the upload's server path and the user's file name
        self._base = None  # the run's data without the drawn points
        self._start: dict | None = None  # the weights the run began from when it was loaded, else None

    async def send(self, kind: str, **fields) -> None:
        async with self._send_lock:
            await self.emit(kind, fields)

    async def open(self) -> None:
        """Greet the client with the settings' schema and start drawing."""
        self._drawer = asyncio.create_task(self._draw_loop())
        await self.send("hello", settings=Settings().to_dict(), schema=schema(), views=VIEWS, lang=self.lang,
                        exercises=exercises(self.lang))

    async def close(self) -> None:
        """Stop drawing and the run's thread; remove the upload."""
        drawer = getattr(self, "_drawer", None)
        if drawer is not None:
            drawer.cancel()
            await asyncio.gather(drawer, return_exceptions=True)
        if self.trainer is not None:
            await asyncio.to_thread(self.trainer.stop)
        if self._upload_dir is not None:
            self._upload_dir.cleanup()

    async def handle(self, checked: Callable[[], Message]) -> None:
        """Act on one client message, checked by ``checked()``; a ``ReluscopeError`` (from the checks or the
        library) becomes an ``error``, and so does anything else that goes wrong (a full disk on "save run"),
        logged with its traceback."""
        try:
            await self._dispatch(checked())
        except ReluscopeError as e:
            await self.send("error", **(e.fields() if isinstance(e, Notice) else dict(message=str(e))))
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception as e:  # noqa: BLE001 — one page's failure must not end its session
            log.exception("handling a message failed")
            error = f"{type(e).__name__}: {e}"
            await self.send("error", **Notice(f"the server could not do that: {error}", "server_failed",
                                              error=error).fields())

    async def _dispatch(self, msg: Message) -> None:
        if msg.type == "settings":
            settings, self.tag = msg.payload
            same_run = replace(settings, points=self.settings.points, through=self.settings.through)
            if (self.trainer is not None and same_run == self.settings and not settings.waits
                    and settings.with_points(self._base).n_classes == self.scene.data.n_classes):
                await self._new_points(settings)
            else:  # a drawn plane that waited for points trains on them at once
                await self.restart(settings, playing=self.trainer.playing if self.trainer else self.settings.waits)
        elif msg.type == "upload":
            await self._upload(*msg.payload)
        elif msg.type == "load":
            await self._load(msg.payload)
        elif msg.type == "runs":
            await self._send_runs()
        elif msg.type == "hello":
            self.lang = msg.payload
            await self.send("exercises", lang=self.lang, exercises=exercises(self.lang))
        elif msg.type == "view":
            self.view, self._view_changed = msg.payload, True
            if self.trainer is not None and self.trainer.at_rest:
                self._slot.put(self.trainer.snapshot())
        elif self.trainer is None and self.settings.waits:
            await self._send_wait()
        elif self.trainer is None:
            raise Notice("no run yet: send settings first", "no_run")
        elif msg.type == "save":
            await self._save()
        elif msg.type == "export":
            await self._export(msg.payload)
        elif msg.payload == "reset":
            await self.restart(self.settings, playing=False)
        else:
            {"play": self.trainer.play, "pause": self.trainer.pause, "step": self.trainer.single_step}[msg.payload]()

    async def restart(self, settings: Settings, *, playing: bool, state: dict | None = None) -> None:
        """Start a new run with ``settings`` (its data and model built first, so a bad setting keeps the old run),
        from the weights ``state`` if given; a drawn plane without points of two classes waits (``_wait``)."""
        if settings.waits:
            return await self._wait(settings)
        csv = None if self._csv is None else str(self._csv[0])
        base, data, model, gen, scene = await asyncio.to_thread(_built, settings, csv, state, self.trainer)
        self.run += 1
        self._grid_cells.clear()  # keyed by run: the old run's are of no use
        self.settings, self.scene, self._canvas, self._base = settings, scene, copy.deepcopy(model), base
        self._start = state
        await self._send_data(playing)
        self.trainer = Trainer(self.run, model, data, settings.train_config(data.name), gen, offer=self._slot.put,
                               wanted=self._slot.empty, on_end=self._ended, playing=playing)
        self.trainer.start()

    async def _wait(self, settings: Settings) -> None:
        """No run (the old one stopped): the page gets the drawn plane with its points and one line saying what to
        do; the first points of two classes start the run."""
        if self.trainer is not None:
            await asyncio.to_thread(self.trainer.stop)
        self.run += 1
        self.settings, self.trainer, self._base = settings, None, None
        data = settings.load_data(None)
        await self.send("data", run=self.run, tag=self.tag, settings=settings.to_dict(), playing=False, name=DRAWN,
                        n_classes=2, depth=settings.depth, box=list(box_of(settings, data)), meanfield=None,
                        train=data.X_train.astype("<f4"), test=data.X_test.astype("<f4"),
                        train_labels=data.y_train.astype("<u2"), test_labels=data.y_test.astype("<u2"))
        await self._send_wait()

    async def _send_wait(self) -> None:
        """The waiting plane's line (the catalog's ``wait_points``), as a ``status``."""
        await self.send("status", run=self.run, metrics={"status": "waiting"}, **said("wait_points"), layer=None,
                        playing=False)

    async def _new_points(self, settings: Settings) -> None:
        """Hand the data with ``settings.points`` to the running trainer (from its next step on) and the page (a
        ``data`` message of the same run, on the plane ``settings.through``); the run goes on."""
        data = settings.with_points(self._base)
        scene = await asyncio.to_thread(Scene.build, settings, data, copy.deepcopy(self._canvas))
        self.settings, self.scene = settings, replace(scene, meanfield=self.scene.meanfield)  # the run's theory
        self.trainer.use_data(data)
        await self._send_data(self.trainer.playing)
        if self.trainer.at_rest:
            self._slot.put(self.trainer.snapshot())  # a resting run's panels measure the new data

    async def _send_data(self, playing: bool) -> None:
        settings = self.settings
        title = self._csv[1] if settings.dataset == UPLOADED and self._csv else settings.dataset
        await self.send("data", run=self.run, tag=self.tag, settings=settings.to_dict(), playing=playing,
                        **self.scene.points(title))

    async def _load(self, name: str) -> None:
        """The run directory ``name`` under the runs directory, as "save run" wrote it: a new run with its settings
        and weights, resting; a directory elsewhere, without ``playground.json`` or broken is refused."""
        settings, state, step, csv = await asyncio.to_thread(load_live_run, self.runs_dir, name)
        if csv is not None:
            self._csv = (csv, csv.name)
        await self.restart(settings, playing=False, state=state)
        await self.send("loaded", name=name, step=step)

    async def _upload(self, name: str, text: str) -> None:
        if self._upload_dir is None:
            self._upload_dir = tempfile.TemporaryDirectory(prefix="reluscope-serve-")
        path = await asyncio.to_thread(store_upload, Path(self._upload_dir.name), name, text)
        self._csv = (path, shown_name(name))
        await self.restart(replace(self.settings, dataset=UPLOADED), playing=False)

    @property
    def upload_path(self) -> Path | None:
        """The server's copy of the uploaded CSV while the run trains on it, else None."""
        return self._csv[0] if self.settings.dataset == UPLOADED and self._csv else None

    def save_run(self, out: Path | None = None) -> Path:
        """Write the current run as a run directory (``saving.save_live_run``; a loaded run retrained from the
        weights it was loaded with), under the runs directory or at ``out``; its path. Blocks while it writes."""
        t = self.trainer
        return save_live_run(self.runs_dir, self.settings, t.data, t.step, t.result, self.upload_path, out=out,
                             start=self._start)

    async def _save(self) -> None:
        step = self.trainer.step
        path = await asyncio.to_thread(self.save_run)
        await self.send("saved", name=path.name, path=str(path.resolve()), step=step)
        await self._send_runs()

    async def _send_runs(self) -> None:
        """The runs a ``load`` can name, newest first (``saving.saved_runs``)."""
        await self.send("runs", runs=await asyncio.to_thread(saved_runs, self.runs_dir))

    async def _export(self, fmt: str) -> None:
        """The current weights (taken between two steps) as a ``fmt`` file, sent as bytes."""
        t = self.trainer
        model = await asyncio.to_thread(t.model_copy)
        step = t.step
        data = await asyncio.to_thread(export_weights, model, fmt)
        await self.send("export", format=fmt, step=step, name=f"reluscope-weights-step{step}.{fmt}",
                        file=np.frombuffer(data, dtype=np.uint8))

    def _ended(self, trainer: Trainer) -> None:
        """Called in the training thread when a run ends by itself: post its outcome to the page."""
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._send_outcome(trainer)))

    async def _send_outcome(self, trainer: Trainer) -> None:
        if trainer.run != self.run:
            return
        if trainer.error is not None:
            log.error("run %d failed", trainer.run, exc_info=trainer.error)
            await self.send("error", **Notice(f"the run stopped: {trainer.error}", "run_failed",
                                              error=str(trainer.error)).fields())
            return
        metrics = trainer.result.metrics
        await self.send("status", run=trainer.run, metrics=metrics, sentences=outcome_sentences(metrics),
                        layer=marked_layer(metrics, self.settings.depth), playing=False)

    async def _draw_loop(self) -> None:
        while True:
            snap = await self._slot.take()
            run, scene, view, canvas = self.run, self.scene, self.view, self._canvas
            if snap.run != run:
                continue
            slow = self._with_slow(snap, time.monotonic())
            canvas.load_state_dict(snap.state)
            drawn = await self._drawn(snap.step, render, scene, canvas, view)
            if drawn is None or snap.run != self.run or scene is not self.scene:  # a new run, points or plane
                continue
            frame = drawn[0]
            await self.send("frame", run=run, step=snap.step, playing=snap.playing, finished=snap.finished,
                            view=asdict(view), **frame)
            if slow:
                cells_key = (run, min(view.layer, scene.settings.depth))
                exact = snap.at_rest or cells_key not in self._grid_cells
                drawn = await self._drawn(snap.step, render_slow, scene, canvas, view, exact=exact,
                                          grad_out_m2=frame["layers"]["gz_out_m2"])
                if drawn is None:
                    continue
                panels, cpu = drawn
                if exact:
                    live = (panels["cells"].get("exact") and panels["cells"]["count"] <= LIVE_EXACT
                            and (snap.at_rest or cpu <= LIVE_CPU))  # at rest: a first call's warm-up
                    (self._grid_cells.discard if live else self._grid_cells.add)(cells_key)
                if snap.run == self.run and scene is self.scene:
                    await self.send("panels", run=run, step=snap.step, view=asdict(view), **panels)

    def _with_slow(self, snap: Snapshot, now: float) -> bool:
        """Whether the frame of ``snap``, drawn at ``now``, also draws the slow panels: always at rest, for a changed
        view and a run's first frame; while training when ``SLOW_FRAMES`` frames without them came since the last
        ones and ``SLOW_INTERVAL · crowding()²`` seconds, less half the mean gap between frames, have passed, so
        that of the frames around the due time the nearest one takes them (frames every 40 ms give them every
        80 ms, not every 120). Crowded (8 runs on 2 cores: every 1.3 s), a page's share of the cores goes to its
        frames first."""
        if not snap.at_rest:
            if self._last_frame:
                gap = min(now - self._last_frame, SLOW_INTERVAL)  # a pause in between counts as one interval
                self._frame_gap += 0.2 * (gap - self._frame_gap)  # moving mean over ~5 frames
            self._last_frame = now
        due = (now - self._last_slow >= SLOW_INTERVAL * crowding() ** 2 - self._frame_gap / 2
               and self._since_slow >= SLOW_FRAMES)
        slow = snap.at_rest or self._view_changed or snap.step == 0 or due
        self._since_slow += 1
        if slow:
            self._last_slow, self._since_slow, self._view_changed = now, 0, False
        return slow

    async def _drawn(self, step: int, fn, *args, **kwargs) -> tuple[dict, float] | None:
        """``(fn(*args, **kwargs), its CPU seconds)``, computed in a worker thread in its turn for a compute slot
        (``slots.SLOTS``), while the run takes no step (``Trainer.drawing``; a crowded run trains on); a failure is
        logged and told to the page (then None)."""
        pause = self.trainer.drawing() if self.trainer is not None else contextlib.nullcontext()
        try:
            return await asyncio.to_thread(_in_turn, pause, fn, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 — a frame that cannot be drawn must not end the session
            log.exception("drawing step %d failed", step)
            await self.send("error", **Notice(f"could not draw step {step}: {e}", "draw_failed", step=step,
                                              error=str(e)).fields())
            return None


def _built(settings: Settings, csv: str | None, state: dict | None, old: Trainer | None):
    """A new run's data without and with the drawn points, model (from the weights ``state`` if given), generator
    and scene, built in one go (one worker thread, not one per part: under load each hop waits its turn for a core,
    and the first frame after a control change waits for them all); then the old run stopped, once nothing failed."""
    base = replace(settings, points=()).load_data(csv)
    data = settings.with_points(base)
    model, gen = settings.build_model(data)
    if state is not None:
        model.load_state_dict(state)
    scene = Scene.build(settings, data, model)
    if old is not None:
        old.stop()
    return base, data, model, gen, scene


def _in_turn(pause: contextlib.AbstractContextManager, fn, *args, **kwargs) -> tuple[object, float]:
    """``fn(*args, **kwargs)`` holding a compute slot, within ``pause`` (the run's ``Trainer.drawing``: no steps
    meanwhile), and the CPU seconds it took."""
    with SLOTS, pause:
        start = time.thread_time()
        return fn(*args, **kwargs), time.thread_time() - start


async def serve_socket(ws: WebSocket, runs_dir: Path, idle_timeout: float, sessions: set[Session]) -> None:
    """One page's session over its WebSocket, until the page closes or stays silent for ``idle_timeout`` s; its
    ``?lang=`` (``exercises.LANGUAGES``, else English) is the language of the exercises in its ``hello``."""

    async def emit(kind: str, fields: dict) -> None:
        frame = encode(kind, **fields)
        await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_text(frame))

    lang = ws.query_params.get("lang", "en")
    session = Session(emit, runs_dir, lang if lang in LANGUAGES else "en")
    sessions.add(session)
    try:
        await session.open()
        while True:
            try:
                message = await asyncio.wait_for(ws.receive(), idle_timeout)
            except TimeoutError:
                await session.send("error", **Notice(f"closed after {idle_timeout:.0f} s without input; reload the "
                                                     "page to start again", "idle",
                                                     seconds=round(idle_timeout)).fields())
                await ws.close(code=1000)
                break
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text") if message.get("text") is not None else message.get("bytes")
            await session.handle(lambda: parse(raw))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the page went away mid-send
    finally:
        sessions.discard(session)
        await session.close()


def outcome_sentences(metrics: dict) -> dict[str, str]:
    """How a run ended in the report's words, in every language of the catalogs: the page or widget shows its own."""
    return {lang: how_it_ended(metrics, texts("task1", lang)) for lang in LANGUAGES}


def marked_layer(metrics: dict, depth: int) -> int | None:
    """The 1-based layer the outcome names, for the red marker: "layer 4 (6)" → 4, "output (loss)" → ``depth``
    (the logits layer); None if it names none."""
    for key in ("diverged_layer", "collapsed_layer"):
        name = metrics.get(key)
        if isinstance(name, str):
            m = re.match(r"layer (\d+)", name)
            return int(m.group(1)) if m else depth
    return None
