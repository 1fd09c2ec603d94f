"""The benchmark scripts still run (tiny sizes; their timings are read by people, never asserted here)."""

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow  # each runs a whole benchmark script

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
# Run in a process of their own: a process pool (forked from this one), a Ray cluster, a JupyterLab.
OWN_PROCESS = {"defaults.py", "depth11_seeds.py", "frames.py", "sweep_backends.py"}


@pytest.mark.parametrize("script,args,expect", [
    ("train_step.py", ["--steps", "3"], "sklearn / reluscope"),
    ("ensemble.py", ["--members", "2", "--steps", "2", "--depth", "3", "--width", "8", "--points", "100"],
     "speed-up of train_ensemble"),
    ("backproject.py", ["--grid", "32", "--repeat", "1", "--threads", "1"], "input view"),
    ("cli_start.py", ["--repeat", "1"], "reluscope --help"),
    ("cells.py", ["--repeat", "1", "--quick"], "reluscope / Regioncam"),
    ("frame.py", ["--repeat", "1", "--steps", "2"], "frame / step"),
    ("serve.py", ["--seconds", "1", "--changes", "1", "--steps", "20"], "control change"),
    ("watch.py", ["--steps", "5", "--repeat", "1"], "overhead"),
    ("watch_example_seeds.py", ["--seeds", "1", "--lrs", "0.01", "--steps", "3"], "seeds reach"),
    pytest.param("frames.py", ["--seconds", "1", "--changes", "1"], "rs.Playground in JupyterLab",
                 marks=pytest.mark.browser),  # headless Chromium on the page and in a JupyterLab it starts
    ("depth11_seeds.py", ["--seeds", "1", "--steps", "5", "--datasets", "moons", "--jobs", "1"], "diverged"),
    ("defaults.py", ["--seeds", "1", "--datasets", "xor", "--set", "steps=5", "--set", "n_samples=40"], "≥ 0.90"),
    ("slices.py", ["--nets", "2x8", "--steps", "5", "--repeat", "1"], "784-D inputs"),
    pytest.param("sweep_backends.py", ["--depths", "2", "--sigma-w2", "1,2", "--seeds", "1", "--steps", "2",
                                       "--n-samples", "40", "--chunk", "1", "--tasks", "8", "--rows", "1000"],
                 "overhead of Ray", marks=pytest.mark.slow),  # starts a local Ray cluster
])
def test_benchmark_runs_and_prints_its_ratio(script, args, expect, monkeypatch, capsys):
    if script in OWN_PROCESS:
        proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert expect in proc.stdout
    else:
        assert expect in run_here(BENCH / script, args, monkeypatch, capsys)


def run_here(script: Path, args: list[str], monkeypatch, capsys) -> str:
    """What ``python SCRIPT ARGS`` prints, run in this process (2–4 CPU-s of interpreter start and imports less
    per script): as ``__main__``, with its arguments and its folder first on the path; torch's thread count,
    which a benchmark sets, is restored afterwards."""
    monkeypatch.setattr(sys, "argv", [str(script), *args])
    monkeypatch.syspath_prepend(str(script.parent))
    threads = torch.get_num_threads()
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        torch.set_num_threads(threads)
    return capsys.readouterr().out
