"""One progress convention for every long computation: ``progress(n)`` says that n more units of work are done.

A unit is whatever the caller counted in its total — a training step, a frame drawn, a run probed — so a
display that knows the total (the command line's bar, ``reluscope.cli.progress``) only adds up what it is
told. A function that reports progress takes ``progress: Progress = silent`` (or ``Progress | None``, None
reporting nothing) and calls ``progress(1)``, or ``progress(n)`` for n units at once, as the work gets done.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Anything called with the number of units just done: ``lambda n=1: bar.advance(task, n)``."""

    def __call__(self, n: int = 1, /) -> None: ...


def silent(n: int = 1, /) -> None:
    """The ``Progress`` that reports nothing."""


class Counted:
    """A ``Progress`` that passes every unit on to ``progress`` and counts them, so that a caller that promised
    ``total`` units can report the rest when the work ends early or reported fewer (``top_up``)."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.done = progress, 0

    def __call__(self, n: int = 1, /) -> None:
        self.done += n
        self.progress(n)

    def top_up(self, total: int) -> None:
        """Report ``max(0, total − done)`` units at once: the count reaches ``total``."""
        self(max(0, total - self.done))
