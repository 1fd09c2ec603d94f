"""A pure function over many tasks on a Ray cluster, each result handed back as soon as it arrives.

``ray_map(fn, tasks, options)`` runs ``fn(task)`` as one Ray task per task (``@ray.remote(num_cpus=…,
num_gpus=…, max_retries=…)``) and yields ``(task, result)`` in the order the tasks finish; a task that
raised, or whose worker died more often than ``max_retries``, yields ``(task, exception)`` instead, and the
others go on. A task whose worker dies (killed, out of memory, a lost node) is run again by Ray: ``fn`` must
be pure — the same task gives the same result wherever and however often it runs — and the driver keeps the
results, so a task run twice is harmless.

At most ``max(2 × slots, MIN_IN_FLIGHT)`` tasks are submitted at a time (slots: how many tasks the cluster
runs at once), so ``ray.wait`` stays cheap at 10⁵ tasks and an interrupt has little to cancel. On any exit —
done, an exception, Ctrl-C (KeyboardInterrupt) — a cluster that ``ray_map`` started is shut down with the tasks
still in flight; on a cluster it joined, which keeps running, those tasks are interrupted, and killed where that
does not stop them within ``CANCEL_WAIT`` (``_cancel``).

``ray`` is imported when ``ray_map`` runs, not with this module: Ray is an optional dependency
(``pip install 'reluscope[ray]'``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from reluscope.errors import ReluscopeError

T = TypeVar("T")
R = TypeVar("R")
MIN_IN_FLIGHT = 16
LOCAL_OBJECT_STORE = 100 * 2**20  # bytes: a local cluster's object store holds rows of small tables only
LOCAL_TRIES = 3  # starts of a local cluster before its start-up time-out is raised
CANCEL_WAIT = 10.0  # seconds an exit waits for its cancelled tasks to be reported cancelled
log = logging.getLogger("reluscope.studies")


@dataclass(frozen=True)
class RayOptions:
    """Where the tasks run and what each one reserves."""

    address: str | None = None  # "auto": the cluster `ray start` runs here; "ray://HOST:PORT": a remote one
    #                            through Ray Client; None: $RAY_ADDRESS if set, else a new local cluster
    num_cpus: float = 1.0  # CPUs reserved per task (torch in the task uses this many threads)
    num_gpus: float = 0.0  # GPUs reserved per task (1 for --device cuda)
    max_retries: int = 3  # how often a task whose worker died is run again
    local_cpus: int | None = None  # CPUs of a local cluster (None: every core of this machine)


def ray_map(fn: Callable[[T], R], tasks: Iterable[T], options: RayOptions = RayOptions()
            ) -> Iterator[tuple[T, R | Exception]]:
    """Yield ``(task, fn(task))`` per task as the tasks finish; ``(task, exception)`` for a failed one."""
    try:
        import ray
        from ray.exceptions import RayError, RayTaskError
    except ImportError:
        raise ReluscopeError("the Ray backend needs Ray: pip install 'reluscope[ray]'") from None
    started = _connect(options)
    running: dict[ray.ObjectRef, T] = {}
    try:
        remote = ray.remote(num_cpus=options.num_cpus, num_gpus=options.num_gpus,
                            max_retries=options.max_retries)(fn)
        todo = iter(tasks)
        limit = max(2 * _slots(options), MIN_IN_FLIGHT)
        while True:
            running.update((remote.remote(t), t) for t in islice(todo, limit - len(running)))
            if not running:
                return
            ready, _ = ray.wait(list(running), num_returns=1)
            task = running.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except RayError as e:  # the task raised (RayTaskError), or its worker died past max_retries
                result = e.cause if isinstance(e, RayTaskError) else e
            yield task, result
    finally:
        if started:  # its tasks end with it
            ray.shutdown()
        elif running:
            _cancel(ray, list(running))


def _cancel(ray, refs: list) -> None:
    """Stop the tasks of ``refs`` on a cluster that goes on: each is first interrupted in its worker (a
    KeyboardInterrupt there); those whose cancellation is not reported within ``CANCEL_WAIT`` are then killed with
    their workers. Killing comes last because a task killed just as it finished can report its result after its
    cancellation, and Ray (2.60) then aborts this process ("Tried to complete task that was not pending")."""
    for ref in refs:
        ray.cancel(ref, force=False)
    _, left = ray.wait(refs, num_returns=len(refs), timeout=CANCEL_WAIT)
    for ref in left:
        ray.cancel(ref, force=True)
    if left:
        ray.wait(left, num_returns=len(left), timeout=CANCEL_WAIT)


def _connect(options: RayOptions) -> bool:
    """Join the cluster at ``options.address`` (else at ``$RAY_ADDRESS``, as ``ray job submit`` sets it), or
    start a new local one; True when this call started one.

    A Ray already initialised in this process (a notebook, a test's cluster) is used as it is.
    """
    import ray

    if ray.is_initialized():
        return False
    address = options.address or os.environ.get("RAY_ADDRESS")
    if address:
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError, SystemExit) as e:  # Ray exits when no GCS answers
            why = "it did not answer" if isinstance(e, SystemExit) else e
            raise ReluscopeError(f"no Ray cluster at {address}: {why}") from None
        return False
    start_local(options.local_cpus)
    return True


def start_local(num_cpus: int | None = None, *, object_store_memory: int = LOCAL_OBJECT_STORE) -> None:
    """Start a local Ray cluster of ``num_cpus`` CPUs (None: all) in this process, without a dashboard.

    Ray's raylet waits a fixed 15 s for its metrics agent to start and gives up on a loaded machine ("The current
    node timed out during startup"); such a start is shut down and tried again, ``LOCAL_TRIES`` times in all.
    """
    import ray

    for left in range(LOCAL_TRIES - 1, -1, -1):
        try:
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     object_store_memory=object_store_memory, logging_level=logging.WARNING)
            return
        except Exception as e:  # Ray raises a bare Exception for it
            if not left or "timed out during startup" not in str(e):
                raise
            log.warning("the local Ray cluster timed out during startup; starting it again (%d more tries)", left)
            ray.shutdown()


def _slots(options: RayOptions) -> int:
    """How many of these tasks the cluster runs at once now.

    Raises
    ------
    ReluscopeError
        If the cluster has not one task's worth of CPUs or GPUs (its tasks would wait forever).
    """
    import ray

    name, each = ("GPU", options.num_gpus) if options.num_gpus > 0 else ("CPU", options.num_cpus)
    have = ray.cluster_resources().get(name, 0.0)
    if have < each:
        raise ReluscopeError(f"the Ray cluster has {have:g} {name}s; each task needs {each:g}")
    return int(have / each)
