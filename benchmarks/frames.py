"""Frames per second the live view shows while training, browser included, on both hosts: the page of
``reluscope serve`` and ``rs.Playground`` in JupyterLab (headless Chromium, the same front-end module), for a
6×16 and an 11×32 ReLU net on 1000 spiral points; and the time from a control change (a new seed) to the first
frame of the new run on screen. Both hosts are measured in this run, one after the other.

    .venv/bin/python benchmarks/frames.py [--seconds 10] [--changes 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the suite's Chromium settings and JupyterLab launcher

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from notebookservers import jupyterlab, run_notebook  # noqa: E402

from reluscope.serve import ServeConfig, running  # noqa: E402

NETS = {"6×16": dict(depth=6, width=16), "11×32": dict(depth=11, width=32)}
BASE = dict(dataset="spirals", n_samples=1000, init="he", steps=100_000)
HOOK = "document.querySelector('.reluscope')?.reluscope"


def fps(page, seconds: float) -> tuple[float, float]:
    """(frames, steps) per second drawn while playing, over ``seconds``."""
    return tuple(page.evaluate(f"""async () => {{
        const S = {HOOK}, wait = (ms) => new Promise((r) => setTimeout(r, ms));
        await wait(1000);
        const f0 = S.frames, s0 = S.step, t0 = performance.now();
        await wait({seconds * 1000});
        const dt = (performance.now() - t0) / 1000;
        return [(S.frames - f0) / dt, (S.step - s0) / dt]; }}"""))


def latency(page, seed: int) -> float:
    """Milliseconds from typing a new seed to the new run's first frame on screen."""
    return page.evaluate(f"""async () => {{
        const S = {HOOK}, root = document.querySelector('.reluscope'), input = root.querySelector('[data-id=s-seed]');
        const run = S.run, t0 = performance.now();
        input.value = '{seed}'; input.dispatchEvent(new Event('change'));
        while (!(S.run > run && S.last && S.last.run === S.run)) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => requestAnimationFrame(r));
        return performance.now() - t0; }}""")


def measure(page, seconds: float, changes: int) -> dict:
    out = {}
    for name, net in NETS.items():
        for key, value in net.items():
            page.eval_on_selector(f".reluscope [data-id=s-{key}]",
                                  f"el => {{ el.value = '{value}'; el.dispatchEvent(new Event('change')); }}")
        page.wait_for_function(f"{HOOK}.data && {HOOK}.data.settings.depth === {net['depth']} "
                               f"&& {HOOK}.data.settings.width === {net['width']}", timeout=60_000)
        page.click(".reluscope [data-id=play]")
        out[name] = fps(page, seconds)
        page.click(".reluscope [data-id=play]")
    page.click(".reluscope [data-id=play]")
    out["latency"] = [latency(page, seed) for seed in range(1, changes + 1)]
    page.click(".reluscope [data-id=play]")
    return out


def report(host: str, m: dict) -> None:
    nets = ", ".join(f"{name} {m[name][0]:.1f} frames/s ({m[name][1]:.0f} steps/s)" for name in NETS)
    lat = m["latency"]
    print(f"{host}: {nets}; control change -> first frame median {statistics.median(lat):.0f} ms, "
          f"max {max(lat):.0f} ms over {len(lat)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--changes", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with running(ServeConfig(port=0, runs_dir=tmp / "runs")) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "#" + "&".join(f"{k}={v}" for k, v in BASE.items()))
            page.wait_for_function(f"{HOOK} && {HOOK}.last", timeout=60_000)
            report("page (reluscope serve)", measure(page, args.seconds, args.changes))
            page.close()
        (tmp / "lab").mkdir()
        (tmp / "home").mkdir()
        settings = ", ".join(f"{k}={v!r}" for k, v in BASE.items())
        nb = new_notebook(cells=[new_code_cell(f"import reluscope as rs\npg = rs.Playground({settings})\npg")],
                          metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}})
        nbformat.write(nb, tmp / "lab" / "frames.ipynb")
        with jupyterlab(tmp / "lab", tmp / "home") as (lab, token):
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            run_notebook(page, lab, token, "frames.ipynb")
            page.wait_for_function(f"{HOOK} && {HOOK}.last", timeout=120_000)
            report("widget (rs.Playground in JupyterLab)", measure(page, args.seconds, args.changes))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
