"""The Ray backend on a local cluster of 2 CPUs: the local backend's numbers, a killed worker retried, a killed
driver resumed, failures recorded — every grid cell with exactly one row."""

import importlib.util
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing, suppress
from dataclasses import replace

import pytest

from reluscope.cli import main
from reluscope.errors import ReluscopeError
from reluscope.studies.raymap import RayOptions, ray_map, start_local
from reluscope.studies.store import KEY, RunStore
from reluscope.studies.sweep import SweepConfig, run_sweep
from reluscope.train import TrainConfig

if importlib.util.find_spec("ray") is None:  # found, not imported: collection should not pay its import (~2 s)
    pytest.skip("the 'ray' extra is not installed", allow_module_level=True)
pytestmark = [pytest.mark.xdist_group("ray"),  # with --dist loadgroup: one xdist worker, one cluster
              pytest.mark.slow]  # a local Ray cluster takes seconds to start

BASE = TrainConfig(dataset="moons", n_samples=60, width=8, steps=15, eval_every=5)
GRID = SweepConfig(depths=[2, 3], sigma_w2=[1.0, 2.5], seeds=2, base=BASE)  # 8 runs
ON_RAY = RayOptions()  # joins the cluster of the fixture (ray is initialised in this process)


@pytest.fixture(scope="module")
def cluster() -> str:
    """One local cluster for the module: 2 CPUs, no dashboard; yields its address for other drivers."""
    import ray

    start_local(2, object_store_memory=80 * 2**20)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def keys(rows: list[dict]) -> list[tuple]:
    return [tuple(r[k] for k in KEY) for r in rows]


def assert_same_runs(a: list[dict], b: list[dict]) -> None:
    """The same rows: text and integers equal, floats to float tolerance (NaN equal to NaN)."""
    assert keys(a) == keys(b)
    for x, y in zip(a, b):
        for k, v in x.items():
            if isinstance(v, float) and not math.isnan(v):
                assert y[k] == pytest.approx(v, rel=1e-5, abs=1e-6), k
            else:
                assert (y[k] == v) or (isinstance(v, float) and math.isnan(y[k])), k


def ray_workers_running(name: str) -> list[int]:
    """Pids of this test's Ray workers running a task of ``name`` (descendants of this process)."""
    def parent(pid: int) -> int:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])

    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if not fh.read().startswith(f"ray::{name}".encode()):
                    continue
            pid = int(entry)
            while pid > 1 and pid != os.getpid():
                pid = parent(pid)
            if pid == os.getpid():
                found.append(int(entry))
        except (OSError, ValueError):
            continue  # not a process, or it ended while we looked
    return found


def start_driver(args: list[str]) -> subprocess.Popen:
    """``reluscope ARGS`` in a process of its own (a driver that can be killed). SIGINT acts as Ctrl-C there even
    when this suite runs in the background, whose children inherit an ignored SIGINT."""
    return subprocess.Popen([sys.executable, "-c", f"from reluscope.cli import run; import sys; sys.argv[1:] = "
                             f"{args!r}; run()"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stored_rows(out) -> int:
    """Rows in ``OUT/runs.sqlite`` now, read beside a writer (WAL); 0 before the table exists."""
    read_only = f"file:{out}/runs.sqlite?mode=ro"
    with suppress(sqlite3.OperationalError), closing(sqlite3.connect(read_only, uri=True)) as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    return 0


def wait_for_rows(out, driver: subprocess.Popen, timeout: float = 120) -> None:
    """Return once the driver has stored its first rows (it is mid-sweep then)."""
    deadline = time.monotonic() + timeout
    while not stored_rows(out):
        assert driver.poll() is None and time.monotonic() < deadline, driver.stderr.read().decode()[-2000:]
        time.sleep(0.1)


def processes_of_session(pid: int) -> list[int]:
    """Pids of the processes of the Ray cluster that driver ``pid`` started (its session directory ends so)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with suppress(OSError), open(f"/proc/{entry}/cmdline", "rb") as fh:
            if re.search(rf"session_[-\d_]+_{pid}\b".encode(), fh.read()):
                found.append(int(entry))
    return found


def test_local_and_ray_give_the_same_rows_whatever_the_chunk(tmp_path, cluster):
    local = run_sweep(GRID, tmp_path / "local").rows
    for chunk in (1, 3):
        on_ray = run_sweep(GRID, tmp_path / f"ray{chunk}", chunk=chunk, ray=ON_RAY)
        assert on_ray.trained == 8 and on_ray.failed == 0
        assert_same_runs(local, on_ray.rows)


def test_a_killed_worker_is_retried_and_every_cell_has_one_row(tmp_path, cluster):
    grid = replace(GRID, base=replace(BASE, steps=400))  # tasks of about a second: the kill lands in one
    result, killed = {}, []
    sweep = threading.Thread(target=lambda: result.update(r=run_sweep(grid, tmp_path, chunk=2, ray=ON_RAY)))
    sweep.start()
    deadline = time.monotonic() + 60
    while not killed and sweep.is_alive() and time.monotonic() < deadline:
        for pid in ray_workers_running("train_task")[:1]:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.05)
    sweep.join(timeout=120)
    assert killed, "no worker was seen running a task"
    rows = result["r"].rows
    assert sorted(keys(rows)) == sorted(grid.runs()) and all(r["status"] != "error" for r in rows)
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert len(store) == len(grid.runs())


@pytest.mark.slow
def test_a_killed_driver_loses_and_doubles_nothing_when_rerun(tmp_path, cluster, capsys):
    args = ["sweep", "--depths", "2,3", "--sigma-w2", "1,2.5", "--seeds", "4", "--steps", "40", "--n-samples", "60",
            "--width", "8", "--out", str(tmp_path), "--backend", "ray", "--address", cluster, "--chunk", "2"]
    driver = start_driver(args)
    wait_for_rows(tmp_path, driver)
    driver.send_signal(signal.SIGKILL)
    assert driver.wait() == -signal.SIGKILL, driver.stderr.read().decode()[-2000:]
    with RunStore(tmp_path / "runs.sqlite") as store:
        before = store.rows()
    assert 0 < len(before) < 16  # killed mid-sweep: 16 runs in 8 tasks
    assert main(args) == 0  # the rerun, here on the same cluster
    assert f"{16 - len(before)} runs trained, {len(before)} resumed" in capsys.readouterr().out
    with RunStore(tmp_path / "runs.sqlite") as store:
        after = store.rows()
    grid = SweepConfig(depths=[2, 3], sigma_w2=[1.0, 2.5], seeds=4)
    assert sorted(keys(after)) == sorted(grid.runs())  # every cell once: none lost, none doubled
    assert_same_runs(before, [r for r in after if tuple(r[k] for k in KEY) in set(keys(before))])


def test_ray_map_hands_back_each_failure_and_goes_on(cluster):
    results = dict(ray_map(lambda x: 1 / (x % 3), range(6), ON_RAY))
    assert sorted(results) == list(range(6))
    assert all(isinstance(results[x], ZeroDivisionError) for x in (0, 3))
    assert [results[x] for x in (1, 2, 4, 5)] == [1.0, 0.5, 1.0, 0.5]


def test_leaving_a_joined_cluster_early_stops_its_tasks_and_keeps_it(cluster):
    import ray

    def spin(seconds: float) -> float:  # Python all along: an interrupt lands at once
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sum(range(1000))
        return seconds

    results = ray_map(spin, [0.0] + [60.0] * 3, ON_RAY)
    assert next(results) == (0.0, 0.0)
    deadline = time.monotonic() + 30
    while not ray_workers_running("spin") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ray_workers_running("spin")
    results.close()  # the caller leaves: the tasks in flight are cancelled, the cluster goes on
    deadline = time.monotonic() + 15  # (a worker renames itself as its task ends, or is killed)
    while ray_workers_running("spin") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ray_workers_running("spin") == [] and ray.is_initialized()
    assert dict(ray_map(spin, [0.1], ON_RAY)) == {0.1: 0.1}


def test_tasks_that_need_a_gpu_the_cluster_lacks_are_refused(tmp_path, cluster):
    with pytest.raises(ReluscopeError, match="0 GPUs; each task needs 1"):
        run_sweep(GRID, tmp_path, device="cuda", ray=ON_RAY)


@pytest.mark.slow
def test_ctrl_c_stops_the_local_cluster_it_started_and_the_rerun_resumes(tmp_path, cluster):
    args = ["sweep", "--depths", "2,3", "--sigma-w2", "1,2.5", "--seeds", "2", "--steps", "3000", "--n-samples", "60",
            "--width", "8", "--out", str(tmp_path), "--backend", "ray", "--chunk", "1"]  # ~1 s a task: Ctrl-C first
    driver = start_driver(args)  # no --address: it starts a cluster of its own
    wait_for_rows(tmp_path, driver)
    assert processes_of_session(driver.pid)  # its gcs, raylet, workers
    driver.send_signal(signal.SIGINT)
    assert driver.wait(timeout=180) == 130, driver.stderr.read().decode()[-2000:]
    deadline = time.monotonic() + 30
    while processes_of_session(driver.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_of_session(driver.pid) == []  # all gone
    assert 0 < stored_rows(tmp_path) < 8
    assert main(args) == 0  # the rerun (on this module's cluster) trains the rest
    assert stored_rows(tmp_path) == 8


@pytest.mark.parametrize("failure", [SystemExit(15), ConnectionError("Could not find any running Ray instance")])
def test_a_cluster_that_is_not_there_is_a_one_line_error(tmp_path, monkeypatch, failure):
    def init(**kw):
        raise failure

    monkeypatch.setattr("ray.is_initialized", lambda: False)
    monkeypatch.setattr("ray.init", init)
    with pytest.raises(ReluscopeError, match="no Ray cluster at ray://head:10001"):
        run_sweep(GRID, tmp_path, ray=RayOptions(address="ray://head:10001"))


@pytest.mark.parametrize("fails, started", [(1, True), (2, True), (3, False)])
def test_a_local_start_that_timed_out_is_tried_again(monkeypatch, fails, started):
    """Ray's raylet gives up after 15 s waiting for its agent on a loaded machine: that start is shut down and
    tried again, three starts in all; another error is raised at once."""
    calls = []

    def init(**kw):
        calls.append("init")
        if calls.count("init") <= fails:
            raise Exception("The current node timed out during startup. This could happen because ...")

    monkeypatch.setattr("ray.init", init)
    monkeypatch.setattr("ray.shutdown", lambda: calls.append("shutdown"))
    if started:
        start_local(2)
        assert calls == ["init", "shutdown"] * fails + ["init"]
    else:
        with pytest.raises(Exception, match="timed out during startup"):
            start_local(2)
        assert calls == ["init", "shutdown", "init", "shutdown", "init"]


def test_a_local_start_that_failed_otherwise_is_not_tried_again(monkeypatch):
    def init(**kw):
        raise ValueError("object_store_memory is too small")

    monkeypatch.setattr("ray.init", init)
    monkeypatch.setattr("ray.shutdown", lambda: pytest.fail("shut down"))
    with pytest.raises(ValueError, match="too small"):
        start_local(2, object_store_memory=1)
