"""Compute slots: one per core, taken in turn by every live run's training and every page's drawing.

With more runs and pages than cores, the operating system's scheduler would share the cores among all their
threads at once and the Python interpreter lock among them too; taking turns instead bounds the work in flight to
the cores and hands them out first come, first served (``tests/test_serve.py::
test_compute_slots_hand_turns_out_first_come_first_served``).
"""

from __future__ import annotations

import collections
import os
import threading

CORES = os.cpu_count() or 1


class ComputeSlots:
    """At most ``n`` pieces of work at once (a run's training step, a page's frame), handed out first come, first
    served: ``release`` hands the slot straight to the longest waiter, so a thread that releases and asks again
    queues behind everyone already waiting and no thread can take every turn."""

    def __init__(self, n: int):
        self._free, self._lock, self._queue = n, threading.Lock(), collections.deque()

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return
            turn = threading.Event()
            self._queue.append(turn)
        turn.wait()

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the slot passes on without ever being free
            else:
                self._free += 1

    def __enter__(self) -> ComputeSlots:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


SLOTS = ComputeSlots(CORES)  # shared by every run's training and every page's drawing in this process
