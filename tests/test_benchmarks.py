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
    pytest.param("cells_draw.py", ["--repeat", "1", "--steps", "2"], "µs a cell",
                 marks=pytest.mark.browser),  # headless Chromium draws the cells with the page's drawCells
    pytest.param("frames.py", ["--seconds", "1", "--changes", "1"], "rs.Playground in JupyterLab",
                 marks=pytest.mark.browser),  # headless Chromium on the page and in a JupyterLab it starts
    ("depth11_seeds.py", ["--seeds", "1", "--steps", "5", "--datasets", "moons", "--jobs", "1"], "diverged"),
    ("defaults.py", ["--seeds", "1", "--datasets", "xor", "--set", "steps=5", "--set", "n_samples=40"], "≥ 0.90"),
    ("slices.py", ["--nets", "2x8", "--steps", "5", "--repeat", "1"], "784-D inputs"),
    pytest.param("sweep_backends.py", ["--depths", "2", "--sigma-w2", "1,2", "--seeds", "1", "--steps", "2",
                                       "--n-samples", "40", "--chunk", "1", "--tasks", "8", "--rows", "1000"],
                 "overhead of Ray", marks=[pytest.mark.slow, pytest.mark.xdist_group("ray")]),
    # starts a local Ray cluster: after or before test_sweep_ray.py's on the same worker, never beside it (two
    # clusters' starts on 2 cores outlast the raylet's 15 s wait for its agent)
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


def _study(path, number="0.96", pixel=(255, 255, 255)):
    """A study directory as ``benchmarks/study_same.py`` reads it: a table, a page with a number, a figure."""
    import base64
    import io

    from PIL import Image

    (path / "tables").mkdir(parents=True)
    (path / "figures").mkdir()
    (path / "tables" / "summary.csv").write_text(f"task,measured\n1,{number}\n")
    image = Image.new("RGB", (4, 3), "white")
    image.putpixel((1, 1), pixel)
    out = io.BytesIO()
    image.save(out, format="PNG")
    (path / "figures" / "f.png").write_bytes(out.getvalue())
    uri = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    (path / "report.html").write_text(f"<p>test accuracy {number} in {path}</p><p>2026-12-06 10:00 UTC in 12.5 s</p>"
                                      f'<img src="{uri}">')
    return path


def test_study_same_finds_a_moved_number_and_a_changed_pixel(tmp_path):
    def same(a, b):
        proc = subprocess.run([sys.executable, str(BENCH / "study_same.py"), str(a), str(b)], capture_output=True,
                              text=True, timeout=60)
        return proc.returncode, proc.stdout

    base = _study(tmp_path / "a")
    assert same(base, _study(tmp_path / "b"))[0] == 0  # its own path and its date aside
    rc, out = same(base, _study(tmp_path / "c", number="0.95"))
    assert rc == 1 and "summary.csv differs" in out and "('0.96', '0.95')" in out
    rc, out = same(base, _study(tmp_path / "d", pixel=(0, 0, 0)))
    assert rc == 1 and "figures/f.png: other pixels" in out and "inlined image 1: other pixels" in out

