"""``rs.watch(model, X, y, every=N)``: the live view on the user's own ``nn.Sequential`` and their own loop.

    with rs.watch(model, X, y, every=10) as w:    # shows the widget in a notebook
        for step in range(3000):
            loss = loss_fn(model(X), y)            # any optimizer, loss, schedule or device
            opt.zero_grad(); loss.backward(); opt.step()

It samples by itself through a forward pre-hook rather than asking the loop to call ``w.step()``: the loop stays
as the user wrote it, and a sample is just the weights as they enter a forward pass. The hook counts the
forward passes that train (the model in training mode, gradients on); every ``every``-th one it copies the
parameters to the CPU (about 0.1 ms for an 11×32 net) and leaves them in a one-place mailbox. A worker thread
draws the newest copy and drops the older ones, so drawing never holds the loop up:

* each frame: loss and accuracy on ``(X, y)``; the decision boundary; per layer mean and variance of
  ``z`` and ``h``, ``E[(∂L/∂z)²]`` and the dead units (``probe.stats.probe`` on ``(X, y)``, so they equal the
  probe's on the same weights);
* at most every ``GEOMETRY_INTERVAL`` seconds: the theory for these weights (``probe.theory.predicted_moments``) in the
  frame, and every layer back-projected in one of the three views (in turn), that view's residuals, and every
  layer's cells. Inputs of n > 2 dimensions are seen on the slice through three typical points of different
  classes (``serve.scene.plane_views``): the boundary and the cells on that plane, the points near it, and
  each layer's back-projection of the three points as images. The widget keeps the latest of each, so its
  layer and view menus choose among data already sent and answer while the kernel is busy with the loop (a
  busy kernel reads no comm messages);
* the first time a parameter or the loss is not finite: the outcome in the library's words
  (``diverged at step …: layer … overflowed``), in every language of the catalogs (the widget shows its own),
  and the layer marked.

On leaving the block, also by an exception or a KeyboardInterrupt, the hook is removed, the last weights are
drawn in all three views, and the worker thread ends.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS
from reluscope.geometry.slices import DataPlane
from reluscope.model import finite_parameters, linear_layers
from reluscope.probe.stats import class_labels, model_inputs
from reluscope.serve.notice import Notice, said
from reluscope.serve.panels import boundary, every_backprojection, every_cells, layer_stats, residuals, theory
from reluscope.serve.scene import Sliced, grid_lines, plane_message, plane_views
from reluscope.serve.session import marked_layer, outcome_sentences
from reluscope.train.outcome import first_nonfinite_layer

WATCHED = "watched"  # the data set's name in the data message: the page says "your data (d = …)" in its language
FRAME_INTERVAL = 1 / 30  # seconds between frames at most
GEOMETRY_INTERVAL = 0.5  # seconds between geometry messages at most
DUTY = 0.1  # the worker draws at most this fraction of the time (its CPU time against the time it waits)
JOIN_TIMEOUT = 30.0  # seconds to wait for the last drawing on leaving the block
Emit = Callable[[str, dict], None]


@dataclass
class Points:
    """The points the views draw with (``data.X`` as ``serve.panels`` reads it)."""

    X: np.ndarray  # (N, d) float64


@dataclass
class WatchScene(Sliced):
    """What ``serve.panels`` reads of a scene, for the user's ``(X, y)``."""

    data: Points
    tensors: tuple  # (X float32, y int64) on the CPU
    input_m2: float  # E[x²] per coordinate
    off: dict | None = None  # why the plane views are off (one dimension, points that span no plane): a note
    slice: DataPlane | None = None  # inputs of n > 2: the plane through three typical points
    box: tuple = ()
    pixels: torch.Tensor | None = None  # (P², 2)
    grid: np.ndarray | None = None  # (2·G·P, 2)

    @property
    def planar(self) -> bool:
        """Whether the plane views are on: 2-D inputs, or a slice of more."""
        return self.off is None

    @classmethod
    def build(cls, X: torch.Tensor, y: torch.Tensor) -> WatchScene:
        Xn, yn = X.detach().cpu().double().numpy(), y.detach().cpu().numpy()  # (N, d), (N,)
        scene = cls(Points(Xn), (X.detach().cpu().float(), y.detach().cpu().long()),
                    float((Xn**2).mean()))
        try:
            if Xn.shape[1] < 2:
                raise Notice("it needs inputs of 2 dimensions or more; these have 1", "note_one_dimension")
            scene.slice, scene.box, scene.pixels = plane_views(Xn, yn)
        except Notice as e:
            scene.off = said(e.key, **e.values)
            return scene
        except ReluscopeError as e:
            scene.off = said("note_library", text=str(e))
            return scene
        scene.grid = grid_lines(scene.box)
        return scene


@dataclass
class Mailbox:
    """The newest parameter copy from the training thread to the worker; older ones are dropped."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    value: tuple[int, dict] | None = None
    closed: bool = False

    def put(self, step: int, state: dict) -> None:
        with self.cond:
            self.value = (step, state)
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify()

    def rest(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the mailbox is closed meanwhile."""
        with self.cond:
            self.cond.wait_for(lambda: self.closed, seconds)

    def take(self) -> tuple[tuple[int, dict] | None, bool]:
        """Wait for a copy or the close; returns (the copy or None, closed)."""
        with self.cond:
            while self.value is None and not self.closed:
                self.cond.wait()
            value, self.value = self.value, None
            return value, self.closed


class Watcher:
    """The hook, the worker and the drawing of one ``watch``; sends through ``emit`` and ``set_data``."""

    def __init__(self, model: nn.Module, X, y, *, every: int, emit: Emit, set_data: Callable[[dict], None]):
        if not (isinstance(every, int) and not isinstance(every, bool) and every >= 1):
            raise ReluscopeError(f"every must be a whole number of steps >= 1, got {every!r}")
        self.layers = linear_layers(model)  # refuses anything but a Linear/activation stack
        X = model_inputs(X, self.layers[0].linear.in_features, torch.float32).cpu()
        y = class_labels(y, X.shape[0], self.layers[-1].linear.out_features).cpu()
        self.model, self.every, self.emit = model, every, emit
        self.scene = WatchScene.build(X, y)
        self.canvas = copy.deepcopy(model).cpu().float()  # the worker loads each copy into this
        self.step, self.diverged = 0, False
        self._mailbox = Mailbox()
        self._handle = None
        self._thread = threading.Thread(target=self._work, name="reluscope-watch", daemon=True)
        self._views = iter(())
        set_data(self.data())

    def data(self) -> dict:
        """The ``data`` message: the points (2-D, or on the slice with its ``slice``) and labels, the depth, and
        why a geometry panel is off."""
        s, d = self.scene, self.scene.data.X.shape[1]
        X, y = s.tensors
        off = {} if s.planar else dict.fromkeys(("boundary", "backprojection", "cells"), s.off)
        points = np.zeros((0, 2)) if not s.planar else X.numpy() if s.slice is None else s.slice.coords  # (N, 2)
        extra = {} if s.slice is None else dict(slice=plane_message(s.slice))
        return dict(run=1, tag=0, name=WATCHED, dim=d, n_classes=int(y.max()) + 1,
                    depth=len(self.layers), box=list(s.box) if s.planar else [0, 1, 0, 1],
                    train=points.astype("<f4"), test=np.zeros((0, 2), "<f4"),
                    train_labels=y.numpy().astype("<u2"), test_labels=np.zeros(0, "<u2"), meanfield=None,
                    off=off, settings=None, playing=True, **extra)

    def start(self) -> None:
        self._thread.start()
        self._offer()  # the weights as the block starts: step 0
        self._handle = self.model.register_forward_pre_hook(self._hook)

    def stop(self) -> None:
        """Remove the hook, draw the last weights in every view, end the worker; safe to call twice."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        if self._thread.is_alive():
            self._offer()
            self._mailbox.close()
            self._thread.join(JOIN_TIMEOUT)

    def _hook(self, module: nn.Module, args) -> None:
        if not (module.training and torch.is_grad_enabled()):
            return
        if self.step % self.every == 0 and self.step:
            self._offer()
        self.step += 1

    def _offer(self) -> None:
        state = {k: v.detach().to("cpu", torch.float32, copy=True) for k, v in self.model.state_dict().items()}
        self._mailbox.put(self.step, state)

    def _work(self) -> None:
        """Draw the newest copy; then rest ``cost·(1/DUTY − 1)`` (at least ``FRAME_INTERVAL``): the loop
        shares the interpreter with this thread, so its overhead stays near ``DUTY``."""
        last_geometry = 0.0
        while True:
            item, closed = self._mailbox.take()
            if item is None:
                return
            step, state = item
            self.canvas.load_state_dict(state)
            start, cpu = time.monotonic(), time.thread_time()
            geometry = closed or start - last_geometry >= GEOMETRY_INTERVAL
            try:
                self._draw(step, geometry=geometry, every_view=closed)
            except Exception as e:  # noqa: BLE001 — a frame that cannot be drawn must not stop the user's loop
                error = f"{type(e).__name__}: {e}"
                self.emit("error", Notice(f"could not draw step {step}: {error}", "draw_failed", step=step,
                                          error=error).fields())
            if closed:
                return
            last_geometry = start if geometry else last_geometry
            self._mailbox.rest(max(FRAME_INTERVAL, (time.thread_time() - cpu) * (1 / DUTY - 1)))

    def _draw(self, step: int, *, geometry: bool, every_view: bool) -> None:
        s, m = self.scene, self.canvas
        frame = dict(run=1, step=step, playing=True, finished=False, scores=scores(s, m), layers=layer_stats(s, m))
        if geometry:  # the theory costs as much as the statistics: it comes at the geometry's pace
            frame["theory"] = theory(s, m, frame["layers"]["gz_out_m2"])
        if s.planar:
            frame["boundary"] = boundary(s, m)
        self.emit("frame", frame)
        if not self.diverged and not _finite(m, frame["scores"]["train_loss"]):
            self.diverged = True
            layer = first_nonfinite_layer(m, s.tensors[0]) or "output (loss)"
            metrics = dict(status="diverged", diverged_at_step=step, diverged_layer=layer)
            self.emit("status", dict(run=1, metrics=metrics, sentences=outcome_sentences(metrics),
                                     layer=marked_layer(metrics, len(self.layers))))
        if s.planar and geometry:
            cells = every_cells(s, m)
            for projection in VIEWS if every_view else [self._next_view()]:
                with np.errstate(all="ignore"):
                    self.emit("geometry", dict(run=1, step=step, projection=projection,
                                               backprojections=every_backprojection(s, m, projection),
                                               residuals=residuals(s, m, projection), cells=cells))

    def _next_view(self) -> str:
        view = next(self._views, None)
        if view is None:
            self._views = iter(VIEWS)
            view = next(self._views)
        return view


@torch.no_grad()
def scores(scene: WatchScene, model: nn.Module) -> dict:
    """Mean cross-entropy and accuracy on the watched points."""
    X, y = scene.tensors
    logits = model(X)  # (N, k)
    return dict(train_loss=float(nn.functional.cross_entropy(logits, y)),
                train_accuracy=float((logits.argmax(1) == y).float().mean()))


def _finite(model: nn.Module, loss: float) -> bool:
    return bool(np.isfinite(loss)) and finite_parameters(model)


class Watch:
    """The context manager ``watch`` returns: ``w.widget`` is the live view, ``w.step`` the forward passes
    counted. In a notebook it shows itself on entering the block; elsewhere ``show=True`` warns that nothing
    is shown."""

    def __init__(self, model: nn.Module, X, y, *, every: int = 10, show: bool = True, lang: str | None = None):
        from reluscope.widget.liveview import LiveView, check_lang

        self.widget = LiveView(mode="watch", schema={"fields": {}, "views": list(VIEWS)}, lang=check_lang(lang))
        self._watcher = Watcher(model, X, y, every=every, emit=self.widget.emit, set_data=self.widget.set_data)
        self._show = show

    @property
    def step(self) -> int:
        return self._watcher.step

    def __enter__(self) -> Watch:
        if self._show and not _display(self.widget):
            warnings.warn("rs.watch: not in a notebook, so nothing is shown; run the loop in a Jupyter or marimo "
                          "cell, or pass show=False and display w.widget yourself", stacklevel=2)
        self._watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        self._watcher.stop()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def watch(model: nn.Module, X, y, *, every: int = 10, show: bool = True, lang: str | None = None) -> Watch:
    """Watch ``model`` (an ``nn.Sequential`` of ``nn.Linear`` and elementwise activations) while the user's own
    loop trains it on anything; the views are computed on ``(X, y)`` (N, d) and (N,) — a sample of about a
    thousand points keeps them quick. Every ``every``-th training forward pass is drawn. A model that is not
    such a stack raises ``ReluscopeError``. ``lang``: ``"en"`` or ``"de"`` (``None``: the browser's language). Use it as
    a context manager (see the module's docstring)."""
    return Watch(model, X, y, every=every, show=show, lang=lang)


def _display(widget) -> bool:
    """Show ``widget`` when running under IPython (a notebook) and say so; elsewhere nothing: False."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    display(widget)
    return True
