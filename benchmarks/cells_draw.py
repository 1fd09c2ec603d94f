"""What the page can draw: headless Chromium's milliseconds for N exact cells, drawn by the page's own ``drawCells``.

    .venv/bin/python benchmarks/cells_draw.py [--repeat 9] [--steps 300]

The exact cells of layers 1–5 of the He 11×32 on 1000 spiral points after ``--steps`` training steps (the net and
the chosen layer of ``benchmarks/frame.py``, and the layers before it; 517 … 14 120 cells for 300 steps), as
``panels.cells`` sends them (corners as float32, hues as uint16), each drawn onto a 320 × 320 canvas (the cells
panel's layout size) by ``static/draw.js``'s ``drawCells``, imported from the live view's bundle as the page loads
it: the median of ``--repeat`` drawings of the script and the rasterisation it asks for (read back by one
``getImageData``, which waits for it), and that time per cell.
Chromium runs as the browser tests run it (``/usr/bin/chromium``, headless, software rasterisation): a browser that
rasterises on a GPU fills faster, but the script's work per polygon (its corners mapped, a path of triangles, a
colour, an outline) stays on the CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from reluscope.geometry.regions import linear_regions
from reluscope.serve.bundle import bundle
from reluscope.serve.panels import hues
from reluscope.serve.scene import Scene
from reluscope.serve.settings import Settings
from reluscope.train.loop import train_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the suite's Chromium settings

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
SIZE = 320  # the cells canvas's layout size (static/view.js)
DRAW = """async ([cells, box, repeat, size]) => {
  const { drawCells } = await import('/liveview.js');
  const cv = document.createElement('canvas'); cv.width = size; cv.height = size; document.body.appendChild(cv);
  const c = {exact: true, n_vertices: Uint16Array.from(cells.n_vertices), vertices: Float32Array.from(cells.vertices),
             poly_hue: Uint16Array.from(cells.poly_hue)};
  const ms = [];
  for (let i = 0; i <= repeat; i++) {  // the first drawing warms up
    const t = performance.now();
    drawCells(cv, c, box);
    cv.getContext('2d').getImageData(0, 0, 1, 1);
    ms.push(performance.now() - t);
  }
  return ms.slice(1);
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--steps", type=int, default=300, help="training steps before the cells are drawn")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    s = Settings(dataset="spirals", n_samples=1000, depth=11, width=32, init="he", steps=args.steps)
    data = s.load_data(None)
    model, gen = s.build_model(data)
    train_model(model, data, s.train_config(data.name), generator=gen)
    scene = Scene.build(s, data, model)
    layers = linear_regions(scene.on_plane(model)[: 2 * (s.depth // 2)], scene.box)

    def serve(route) -> None:  # the live view's module from the package, an empty page to import it into
        if route.request.url.endswith("/liveview.js"):
            route.fulfill(body=bundle(), content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><html><body></body></html>", content_type="text/html")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("http://cells.invalid/**", serve)
        page.goto("http://cells.invalid/")
        print(f"He 11×32 after {args.steps} steps, its exact cells drawn on a {SIZE}² canvas by the page's drawCells "
              f"(median of {args.repeat}):")
        for layer in layers:
            cells = dict(n_vertices=layer.n_vertices.tolist(), vertices=layer.corners().ravel().tolist(),
                         poly_hue=hues(layer.key).tolist())
            ms = statistics.median(page.evaluate(DRAW, [cells, list(scene.box), args.repeat, SIZE]))
            per = ms / len(layer) * 1e3
            print(f"  layer {layer.layer}: {len(layer):6d} cells  {ms:7.1f} ms  {per:5.1f} µs a cell")
        browser.close()


if __name__ == "__main__":
    main()
