"""Frames per second the live view shows while training, browser included, on both hosts: the page of
``reluscope serve`` and ``rs.Playground`` in JupyterLab (headless Chromium, the same front-end module), for a
6×16 and an 11×32 ReLU net on 1000 spiral points, with the slow panels' updates per second (theory, residuals,
cells: every ``panels`` message the page takes in); the time from a control change (a new seed) to the first
frame of the new run on screen; and, with ``--pages N``, N pages of ``reluscope serve`` playing the 11×32 net at
once, each page's frames, slow panels and training steps per second. Every frames/s counts the frames the page
receives. Both hosts are measured in this run, one after the other; the load averages are printed with each.

``--profile`` says where the time goes on the page, per received frame of each net: the CPU of the server's
threads (training, drawing, event loop) and of the browser's processes, the bytes of each kind of message, the
page's JavaScript by function (the CDP sampling profiler, inclusive) and the browser's main-thread and compositor
work by phase (a Chromium trace). ``--before DIR`` measures another checkout (a copy of main: ``git archive main |
tar -x -C DIR``, with a ``.venv`` link) and this one by turns, ``--rounds`` times each, each in its own process,
so that both meet the same load.

    .venv/bin/python benchmarks/frames.py [--seconds 10] [--changes 5] [--hosts page,widget] [--pages 8]
                                          [--profile] [--before DIR --rounds 2]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import threading
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


# with --profile: the bytes of every server message by its kind, counted while window.__bytes is an object
COUNT_BYTES = """(() => { const Socket = window.WebSocket;
  window.WebSocket = class extends Socket { constructor(...args) { super(...args);
    this.addEventListener("message", (e) => {
      const into = window.__bytes; if (!into) return;
      const text = typeof e.data === "string" ? e.data
        : new TextDecoder().decode(new Uint8Array(e.data, 4, new DataView(e.data).getUint32(0, true)));
      const kind = JSON.parse(text).type, n = e.data.byteLength ?? e.data.length;
      into[kind] = [(into[kind]?.[0] ?? 0) + 1, (into[kind]?.[1] ?? 0) + n]; }); } }; })()"""
JS = ("onMessage", "decode", "onFrame", "paint", "drawBoundary", "drawCurves", "drawStats", "drawDead", "drawNetwork",
      "drawBackprojection", "drawResiduals", "drawCells", "drawQ", "drawQmap", "drawNote")
PHASES = {  # Chromium trace events (thread CPU) -> what they are
    "FunctionCall": "main thread: JavaScript (messages, animation frames)",
    "LayerTreeHost::DoUpdateLayers": "main thread: canvases rasterised for the compositor",
    "UpdateLayoutTree": "main thread: style", "Layout": "main thread: layout", "PrePaint": "main thread: pre-paint",
    "Paint": "main thread: paint", "RasterTask": "raster workers: page tiles",
    "Display::DrawAndSwap": "viz: compositing the page's layers (software)"}


def cpu_ticks() -> collections.Counter:
    """CPU clock ticks so far by part: this process's threads (the server's training, drawing and event loop; the
    rest is Playwright) and its descendants (Playwright's driver, Chromium's processes by their ``--type``)."""
    names, out = {t.native_id: t.name for t in threading.enumerate()}, collections.Counter()

    def ticks(stat: Path) -> int:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    for task in Path("/proc/self/task").iterdir():
        name = names.get(int(task.name), "")
        part = ("server: training" if name.startswith("reluscope-run") else "server: drawing"
                if name.startswith("asyncio_") else "server: event loop" if name == "reluscope-serve" else "client")
        out[part] += ticks(task / "stat")
    parents = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    for pid in parents:
        up = pid
        while up in parents and up != os.getpid():
            up = parents[up]
        if up != os.getpid() or pid == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
            t = ticks(Path(f"/proc/{pid}/stat"))
        except OSError:
            continue
        kind = next((a.split("=", 1)[1] for a in argv if a.startswith("--type=")), "browser")  # one string: its title
        out["client" if argv and "node" in Path(argv[0]).name else f"chromium: {kind}"] += t
    return out


def where_time_goes(page, seconds: float) -> None:
    """Print, per frame the page receives while playing: CPU by part, message bytes by kind, the page's
    JavaScript by function, the browser's work by phase (each over ``seconds``)."""
    frames = lambda: page.evaluate(f"{HOOK}.frames")  # noqa: E731
    hz = os.sysconf("SC_CLK_TCK")
    page.evaluate("window.__bytes = {}")
    f0, c0, t0 = frames(), cpu_ticks(), time.monotonic()
    time.sleep(seconds)
    c1, n, dt = cpu_ticks(), frames() - f0, time.monotonic() - t0
    sizes = page.evaluate("(() => { const b = window.__bytes; window.__bytes = null; return b; })()")
    print(f"  where the time goes ({n / dt:.1f} frames/s received; cores, and ms of CPU per received frame):")
    for part, ticks in sorted(((k, c1[k] - c0[k]) for k in c1), key=lambda kv: -kv[1]):
        print(f"    {part:26s} {ticks / hz / dt:5.2f} {1000 * ticks / hz / max(n, 1):6.1f}")
    print("  messages: " + ", ".join(f"{kind} {count / dt:.1f}/s × {size / count / 1024:.1f} KiB"
                                     for kind, (count, size) in sizes.items()))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})  # µs
    f0 = frames()
    cdp.send("Profiler.start")
    time.sleep(seconds)
    profile, n = cdp.send("Profiler.stop")["profile"], frames() - f0
    cdp.detach()
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    inclusive = collections.Counter()
    for sample, us in zip(profile["samples"], profile["timeDeltas"]):
        seen, node = set(), sample
        while node is not None:
            seen.add(nodes[node]["callFrame"]["functionName"])
            node = parent.get(node)
        for name in seen & set(JS):
            inclusive[name] += us
    print("  JavaScript, ms per received frame (inclusive): " + ", ".join(
        f"{name} {inclusive[name] / 1000 / max(n, 1):.2f}" for name in JS if inclusive[name]))
    browser = page.context.browser
    browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline",
                                                 "cc", "viz"])
    f0 = frames()
    time.sleep(seconds / 2)
    events, n = json.loads(browser.stop_tracing())["traceEvents"], frames() - f0
    phases = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("name") in PHASES:
            phases[PHASES[e["name"]]] += e.get("tdur", e.get("dur", 0))
    print("  browser, ms of thread CPU per received frame: " + ", ".join(
        f"{what} {us / 1000 / max(n, 1):.2f}" for what, us in phases.most_common()))


def measure(page, seconds: float, changes: int, profile: bool = False) -> dict:
    out = {}
    for name, net in NETS.items():
        for key, value in net.items():
            page.eval_on_selector(f".reluscope [data-id=s-{key}]",
                                  f"el => {{ el.value = '{value}'; el.dispatchEvent(new Event('change')); }}")
        page.wait_for_function(f"{HOOK}.data && {HOOK}.data.settings.depth === {net['depth']} "
                               f"&& {HOOK}.data.settings.width === {net['width']}", timeout=60_000)
        page.click(".reluscope [data-id=play]")
        out[name] = fps(page, seconds)
        if profile:
            print(f"{name}:")
            where_time_goes(page, seconds)
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


def by_turns(args) -> None:
    """The checkout ``args.before`` and this one measured by turns (``--rounds`` each), every measurement by the
    checkout's own frames.py in a process of its own on its own ``src``; each line it prints marked with which."""
    same = ["--seconds", str(args.seconds), "--changes", str(args.changes), "--hosts", args.hosts,
            "--pages", str(args.pages)]
    for r in range(1, args.rounds + 1):
        for which, root in (("before", args.before.resolve()), ("after", ROOT)):
            proc = subprocess.run([sys.executable, str(root / "benchmarks" / "frames.py"), *same], cwd=root,
                                  env=os.environ | {"PYTHONPATH": str(root / "src")}, capture_output=True, text=True)
            for line in (proc.stdout.splitlines() or [f"failed: {proc.stderr[-500:]}"]):
                print(f"{which} {r}: {line}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--hosts", default="page,widget", help="which hosts to measure: page, widget or both")
    ap.add_argument("--pages", type=int, default=0, help="also measure this many serve pages playing at once")
    ap.add_argument("--profile", action="store_true", help="say where the time goes on the page (per frame)")
    ap.add_argument("--before", type=Path, help="a checkout to measure by turns with this one (a copy of main)")
    ap.add_argument("--rounds", type=int, default=2, help="with --before: measurements of each checkout")
    args = ap.parse_args()
    if args.before:
        return by_turns(args)
    hosts = set(args.hosts.split(","))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with running(ServeConfig(port=0, runs_dir=tmp / "runs", max_sessions=max(8, args.pages))) as url:
            if "page" in hosts:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                if args.profile:
                    page.add_init_script(COUNT_BYTES)
                page.goto(url + "#" + "&".join(f"{k}={v}" for k, v in BASE.items()))
                page.wait_for_function(f"{HOOK} && {HOOK}.last", timeout=60_000)
                report("page (reluscope serve)", measure(page, args.seconds, args.changes, args.profile))
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
