"""The exact cells panel covers its whole canvas: the polygons of the chosen layer tile the input box (their areas sum
to the box's), so no pixel of the drawing may show the page behind it — in particular after the first training steps,
when the first layer's lines nearly meet in one point and the cells there have sub-pixel edges (1024×768)."""

import pytest
from conftest import COUNT_DRAWS
from conftest import LIVE_VIEW as HOOK

pytestmark = pytest.mark.browser

# the cells canvas against the cells it was drawn from: the cells' total area over the box's, the canvas pixels that
# are less than half opaque, and the cells with a pixel that lies a pixel or more inside all of its edges and is not
# opaque (each cell's edges oriented by the sign of its area, in canvas pixels)
COVERAGE = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const S = HOOK, c = S.geo.cells[1], [x0, x1, y0, y1] = S.data.box;
  const cv = document.querySelector('[data-id=c-cells]'), W = cv.width, H = cv.height;
  const px = cv.getContext('2d').getImageData(0, 0, W, H).data;
  const map = (x, y) => [((x - x0) / (x1 - x0)) * W, (1 - (y - y0) / (y1 - y0)) * H];
  let clear = 0, total = 0, o = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] < 128) clear += 1;
  const holed = [];
  Array.from(c.n_vertices).forEach((k, r) => {
    const p = Array.from({length: k}, (_, j) => map(c.vertices[2 * (o + j)], c.vertices[2 * (o + j) + 1]));
    o += k;
    let a = 0;
    p.forEach(([x, y], j) => { const [u, v] = p[(j + 1) % k]; a += x * v - u * y; });
    total += Math.abs(a) / 2;
    const inside = (x, y) => p.every(([ax, ay], j) => {
      const [bx, by] = p[(j + 1) % k], len = Math.hypot(bx - ax, by - ay);
      return len === 0 || Math.sign(a) * ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / len >= 1;
    });
    const xs = p.map((q) => q[0]), ys = p.map((q) => q[1]);
    for (let y = Math.max(0, Math.floor(Math.min(...ys))); y < Math.min(H, Math.ceil(Math.max(...ys))); y++)
      for (let x = Math.max(0, Math.floor(Math.min(...xs))); x < Math.min(W, Math.ceil(Math.max(...xs))); x++)
        if (inside(x + 0.5, y + 0.5) && px[4 * (y * W + x) + 3] < 255) { holed.push(r); return; }
  });
  return {step: S.step, count: c.count, exact: c.exact, area: total / (W * H), clear, holed};
}""".replace("HOOK", HOOK)


def test_exact_cells_leave_no_pixel_of_the_canvas_unpainted(live_page):
    page = live_page("", size=(1024, 768))  # spirals, depth 3, width 16, He, seed 0
    page.wait_for_function(f"{HOOK}.geo.cells[1]?.exact")
    seen = []
    for step in range(3):
        if step:
            page.evaluate(f"window.__cells = {HOOK}.geo.cells[1]")
            page.click("[data-id=stepbtn]")
            page.wait_for_function(f"{HOOK}.step >= {step} && {HOOK}.geo.cells[1] !== window.__cells "
                                   f"&& {HOOK}.geo.cells[1].exact")
        got = page.evaluate(COVERAGE)
        assert got["exact"] and got["area"] == pytest.approx(1, abs=1e-6), got
        assert got["clear"] == 0 and got["holed"] == [], got
        seen.append(got["count"])
    assert seen[0] < seen[1], seen  # at step 0 all lines pass through the origin; after a step they no longer do


# whether each cell's colour at a pixel well inside it is the colour of its pattern (draw.js's hueRGB, restated)
SHOWS_THE_LAST_CELLS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const S = HOOK, c = S.geo.cells[S.view.layer], [x0, x1, y0, y1] = S.data.box;
  const cv = document.querySelector('[data-id=c-cells]'), W = cv.width, H = cv.height;
  const px = cv.getContext('2d').getImageData(0, 0, W, H).data;
  const rgb = (h16) => { const h = (h16 / 65536) * 6, k = Math.floor(h), C = 0.55 * (1 - Math.abs(2 * 0.72 - 1));
    const X = C * (1 - Math.abs((h % 2) - 1)), m = 0.72 - C / 2;
    return [[C, X, 0], [X, C, 0], [0, C, X], [0, X, C], [X, 0, C], [C, 0, X]][k % 6].map((v) => (v + m) * 255); };
  let o = 0, checked = 0, wrong = 0;
  Array.from(c.n_vertices).forEach((k, r) => {
    const p = Array.from({length: k}, (_, j) => [((c.vertices[2 * (o + j)] - x0) / (x1 - x0)) * W,
                                                 (1 - (c.vertices[2 * (o + j) + 1] - y0) / (y1 - y0)) * H]);
    o += k;
    const x = p.reduce((s, q) => s + q[0], 0) / k, y = p.reduce((s, q) => s + q[1], 0) / k;  // inside: convex
    const near = p.some(([ax, ay], j) => { const [bx, by] = p[(j + 1) % k], len = Math.hypot(bx - ax, by - ay);
      return len === 0 || Math.abs((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / len < 3; });
    if (near || x < 0 || y < 0 || x >= W || y >= H) return;  // too thin to hold a pixel of its own colour
    const i = 4 * (Math.floor(y) * W + Math.floor(x)), want = rgb(c.poly_hue[r]);
    checked += 1;
    if (want.some((v, j) => Math.abs(v - px[i + j]) > 3)) wrong += 1;
  });
  return {checked, wrong, cells: window.__draws['c-cells']};
}""".replace("HOOK", HOOK)


# counts the chosen layer's cells as they arrive (``store`` assigns each new cells object once) and returns the
# frames and the cells' draws so far, in one task after two animation frames: every earlier arrival is painted but
# one that came in the last frame, whose paint may follow
COUNT_ARRIVALS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const S = HOOK, layer = String(S.view.layer); window.__cellsIn = 0;
  S.geo.cells = new Proxy(S.geo.cells, {
    set(o, k, v) { if (k === layer) window.__cellsIn += 1; o[k] = v; return true; }});
  return {frames: S.frames, cells: window.__draws['c-cells']}; }""".replace("HOOK", HOOK)


def test_the_cells_are_drawn_when_new_cells_come_not_with_every_frame(live_page):
    page = live_page("layer=2", size=(1024, 768), init_script=COUNT_DRAWS)
    page.wait_for_function(f"{HOOK}.geo.cells[2]?.exact")
    before = page.evaluate(SHOWS_THE_LAST_CELLS)
    start = page.evaluate(COUNT_ARRIVALS)
    page.click("[data-id=play]")
    page.wait_for_function(f"{HOOK}.frames >= 60")
    page.click("[data-id=play]")
    page.wait_for_function(f"!{HOOK}.playing")
    page.wait_for_timeout(500)  # the resting frame and its cells
    after = page.evaluate(SHOWS_THE_LAST_CELLS)
    frames = page.evaluate(f"{HOOK}.frames") - start["frames"]
    arrived = page.evaluate("window.__cellsIn")
    assert before["checked"] > 5 and before["wrong"] == 0, before
    assert after["checked"] > 5 and after["wrong"] == 0, after  # the canvas shows the cells received last
    drawn = after["cells"] - start["cells"]
    assert 0 < drawn <= arrived + 1 and arrived < frames, (drawn, arrived, frames)  # once per new cells (and the
    # one that may have been on its way), and they come more rarely than frames
