"""The playground's speed: an 11×32 ReLU net on 1000 spiral points, streamed to a WebSocket client.

Prints frames per second reaching the client while training, training steps per second while streaming against
the bare ``train_model`` rate (one torch thread, as the server runs), the time from a control change to the first
frame of the new run, bytes per frame, and, with ``--clients 8 --seconds 60``, the same for many clients at once
with the server's resident memory. Run: ``python benchmarks/serve.py [--seconds 10] [--clients 8]``
(quickest: ``--seconds 1 --changes 1 --steps 20``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import threading
import time
from pathlib import Path

import torch
from timing import load  # benchmarks/timing.py, beside this script
from websockets.sync.client import connect

from reluscope.serve import ServeConfig, running
from reluscope.serve.codec import decode
from reluscope.serve.messages import VERSION, View, encode
from reluscope.serve.panels import render, render_slow
from reluscope.serve.session import SLOW_INTERVAL
from reluscope.serve.scene import Scene
from reluscope.serve.settings import Settings
from reluscope.train.loop import train_model

NET = dict(dataset="spirals", n_samples=1000, depth=11, width=32, init="he", steps=100_000)


def bare_rate(steps: int = 400) -> float:
    """Steps per second of ``train_model`` alone on the benchmark's net."""
    torch.set_num_threads(1)
    s = Settings(**{**NET, "steps": steps})
    data = s.load_data(None)
    model, gen = s.build_model(data)
    t = time.perf_counter()
    train_model(model, data, s.train_config(data.name), generator=gen)
    return steps / (time.perf_counter() - t)


def frame_cost(repeat: int = 20) -> tuple[float, float, str | bytes]:
    """CPU milliseconds (this thread's) to draw the quick and the slow panels of the benchmark net at init, and
    the quick frame as it is sent."""
    s = Settings(**NET)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene, view = Scene.build(s, data, model), View(layer=6, projection="embedded")
    quick = render(scene, model, view)
    t0 = time.thread_time()
    for _ in range(repeat):
        quick = render(scene, model, view)
    t1 = time.thread_time()
    for _ in range(repeat):
        render_slow(scene, model, view, grad_out_m2=quick["layers"]["gz_out_m2"], exact=False)
    t2 = time.thread_time()
    return (t1 - t0) / repeat * 1e3, (t2 - t1) / repeat * 1e3, encode("frame", run=1, step=0, **quick)


def send(ws, kind, **fields):
    ws.send(json.dumps({"v": VERSION, "type": kind, **fields}))


def stream(url: str, seconds: float, out: dict, seed: int = 0) -> None:
    """Play the benchmark net for ``seconds``; record frames, steps and bytes of this client in ``out``."""
    with connect(url, max_size=None) as ws:
        ws.recv(timeout=30)
        send(ws, "settings", settings={**NET, "seed": seed})
        send(ws, "control", action="play")
        frames, panels, sizes, first, last = 0, 0, [], None, None
        deadline = time.monotonic() + seconds
        while (now := time.monotonic()) < deadline:
            raw = ws.recv(timeout=30)
            m = decode(raw)
            if m["type"] == "panels" and last is not None and m["step"] == last[1]:
                panels += 1  # the slow panels of a frame drawn while training
            if m["type"] != "frame" or not m["playing"]:
                continue
            if first is None:
                first = (now, m["step"])
            frames += 1
            sizes.append(len(raw))
            last = (now, m["step"])
        if frames < 2:  # nothing to time between
            out.update(frames_per_s=math.nan, panels_per_s=math.nan, steps_per_s=math.nan, bytes_per_frame=math.nan)
            return
        span = last[0] - first[0]  # seconds between the first and the last frame
        out.update(frames_per_s=(frames - 1) / span, panels_per_s=panels / span,
                   steps_per_s=(last[1] - first[1]) / span, bytes_per_frame=statistics.mean(sizes))


def latency(url: str, repeats: int = 8) -> list[float]:
    """Seconds from a settings change (a new seed) to the first frame of the new run, while training."""
    out = []
    with connect(url, max_size=None) as ws:
        ws.recv(timeout=30)
        send(ws, "settings", settings=NET)
        send(ws, "control", action="play")
        for i in range(1, repeats + 1):
            time.sleep(0.5)
            t = time.perf_counter()
            send(ws, "settings", settings={**NET, "seed": i})
            while True:
                m = decode(ws.recv(timeout=30))
                if m["type"] == "frame" and m["run"] == i + 1:
                    out.append(time.perf_counter() - t)
                    break
    return out


def transport(frame: str | bytes, n: int) -> dict[str, float]:
    """Frames per second that Starlette + uvicorn and (when installed) aiohttp push through one WebSocket to a
    client on this machine: ``n`` copies of one pre-encoded frame, nothing drawn — the framework's own cost.
    Without compression, as the playground's server runs."""
    import asyncio

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def starlette_ws(ws):
        await ws.accept()
        for _ in range(n):
            await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_text(frame))
        await ws.close()

    def receive_all(url: str) -> float:
        with connect(url, max_size=None, compression=None) as ws:
            t = time.perf_counter()
            for _ in range(n):
                ws.recv(timeout=30)
            return n / (time.perf_counter() - t)

    out = {}
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[WebSocketRoute("/ws", starlette_ws)]), port=0,
                                           log_level="warning", ws_max_size=2**26, ws_per_message_deflate=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    out["starlette + uvicorn"] = receive_all(f"ws://127.0.0.1:{port}/ws")
    server.should_exit = True
    thread.join()
    try:
        from aiohttp import web
    except ImportError:
        return out

    async def aiohttp_ws(request):
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        for _ in range(n):
            await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
        await ws.close()
        return ws

    loop, ready = asyncio.new_event_loop(), threading.Event()
    app = web.Application()
    app.router.add_get("/ws", aiohttp_ws)
    runner = web.AppRunner(app)

    def run_aiohttp():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        out["port"] = site._server.sockets[0].getsockname()[1]
        ready.set()
        loop.run_forever()

    threading.Thread(target=run_aiohttp, daemon=True).start()
    ready.wait(30)
    out["aiohttp"] = receive_all(f"ws://127.0.0.1:{out.pop('port')}/ws")
    loop.call_soon_threadsafe(loop.stop)
    return out


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="streaming time per measurement")
    ap.add_argument("--clients", type=int, default=0, help="also run this many clients at once")
    ap.add_argument("--changes", type=int, default=8, help="control changes timed")
    ap.add_argument("--steps", type=int, default=400, help="steps of the bare train_model run")
    ap.add_argument("--transports", type=int, default=0,
                    help="also push this many frames through Starlette + uvicorn and aiohttp (if installed)")
    args = ap.parse_args()
    bare = bare_rate(args.steps)
    print(f"bare train_model: {bare:.0f} steps/s (11×32 ReLU, 1000 spiral points, full batch, 1 torch thread)")
    quick, slow, frame = frame_cost()
    print(f"drawing a frame: {quick:.1f} ms CPU for the quick panels (at most {1e3 / quick:.0f} frames/s on one "
          f"free core), {slow:.1f} ms for theory, residuals and cells (sent at most {1 / SLOW_INTERVAL:.0f} times "
          f"a second); load average {load()}")
    with tempfile.TemporaryDirectory() as tmp, \
            running(ServeConfig(port=0, runs_dir=Path(tmp), max_sessions=max(8, args.clients))) as url:
        ws_url = url.replace("http://", "ws://") + "ws"
        one = {}
        stream(ws_url, args.seconds, one)
        print(f"one client: {one['frames_per_s']:.1f} frames/s and {one['panels_per_s']:.1f} slow panels/s, "
              f"{one['steps_per_s']:.0f} steps/s while streaming "
              f"({one['steps_per_s'] / bare:.0%} of bare), {one['bytes_per_frame'] / 1024:.1f} KiB per frame; "
              f"load average {load()}")
        lat = latency(ws_url, args.changes)
        print(f"control change -> first frame of the new run: median {statistics.median(lat) * 1e3:.0f} ms, "
              f"max {max(lat) * 1e3:.0f} ms over {len(lat)} changes")
        if args.transports:
            rates = transport(frame, args.transports)
            print(f"WebSocket transport alone ({len(frame) / 1024:.1f} KiB frames, no compression): "
                  + ", ".join(f"{name} {rate:.0f} frames/s" for name, rate in rates.items()))
        if args.clients:
            rss_before = rss_mib()
            results = [{} for _ in range(args.clients)]
            threads = [threading.Thread(target=stream, args=(ws_url, args.seconds, r, i))
                       for i, r in enumerate(results)]
            for t in threads:
                t.start()
            samples = []  # (seconds since start, MiB)
            start = time.monotonic()
            while any(t.is_alive() for t in threads):
                samples.append((time.monotonic() - start, rss_mib()))
                time.sleep(0.5)
            peak = max(m for _, m in samples)
            quarters = [min(samples, key=lambda s: abs(s[0] - q * args.seconds / 4))[1] for q in range(1, 5)]
            fps = [r["frames_per_s"] for r in results]
            steps = [r["steps_per_s"] for r in results]
            panels = [r["panels_per_s"] for r in results]
            print(f"{args.clients} clients for {args.seconds:.0f} s: {statistics.mean(fps):.1f} frames/s, "
                  f"{statistics.mean(panels):.1f} slow panels/s and "
                  f"{statistics.mean(steps):.0f} steps/s per client (min {min(fps):.1f} frames/s, "
                  f"{min(panels):.1f} slow panels/s, {min(steps):.0f} steps/s; load average {load()}); "
                  f"process RSS (server and clients in one process) before {rss_before:.0f} MiB, at each quarter "
                  f"{' / '.join(f'{m:.0f}' for m in quarters)} MiB, peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
