"""The playground's speed: an 11×32 ReLU net on 1000 spiral points, streamed to a WebSocket client.

Prints frames per second reaching the client while training, training steps per second while streaming against
the bare ``train_model`` rate (one torch thread, as the server runs), the time from a control change to the first
frame of the new run, bytes per frame, and, with ``--clients 8 --seconds 60``, the same for many clients at once
with the server's resident memory. Run: ``python benchmarks/serve.py [--seconds 10] [--clients 8]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import torch
from websockets.sync.client import connect

from reluscope.serve import ServeConfig, running
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


def send(ws, kind, **fields):
    ws.send(json.dumps({"v": 1, "type": kind, **fields}))


def stream(url: str, seconds: float, out: dict, seed: int = 0) -> None:
    """Play the benchmark net for ``seconds``; record frames, steps and bytes of this client in ``out``."""
    with connect(url, max_size=None) as ws:
        ws.recv(timeout=30)
        send(ws, "settings", settings={**NET, "seed": seed})
        send(ws, "control", action="play")
        frames, sizes, first = 0, [], None
        deadline = time.monotonic() + seconds
        while (now := time.monotonic()) < deadline:
            text = ws.recv(timeout=30)
            m = json.loads(text)
            if m["type"] != "frame" or not m["playing"]:
                continue
            if first is None:
                first = (now, m["step"])
            frames += 1
            sizes.append(len(text))
            last = (now, m["step"])
        out.update(frames_per_s=frames / (last[0] - first[0]), steps_per_s=(last[1] - first[1]) / (last[0] - first[0]),
                   bytes_per_frame=statistics.mean(sizes))


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
                m = json.loads(ws.recv(timeout=30))
                if m["type"] == "frame" and m["run"] == i + 1:
                    out.append(time.perf_counter() - t)
                    break
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
    args = ap.parse_args()
    bare = bare_rate()
    print(f"bare train_model: {bare:.0f} steps/s (11×32 ReLU, 1000 spiral points, full batch, 1 torch thread)")
    with tempfile.TemporaryDirectory() as tmp, \
            running(ServeConfig(port=0, runs_dir=Path(tmp), max_sessions=max(8, args.clients))) as url:
        ws_url = url.replace("http://", "ws://") + "ws"
        one = {}
        stream(ws_url, args.seconds, one)
        print(f"one client: {one['frames_per_s']:.1f} frames/s, {one['steps_per_s']:.0f} steps/s while streaming "
              f"({one['steps_per_s'] / bare:.0%} of bare), {one['bytes_per_frame'] / 1024:.1f} KiB per frame")
        lat = latency(ws_url)
        print(f"control change -> first frame of the new run: median {statistics.median(lat) * 1e3:.0f} ms, "
              f"max {max(lat) * 1e3:.0f} ms over {len(lat)} changes")
        if args.clients:
            results = [{} for _ in range(args.clients)]
            threads = [threading.Thread(target=stream, args=(ws_url, args.seconds, r, i)) for i, r in enumerate(results)]
            for t in threads:
                t.start()
            peak = 0.0
            while any(t.is_alive() for t in threads):
                peak = max(peak, rss_mib())
                time.sleep(0.5)
            fps = [r["frames_per_s"] for r in results]
            steps = [r["steps_per_s"] for r in results]
            print(f"{args.clients} clients for {args.seconds:.0f} s: {statistics.mean(fps):.1f} frames/s and "
                  f"{statistics.mean(steps):.0f} steps/s per client (min {min(fps):.1f} frames/s); "
                  f"process RSS peak {peak:.0f} MiB (server and clients in one process), now {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
