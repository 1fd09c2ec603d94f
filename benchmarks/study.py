"""The main job: ``reluscope study`` against one ``reluscope train --depth 11 --width 32 --steps 3000``, in one run.

    .venv/bin/python benchmarks/study.py [--quick] [--profile] [--before SRC] [--frames [--rounds N]] [--timeline]

Both commands run as fresh processes of the installed entry point (the interpreter next to this one), one after
the other; prints each wall time and the ratio study / train (also against train on one torch thread: on a busy
machine torch's default threads oversubscribe the cores and slow the anchor down), the study's CPU seconds in
all its processes (on 2 cores it takes at least half of that) and their ratio to the CPU seconds of train on one
thread, and the load average before and after.
``--before SRC`` also times the study of another source tree (``SRC`` holds its ``reluscope`` package and its
``docs/``, whose derivations the page quotes: ``git archive main src docs | tar -x -C /tmp/before`` gives
``/tmp/before/src``) in the same run, after this tree's, prints the ratio after / before (of wall and of CPU
seconds: on a busy machine the CPU seconds are the steadier measure), and whether the two
reports are the same (``study_same.py``). ``--timeline`` instead runs the study in this process (as a library call,
one torch thread) and prints when each run, stage and viewer starts and ends (wall seconds from the start, with
the CPU seconds each took in its process), then this process's CPU seconds and its children's (the training and
drawing processes). ``--frames`` instead runs the study in one process with every viewer
frame drawn there, and prints each viewer's CPU time per frame (for SRC too with ``--before``, by turns ``--rounds``
times, then per viewer the least CPU seconds of each tree over the rounds and their ratio; one torch thread: CPU
seconds, steadier than wall time on a busy machine). ``--profile`` also prints where the study's own process
spent its time: starting the runs, waiting for them, the stages (built while the runs train), drawing frames,
writing the page (its cProfile, cumulative wall seconds; the runs train in other processes meanwhile).
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from study_same import differences

SCRIPT = Path(sys.executable).with_name("reluscope")
PHASES = {  # cProfile function names -> what they are (the study's own process, wall seconds)
    "start": "starting the runs (StudyContext.start: the forks, torch's optimizer import)",
    "wait": "waiting for a run to end while no stage is ready (StudyContext.wait)",
    "_build": "the stages (their analyses and frames; the runs train meanwhile)",
    "render_viewer": "… of which drawing viewer frames",
    "write_report": "writing the page",
}


def timed(args: list[str], **env: str) -> tuple[float, float]:
    """Wall seconds of ``reluscope ARGS`` in a fresh process, ``env`` added to this one's, and the CPU seconds it
    and every process it forked spent (user + system); exits with the command's error output if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env={**os.environ, **env})
    if done.returncode:
        sys.exit(f"reluscope {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def frame_costs() -> None:
    """Run the study here with its viewer frames drawn in this process; print each viewer's CPU ms per frame."""
    import matplotlib

    matplotlib.use("Agg")
    from reluscope.report import figures
    from reluscope.report.config import StudyConfig
    from reluscope.report.study import run_study

    spent: dict[str, list[float]] = {}
    draw_frame = figures._frame

    def timed_frame(key):
        name = figures._JOB["draw"].__qualname__.split(".")[0]  # the stage or function that made the viewer
        t = time.process_time()
        image = draw_frame(key)
        spent.setdefault(name, []).append(time.process_time() - t)
        return image

    figures.CAN_FORK, figures._frame = False, timed_frame  # every frame in this process, timed
    run_study(StudyConfig(quick="--quick" in sys.argv, out=Path(tempfile.mkdtemp()) / "study"))
    for name, times in spent.items():
        print(f"  {name}: {len(times)} frames, {sum(times):.2f} CPU-s, {1e3 * sum(times) / len(times):.0f} ms each")
    total = [t for times in spent.values() for t in times]
    print(f"  all viewers: {len(total)} frames, {sum(total):.2f} CPU-s")


def timeline() -> None:
    """Run the study in this process, its runs, stages and viewers logged as they start and end."""
    start = time.perf_counter()  # the imports included
    import matplotlib

    matplotlib.use("Agg")
    from reluscope.report import figures, stage, study
    from reluscope.report.config import StudyConfig

    def log(*words) -> None:
        print(f"{time.perf_counter() - start:6.2f} s  pid {os.getpid()}", *words, flush=True)

    def logged(what, function, name):
        def wrapper(*args, **kwargs):
            cpu = time.process_time()
            log(what, name(*args, **kwargs), "starts")
            result = function(*args, **kwargs)
            log(what, name(*args, **kwargs), f"ends ({time.process_time() - cpu:.2f} CPU-s in this process)")
            return result
        return wrapper

    stage.fit = logged("run", stage.fit, lambda cfg, **_: f"{cfg.depth} {cfg.init}")  # the forked workers' too
    study._build = logged("stage", study._build, lambda s, *_: type(s).__name__)
    viewer = logged("viewer", figures.render_viewer,
                    lambda name, *_, workers=figures.WORKERS, **k: f"{name} ({workers} processes)")
    for name in [name for name in sys.modules if name.startswith("reluscope.report.") and name != figures.__name__]:
        if getattr(sys.modules[name], "render_viewer", None) is figures.render_viewer:  # the stages' own names
            sys.modules[name].render_viewer = viewer
    log("imported")
    study.write_study(StudyConfig(out=Path(tempfile.mkdtemp()) / "study"))
    log("written")
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(f"CPU-s: this process {own.ru_utime + own.ru_stime:.1f}, its children "
          f"{children.ru_utime + children.ru_stime:.1f}")


def frames(args: argparse.Namespace) -> None:
    """``frame_costs`` of this tree, then of ``args.before``, by turns ``args.rounds`` times (each in a fresh
    process, so that both meet the same load); then per viewer the least CPU seconds of each tree over the rounds
    and their ratio after / before."""
    trees = [("this tree", {})] + ([(str(args.before), dict(PYTHONPATH=str(args.before.resolve())))]
                                   if args.before is not None else [])
    least: dict[str, dict[str, float]] = {}  # tree -> viewer -> least CPU seconds over the rounds
    for turn in range(args.rounds):
        for name, env in trees:
            load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
            cmd = [sys.executable, __file__, "--frame-costs", *(["--quick"] * args.quick)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, **env}).stdout
            print(f"{name} (round {turn + 1}, load average {load}):\n{out}", end="")
            for viewer, cpu in re.findall(r"^  (.+?): \d+ frames, ([\d.]+) CPU-s", out, re.MULTILINE):
                mine = least.setdefault(name, {})
                mine[viewer] = min(mine.get(viewer, float("inf")), float(cpu))
    if len(least) == 2:
        (_, after), (_, before) = least.items()
        print(f"least CPU-s over {args.rounds} rounds, this tree / {args.before}:")
        for viewer in sorted(after.keys() & before.keys()):
            print(f"  {viewer}: {after[viewer]:.2f} / {before[viewer]:.2f} = {after[viewer] / before[viewer]:.2f}")
        for name, only in (("this tree", after.keys() - before.keys()), (args.before, before.keys() - after.keys())):
            if only:
                print(f"  only in {name}: {', '.join(sorted(only))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time `reluscope study --quick` (and train 300 steps)")
    parser.add_argument("--profile", action="store_true", help="profile the study and print its phases")
    parser.add_argument("--before", metavar="SRC", type=Path, help="also time the study of the package in SRC")
    parser.add_argument("--frames", action="store_true", help="CPU time per viewer frame, drawn in one process")
    parser.add_argument("--rounds", type=int, default=1, help="with --frames: time the trees by turns this often")
    parser.add_argument("--timeline", action="store_true", help="when each run, stage and viewer starts and ends")
    parser.add_argument("--frame-costs", action="store_true", help=argparse.SUPPRESS)  # one tree's, in this process
    args = parser.parse_args()
    if args.frame_costs:
        return frame_costs()
    if args.timeline:
        return timeline()
    if args.frames:
        return frames(args)
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp())
    steps = "300" if args.quick else "3000"
    train = ["train", "--depth", "11", "--width", "32", "--steps", steps, "--out", str(tmp / "run")]
    t_train, _ = timed(train)
    t_train1, cpu_train1 = timed(train[:-1] + [str(tmp / "run1")], OMP_NUM_THREADS="1")
    study = ["study", "--out", str(tmp / "study"), *(["--quick"] * args.quick)]
    t_study, cpu_study = timed(study)
    print(f"reluscope train --depth 11 --width 32 --steps {steps}: {t_train:.1f} s "
          f"({t_train1:.1f} s and {cpu_train1:.1f} CPU-s on one torch thread, as the study trains)")
    print(f"reluscope {' '.join(study[:1] + study[3:])}: {t_study:.1f} s, {cpu_study:.1f} CPU-s in all its processes")
    print(f"study / train: {t_study / t_train:.2f} (/ train on one thread: {t_study / t_train1:.2f}; "
          f"CPU-s / CPU-s on one thread: {cpu_study / cpu_train1:.2f}, steadier on a busy machine)")
    if args.before is not None:
        t_before, cpu_before = timed(study[:2] + [str(tmp / "before")] + study[3:],
                                     PYTHONPATH=str(args.before.resolve()))
        print(f"the study of {args.before}: {t_before:.1f} s, {cpu_before:.1f} CPU-s; after / before: "
              f"{t_study / t_before:.2f}, in CPU-s {cpu_study / cpu_before:.2f} (before / train: "
              f"{t_before / t_train:.2f})")
        found, compared = differences(tmp / "study", tmp / "before")  # the same report: benchmarks/study_same.py
        print(f"the two reports, compared ({compared}): " + ("the same" if not found else "; ".join(found)))
    if args.profile:
        prof = tmp / "study.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "reluscope", *study], check=True,
                       capture_output=True)
        stats = pstats.Stats(str(prof)).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
        for name, what in PHASES.items():
            seconds = sum(v[3] for (f, _, n), v in stats.items() if n == name and "reluscope" in f)
            print(f"  {what}: {seconds:.1f} s")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
