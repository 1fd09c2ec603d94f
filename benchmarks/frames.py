"""Frames per second the live view shows while training, browser included, on both hosts: the page of
``reluscope serve`` and ``rs.Playground`` in JupyterLab (headless Chromium, the same front-end module), for a
6×16 and an 11×32 ReLU net on 1000 spiral points, with the slow panels' updates per second (theory, residuals,
cells: every ``panels`` message the page takes in); the time from a control change (a new seed) to the first
frame of the new run on screen; and, with ``--pages N``, N pages of ``reluscope serve`` playing the 11×32 net at
once, each page's frames, slow panels and training steps per second. Every frames/s counts the frames the page
receives. Both hosts are measured in this run, one after the other; the load averages are printed with each.

    .venv/bin/python benchmarks/frames.py [--seconds 10] [--changes 5] [--hosts page,widget] [--pages 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the suite's Chromium settings and JupyterLab launcher

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from notebookservers import jupyterlab, run_notebook  # noqa: E402
from timing import load  # noqa: E402 (benchmarks/timing.py, beside this script)

from reluscope.serve import ServeConfig, running  # noqa: E402

NETS = {"6×16": dict(depth=6, width=16), "11×32": dict(depth=11, width=32)}
BASE = dict(dataset="spirals", n_samples=1000, init="he", steps=100_000)
HOOK = "document.querySelector('.reluscope')?.reluscope"


# counts every ``theory`` the page stores (one per ``panels`` message) through a setter on the page's state; the
# promise in ``window.__rate`` resolves after ``SECONDS`` ms with (frames, steps, panels) per second
START = f"""() => {{
    const S = {HOOK}, wait = (ms) => new Promise((r) => setTimeout(r, ms));
    window.__rate = (async () => {{
        await wait(1000);
        let theory = S.theory, panels = 0;
        Object.defineProperty(S, "theory", {{ get: () => theory, set: (v) => {{ theory = v; panels += 1; }},
                                             configurable: true }});
        const f0 = S.frames, s0 = S.step, t0 = performance.now();
        await wait(SECONDS);
        const dt = (performance.now() - t0) / 1000;
        return [(S.frames - f0) / dt, (S.step - s0) / dt, panels / dt]; }})(); }}"""


def fps(page, seconds: float) -> tuple[float, float, float]:
    """(frames, steps, slow panels) per second received while playing, over ``seconds``."""
    page.evaluate(START.replace("SECONDS", str(seconds * 1000)))
    return tuple(page.evaluate("() => window.__rate"))


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
    nets = ", ".join(f"{name} {m[name][0]:.1f} frames/s, {m[name][2]:.1f} slow panels/s ({m[name][1]:.0f} steps/s)"
                     for name in NETS)
    lat = m["latency"]
    print(f"{host}: {nets}; control change -> first frame median {statistics.median(lat):.0f} ms, "
          f"max {max(lat):.0f} ms over {len(lat)}; load average {load()}")


def many_pages(browser, url: str, n: int, seconds: float) -> None:
    """``n`` pages playing the 11×32 net at once: each one's frames, slow panels and steps per second."""
    net = {**BASE, **NETS["11×32"]}
    pages = []
    for seed in range(n):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "#" + "&".join(f"{k}={v}" for k, v in {**net, "seed": seed}.items()))
        page.wait_for_function(f"{HOOK} && {HOOK}.last && {HOOK}.data.settings.depth === 11", timeout=120_000)
        pages.append(page)
    for page in pages:
        page.click(".reluscope [data-id=play]")
    time.sleep(1.0)
    before = load()
    for page in pages:  # all measure over the same seconds
        page.evaluate(START.replace("SECONDS", str(seconds * 1000)))
    rates = [page.evaluate("() => window.__rate") for page in pages]  # (frames, steps, panels) per page
    frames, steps, panels = zip(*rates)
    print(f"{n} pages at once (11×32): per page {statistics.mean(frames):.1f} frames/s (min {min(frames):.1f}), "
          f"{statistics.mean(panels):.1f} slow panels/s (min {min(panels):.1f}), {statistics.mean(steps):.0f} "
          f"steps/s (min {min(steps):.0f}); load average before {before}, after {load()}")
    for page in pages:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--hosts", default="page,widget", help="which hosts to measure: page, widget or both")
    ap.add_argument("--pages", type=int, default=0, help="also measure this many serve pages playing at once")
    args = ap.parse_args()
    hosts = set(args.hosts.split(","))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with running(ServeConfig(port=0, runs_dir=tmp / "runs", max_sessions=max(8, args.pages))) as url:
            if "page" in hosts:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url + "#" + "&".join(f"{k}={v}" for k, v in BASE.items()))
                page.wait_for_function(f"{HOOK} && {HOOK}.last", timeout=60_000)
                report("page (reluscope serve)", measure(page, args.seconds, args.changes))
                page.close()
            if args.pages:
                many_pages(browser, url, args.pages, args.seconds)
        if "widget" in hosts:
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
