"""Progress of a long command on stderr: a bar on a terminal, a line per tenth of the work otherwise.

Off a terminal (a log file, CI, a pipe) a job that has run for ``QUIET_SECONDS`` prints
``training: 40% (1200/3000)`` each time it passes another tenth, so a long job is never silent while a short
one prints nothing. ``animation_progress`` does the same for the frames of an animation and first says how
many it will draw.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import click

from reluscope.progress import Progress

QUIET_SECONDS = 2.0  # off a terminal, no progress lines before a job has run this long


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Progress]:
    """Yield ``advance(n=1)``: a bar on stderr when it is a TTY, else ``tenths`` lines (see the module)."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)
    else:
        yield tenths(total, description)


def tenths(total: int, description: str) -> Progress:
    """``advance(n=1)`` that prints a line on stderr each time the count passes another tenth of ``total``,
    once ``QUIET_SECONDS`` have passed since this call."""
    start = time.monotonic()
    done = shown = 0  # units done; tenths shown

    def advance(n: int = 1, /) -> None:
        nonlocal done, shown
        done += n
        tenth = 10 * done // total if total > 0 else 10
        if tenth > shown and time.monotonic() - start >= QUIET_SECONDS:
            shown = tenth
            click.echo(f"{description}: {100 * done // max(total, 1)}% ({done}/{total})", err=True)

    return advance


@contextmanager
def animation_progress(name: str) -> Iterator[None]:
    """Within the block, an animation written by ``save_animation`` first says ``NAME: N frames to draw`` on
    stderr, then shows its progress over the frames like ``progress_bar``."""
    from reluscope.plots.animation import frame_progress

    with ExitStack() as stack:
        advance = None

        def on_frame(done: int, total: int) -> None:
            nonlocal advance
            if advance is None:
                click.echo(f"{name}: {total} frames to draw", err=True)
                advance = stack.enter_context(progress_bar(total, name))
            else:
                advance()

        with frame_progress(on_frame):
            yield
