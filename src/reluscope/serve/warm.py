"""What a playground process does once before its first page trains: ``warm_up``.

A process's first ``torch.optim`` optimizer imports ``torch._dynamo`` (2–3 s of CPU on idle cores; on a crowded
machine, the browser and other pages' drawing competing for the cores and the interpreter, half a minute and more),
its first data set imports scikit-learn (1 s), and its first exact cells take 0.3 s more than the next ones. Paid by
a page, each stalls it: its first run takes no step, and so offers no frame (a run offers its frames between its
steps), until the import is done. ``warm_up`` pays them at once, on a tiny net of its own: the server starts it
when it starts and says it is up when it is done (``app.running``), a notebook's session starts it when it opens.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import replace

from reluscope.serve.messages import View
from reluscope.serve.panels import render, render_slow
from reluscope.serve.scene import Scene
from reluscope.serve.settings import Settings
from reluscope.train.loop import train_model

log = logging.getLogger("reluscope.serve")


@functools.cache
def warm_up() -> threading.Event:
    """Start, once per process, a daemon thread that trains a 2×4 net one step and draws its frame and slow panels;
    the event is set when it is done."""
    done = threading.Event()

    def run() -> None:
        try:
            settings = Settings(n_samples=100, depth=2, width=4, steps=1)
            data = settings.load_data(None)
            model, generator = settings.build_model(data)
            train_model(model, data, settings.train_config(data.name), generator=generator)
            scene, view = Scene.build(settings, data, model), View()
            frame = render(scene, model, view)
            render_slow(scene, model, view, grad_out_m2=frame["layers"]["gz_out_m2"], exact=True)
        except Exception:  # the first page then pays the imports itself
            log.warning("the warm-up failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name="reluscope-warm-up", daemon=True).start()
    return done
