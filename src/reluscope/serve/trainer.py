"""One live run: the library's ``train_model`` in its own thread, steered through its progress callback.

``train_model`` calls ``progress(1)`` after every optimisation step. Here that callback

* offers the current parameters to the page (``offer(Snapshot)``) on a frame clock of ``FRAME_INTERVAL`` seconds
  (``next_frame``: a frame offered a step late does not put off the ones after it) and only when the previous frame
  has been taken (``wanted()``), so drawing never queues up behind training;
* takes no step while its page draws (``drawing()``), and after a drawing that took ``t`` seconds trains at least
  ``TRAIN_SHARE · t`` seconds before it offers the next frame: drawing and training then take turns on one core
  instead of both wanting one while the browser on the same machine wants one too, each frame is drawn at full
  speed, and the run keeps at least a third of the turns however slow the drawing gets (a busy machine too). With
  more runs training than cores (``crowding() > 1``) the slots already share the cores out, and a run that paused
  would only queue once more for the step before each frame: there it trains on;
* hands its compute slot back (``SLOTS``: one per core, shared with the pages' drawing, handed out first come,
  first served) after a turn of ``TURN`` seconds of steps, and queues for it again: with more runs training than
  cores every run and every page takes its turn (a run's one or two steps, a page's frame), a page
  whose frame is not drawn yet skips to the newest state, and no run waits for its page to finish a frame;
* blocks while the run is paused (holding no slot); ``single_step`` lets exactly one more step through;
* hands new data (``use_data``: the drawn points changed) to ``train_model`` before the next step;
* raises ``Stopped`` when the run is stopped (a new setting, a reset, the socket closed), which unwinds
  ``train_model`` and ends the thread.

A run that ends (all steps done, or diverged) keeps its ``TrainResult`` in ``result``.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from reluscope.data import Dataset
from reluscope.serve.slots import CORES, SLOTS
from reluscope.train.config import TrainConfig
from reluscope.train.loop import TrainResult, train_model

FRAME_INTERVAL = 1 / 60  # seconds between offered frames at most (60 frames/s)
JOIN_TIMEOUT = 10.0  # seconds to wait for a stopped run's current step to finish
TRAIN_SHARE = 0.5  # after a drawing of t seconds, the run trains at least TRAIN_SHARE·t before the next frame
TURN = 0.005  # seconds of training steps a run does in one turn of its compute slot (a third of a frame's drawing)
_training, _training_lock = set(), threading.Lock()  # the runs whose thread is training now (not paused)


def next_frame(due: float, now: float) -> float:
    """When the frame after the one due at ``due`` and offered at ``now`` is due: ``FRAME_INTERVAL`` after ``due``, so
    that frames offered a step (or a drawing) late still come 60 a second on average instead of one interval plus
    the lateness apart; but no sooner than half an interval after ``now``, so that after a pause, or a drawing
    longer than an interval, the frames do not crowd in to catch up."""
    return max(due + FRAME_INTERVAL, now + FRAME_INTERVAL / 2)


def crowding() -> float:
    """Runs training at this moment per core, at least 1: how many turns each slot is shared between."""
    return max(1.0, len(_training) / CORES)


class Stopped(Exception):
    """Raised in the progress callback to end a run early."""


@dataclass(frozen=True)
class Snapshot:
    """The parameters of a run at one step, and whether the run is resting there (paused or finished)."""

    run: int  # the session's run counter
    step: int  # optimisation steps done
    state: dict  # state_dict copy
    at_rest: bool  # paused or finished: the parameters stay as they are
    playing: bool
    finished: bool


class Trainer:
    """Trains ``model`` on ``data`` with ``cfg`` in a daemon thread; starts paused at step 0."""

    def __init__(self, run: int, model: nn.Sequential, data: Dataset, cfg: TrainConfig,
                 generator: torch.Generator, *,
                 offer: Callable[[Snapshot], None], wanted: Callable[[], bool],
                 on_end: Callable[[Trainer], None], playing: bool = False):
        self.run, self.model, self.data, self.cfg, self.generator = run, model, data, cfg, generator
        self._offer, self._wanted, self._on_end = offer, wanted, on_end
        self._cond = threading.Condition()
        self.playing, self._budget, self._stopped = playing, 0, False
        self._drawing = 0  # drawings of this run's state under way (``drawing``)
        self.step, self._next_offer = 0, 0.0  # the next frame is due at _next_offer (``next_frame``)
        self._copies: list[tuple[list, threading.Event]] = []  # model copies asked for by other threads
        self._next_data: Dataset | None = None  # data for the next step on
        self.result: TrainResult | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._main, name=f"reluscope-run-{run}", daemon=True)
        self._holding, self._turn_start = False, 0.0  # this run's thread holds a compute slot, since when

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None

    @property
    def at_rest(self) -> bool:
        """Paused or finished: the parameters do not change until the page says so."""
        return self.finished or not (self.playing or self._budget)

    def start(self) -> None:
        self._thread.start()

    def play(self) -> None:
        self._set(playing=True)

    def pause(self) -> None:
        self._set(playing=False)

    def single_step(self) -> None:
        self._set(playing=False, budget=1)

    def use_data(self, data: Dataset) -> None:
        """Train on ``data`` from the next step on (``data`` names it at once, for saving)."""
        with self._cond:
            self._next_data, self.data = data, data

    def _take_data(self) -> Dataset | None:
        with self._cond:
            data, self._next_data = self._next_data, None
        return data

    def stop(self) -> None:
        """End the run and wait (up to ``JOIN_TIMEOUT``) for its thread; safe to call twice."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(JOIN_TIMEOUT)

    @contextlib.contextmanager
    def drawing(self) -> Iterator[None]:
        """While the block runs (the page draws this run's state), the run takes no step: it waits after its
        current one, holding no compute slot; then it trains ``TRAIN_SHARE`` times as long before the next frame.
        Crowded (``crowding() > 1``), the run trains on."""
        if crowding() > 1:
            yield
            return
        start = time.monotonic()
        with self._cond:
            self._drawing += 1
        try:
            yield
        finally:
            end = time.monotonic()
            with self._cond:
                self._drawing -= 1
                self._next_offer = max(self._next_offer, end + TRAIN_SHARE * (end - start))
                self._cond.notify_all()

    def model_copy(self) -> nn.Sequential:
        """A copy of the model between two steps: at once when the run rests, else made by the training thread
        after its current step."""
        with self._cond:
            if self.at_rest or not self._thread.is_alive():
                return copy.deepcopy(self.model)
            box, done = [], threading.Event()
            self._copies.append((box, done))
        done.wait(JOIN_TIMEOUT)
        return box[0] if box else copy.deepcopy(self.model)

    def snapshot(self) -> Snapshot:
        """The current parameters (the model does not change while the run rests, so this is safe then)."""
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return Snapshot(self.run, self.step, state, self.at_rest, self.playing and not self.finished, self.finished)

    def _set(self, *, playing: bool, budget: int = 0) -> None:
        with self._cond:
            self.playing, self._budget = playing, self._budget + budget
            self._cond.notify_all()

    def _main(self) -> None:
        try:
            if self.playing:
                self._offer(self.snapshot())  # step 0 (a paused run offers it in the gate)
            self._gate()
            self._hold(True)
            self.result = train_model(self.model, self.data, self.cfg, generator=self.generator,
                                      progress=self._progress, data_source=self._take_data)
            self.step = self.result.metrics["steps_run"]
        except Stopped:
            return
        except Exception as e:  # noqa: BLE001 — a run that fails is reported to its page, the server lives on
            self.error = e
        finally:
            self._hold(False)
            self._training(False)
        self._offer(self.snapshot())
        self._on_end(self)

    def _training(self, on: bool) -> None:
        with _training_lock:
            (_training.add if on else _training.discard)(self)

    def _hold(self, on: bool) -> None:
        """Take (``on``) or hand back this thread's compute slot; waits for its turn when taking, and a run stopped
        meanwhile ends there (``Stopped``) instead of taking one more step."""
        if on != self._holding:
            (SLOTS.acquire if on else SLOTS.release)()
            self._holding, self._turn_start = on, time.monotonic()
        if on and self._stopped:
            raise Stopped

    def _progress(self, n: int = 1, /) -> None:
        self.step += n
        now = time.monotonic()
        if now - self._turn_start >= TURN:
            self._hold(False)  # the turn is over: the longest waiting run or page goes next
        with self._cond:
            copies, self._copies = self._copies, []
        for box, done in copies:
            box.append(copy.deepcopy(self.model))
            done.set()
        if not self.at_rest and now >= self._next_offer and self._wanted():  # resting: the gate offers
            self._next_offer = next_frame(self._next_offer, now)
            self._offer(self.snapshot())
        if self._drawing:
            self._hold(False)  # the slot goes to the drawing or another run meanwhile
            with self._cond:
                while self._drawing and not self._stopped:
                    self._cond.wait()
        self._gate()
        self._hold(True)

    def _gate(self) -> None:
        """Wait while paused (offering the resting state once); let one step through per ``single_step``."""
        with self._cond:
            if not (self._stopped or self.playing or self._budget):
                self._training(False)
                self._hold(False)  # a resting run holds no slot
                self._offer(self.snapshot())
            while not (self._stopped or self.playing or self._budget):
                self._cond.wait()
            self._training(not self._stopped)
            if self._stopped:
                raise Stopped
            if not self.playing:
                self._budget -= 1
