// Drawing only: every number comes from the library (through the host); this file turns them into pixels.
// Functions that write words or numbers take `tx`, one language's texts (texts.js: t, num).
import { power } from "./texts.js";

// class k's colour: plots/style.py's CLASS_COLORS (Okabe–Ito, colour-blind safe)

export const CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const SERIES = { z: "#1565c0", h: "#2e7d32", gz: "#ef6c00" };
const GREY = "#666", ROW = 13;  // a chart's words' colour; px per row of them above a frame
const offscreen = new WeakMap();  // target canvas -> its reused n×n OffscreenCanvas and ImageData

function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
const CLASS_RGB = CLASS_COLORS.map(rgb);

function hueRGB(h16) {  // a 16-bit pattern hue -> a pastel colour (HSL with s = 0.55, l = 0.72)
  const h = (h16 / 65536) * 6, c = 0.55 * (1 - Math.abs(2 * 0.72 - 1)), x = c * (1 - Math.abs((h % 2) - 1));
  const m = 0.72 - c / 2, k = Math.floor(h);
  const [r, g, b] = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]][k % 6];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

// A canvas draws in its layout's pixels (the width and height the page's template gave it: `size`). `scale` shows it
// k times as large in CSS pixels, its backing store k·ratio times as many pixels (ratio: device pixels per CSS
// pixel, so it stays crisp on a high-density screen, not stretched), and `clear`, which every drawing begins with,
// sets the context's transform to match: in large type its lines, points and words grow with the page's text.
const layout = new WeakMap();  // canvas -> its layout's [width, height]
export function size(cv) { return layout.get(cv) ?? [cv.width, cv.height]; }
export function scale(cv, k, ratio = 1) {
  const [w, h] = size(cv), shown = Math.round(w * k);
  layout.set(cv, [w, h]);
  cv.width = Math.round(shown * ratio); cv.height = Math.round(h * k * ratio);  // clears it
  cv.style.width = `${shown}px`;
}
export function clear(cv) {
  const ctx = cv.getContext("2d"), [w, h] = size(cv);
  ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, cv.width, cv.height);
  ctx.setTransform(cv.width / w, 0, 0, cv.height / h, 0, 0);
  return ctx;
}

// text broken into lines of at most `width` px: at its spaces, a word wider than a line at its characters
export function fit(ctx, text, width) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width <= width) { line = next; continue; }
    if (line) lines.push(line);
    line = word;
    while (line.length > 1 && ctx.measureText(line).width > width) {
      let k = line.length - 1;
      while (k > 1 && ctx.measureText(line.slice(0, k)).width > width) k--;
      lines.push(line.slice(0, k)); line = line.slice(k);
    }
  }
  if (line) lines.push(line);
  return lines;
}

// a panel that cannot be drawn: its canvas cleared, the reason written on it, wrapped to the canvas's width (in
// smaller type where the lines would run past its foot)
export function drawNote(cv, text, x = 8, y = 16) {
  const ctx = clear(cv), [w, h] = size(cv);
  let lines, px = 13;
  do { px -= 1; ctx.font = `${px}px system-ui`; lines = fit(ctx, text, w - 2 * x); }
  while (px > 8 && y + 1.25 * px * (lines.length - 1) > h - 4);
  ctx.fillStyle = GREY;
  lines.forEach((line, i) => ctx.fillText(line, x, y + 1.25 * px * i));
}

// an n×n image (rows from the bottom) scaled onto the canvas; put(i, rgba) writes pixel i's colour
function image(cv, n, put, smooth = false) {
  let o = offscreen.get(cv);
  if (!o || o.n !== n) {
    const off = new OffscreenCanvas(n, n);
    o = { n, off, ctx: off.getContext("2d"), img: new ImageData(n, n) };
    offscreen.set(cv, o);
  }
  const px = o.img.data;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) put(r * n + c, px, ((n - 1 - r) * n + c) * 4);
  o.ctx.putImageData(o.img, 0, 0);
  const ctx = clear(cv); ctx.imageSmoothingEnabled = smooth; ctx.imageSmoothingQuality = "high"; ctx.drawImage(o.off, 0, 0, ...size(cv));
  return ctx;
}

export function boxMapper(cv, box) {  // data coordinates -> canvas pixels
  const [x0, x1, y0, y1] = box, [w, h] = size(cv);
  return (x, y) => [((x - x0) / (x1 - x0)) * w, (1 - (y - y0) / (y1 - y0)) * h];
}

function dots(ctx, map, pts, labels, hollow, r = 2.6) {  // pts: Float32Array (n·2), labels: (n,)
  for (let i = 0; i < labels.length; i++) {
    const [px, py] = map(pts[2 * i], pts[2 * i + 1]);
    ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLORS[labels[i] % 8]; ctx.fill();
    ctx.strokeStyle = hollow ? "#000" : "#fff"; ctx.lineWidth = hollow ? 1 : 0.6; ctx.stroke();
  }
}

// the data points on their own layer, drawn once per run (train filled, test hollow); the drawn ones
// ([x1, x2, label]) larger, ringed in black
export function drawPoints(cv, data, drawn = []) {
  const ctx = clear(cv), map = boxMapper(cv, data.box);
  dots(ctx, map, data.train, data.train_labels, false);
  dots(ctx, map, data.test, data.test_labels, true);
  if (drawn.length) dots(ctx, map, drawn.flatMap(([x, y]) => [x, y]), drawn.map((p) => p[2]), true, 5);
}

// boundary.code: one byte per pixel, class·levels + round(p·(levels − 1))
export function drawBoundary(cv, boundary, nClasses) {
  const { code, levels, n } = boundary, base = 1 / Math.max(2, nClasses);
  image(cv, n, (i, px, o) => {
    const k = Math.floor(code[i] / levels), p = (code[i] % levels) / (levels - 1);
    const a = Math.max(0, (p - base) / (1 - base));  // 0 at a guess, 1 when sure
    const [R, G, B] = CLASS_RGB[k % 8];
    px[o] = R; px[o + 1] = G; px[o + 2] = B; px[o + 3] = 40 + 150 * a;
  }, true);  // bilinear upscaling: a smooth boundary, as the net's own output is
}

// a chart's words above its frame: items [text, colour] side by side in rows of at most `width` px, an item that
// does not fit the row begun on the next, one wider than a row broken (fit) -> rows of [text, colour, x]
function flow(ctx, items, width, gap = 10) {
  const rows = [[]];
  let x = 0;
  for (const [text, colour] of items) for (const piece of fit(ctx, text, width)) {
    const w = ctx.measureText(piece).width;
    if (x > 0 && x + w > width) { rows.push([]); x = 0; }
    rows[rows.length - 1].push([piece, colour, x]); x += w + gap;
  }
  return rows.filter((r) => r.length);
}

// a chart frame: x over [xlo, xhi], y (log10 when log) over [ylo, yhi]; `top` ([text, colour] items, a legend or
// the y axis's name) set above the frame in as many rows as it takes, the frame below them; returns the mapper
function axes(ctx, tx, { xlo, xhi, ylo, yhi, log, pad = [34, 8, 8, 18], xlabel = "", top = [] }) {
  ctx.font = "11px system-ui";
  const [L, R, T0, B] = pad, [w, h] = size(ctx.canvas), W = w - L - R, rows = flow(ctx, top, W), T = T0 + ROW * rows.length;
  const H = h - T - B, f = (v) => (log ? Math.log10(v) : v);
  const map = (x, y) => [L + ((x - xlo) / (xhi - xlo || 1)) * W, T + (1 - (f(y) - f(ylo)) / (f(yhi) - f(ylo) || 1)) * H];
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1; ctx.strokeRect(L, T, W, H);
  rows.forEach((row, i) => row.forEach(([text, colour, x]) => {
    ctx.fillStyle = colour; ctx.fillText(text, L + x, ROW * (i + 1) - 1);
  }));
  ctx.fillStyle = GREY; ctx.font = "10px system-ui";
  if (log) {
    const most = Math.min(6, Math.max(1, Math.floor(H / 14)));  // ticks: at most 6, at least 14 px apart
    const every = Math.max(1, Math.ceil((Math.log10(yhi) - Math.log10(ylo)) / most));
    for (let e = Math.ceil(Math.log10(ylo)); e <= Math.floor(Math.log10(yhi)); e += every) {
      const [, y] = map(xlo, 10 ** e); ctx.fillText(power(e), 2, y + 3);
      ctx.beginPath(); ctx.strokeStyle = "#eee"; ctx.moveTo(L, y); ctx.lineTo(L + W, y); ctx.stroke();
    }
  } else { ctx.fillText(tx.num(yhi, 2, "sig"), 2, T + 8); ctx.fillText(tx.num(ylo, 2, "sig"), 2, T + H); }
  if (xlabel) ctx.fillText(xlabel, L + (W - ctx.measureText(xlabel).width) / 2, T + H + 14);
  return { map, L, T, W, H };
}

function line(ctx, pts, color, dash = []) {
  ctx.beginPath(); ctx.setLineDash(dash); ctx.strokeStyle = color; ctx.lineWidth = 1.6;
  let up = false;
  for (const p of pts) { if (!p) { up = false; continue; } up ? ctx.lineTo(...p) : ctx.moveTo(...p); up = true; }
  ctx.stroke(); ctx.setLineDash([]);
}

const finitePos = (v) => v !== null && Number.isFinite(v) && v > 0;

// [min, max] of the finite values by a loop (a spread of a long array overflows the call stack)
export function extent(values, keep = Number.isFinite) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (keep(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

function logRange(values, floor = 1e-12) {
  let [lo, hi] = extent(values, (v) => finitePos(v) && v > floor);
  if (lo === Infinity) return [1e-3, 1e3];
  lo = 10 ** Math.floor(Math.log10(lo)); hi = 10 ** Math.ceil(Math.log10(hi));
  return lo === hi ? [lo / 10, hi * 10] : [lo, hi];
}

export function drawCurves(cv, hist, tx) {
  const ctx = clear(cv);
  if (hist.length < 1) return;
  const xhi = Math.max(1, hist[hist.length - 1].step);
  const [ylo, yhi] = logRange(hist.flatMap((r) => [r.train_loss, r.test_loss]));
  const top = [[tx.t("curves_loss"), "#1565c0"], [tx.t("curves_accuracy"), "#2e7d32"], [tx.t("curves_test"), GREY]];
  const { map, T, H } = axes(ctx, tx, { xlo: 0, xhi, ylo, yhi, log: true, xlabel: tx.t("step"), top });
  const lin = (x, y) => [map(x, yhi)[0], T + (1 - y) * H];  // accuracy 0–1 on the same frame
  const pick = (k, m) => hist.map((r) => (finitePos(r[k]) || (m === lin && Number.isFinite(r[k])) ? m(r.step, r[k]) : null));
  line(ctx, pick("train_loss", map), "#1565c0"); line(ctx, pick("test_loss", map), "#1565c0", [4, 3]);
  line(ctx, pick("train_accuracy", lin), "#2e7d32"); line(ctx, pick("test_accuracy", lin), "#2e7d32", [4, 3]);
}

export function drawStats(cv, layers, theory, marked, tx) {
  const ctx = clear(cv), n = layers.z_var.length;
  const keys = [["z", layers.z_var, theory ? theory.z_var : []], ["h", layers.h_var, theory ? theory.h_var : []],
                ["gz", layers.gz_m2, theory ? theory.gz_m2 : []]];
  const [ylo, yhi] = logRange(keys.flatMap(([, a, b]) => [...a, ...b]), 1e-30);
  const top = [[tx.t("var_z"), SERIES.z], [tx.t("var_h"), SERIES.h], [tx.t("grad_m2"), SERIES.gz]];
  const { map, L, T, W, H } = axes(ctx, tx, { xlo: 0.5, xhi: n + 0.5, ylo, yhi, log: true, xlabel: tx.t("layer"), top });
  if (marked) {
    const [x] = map(marked, ylo); ctx.fillStyle = "rgba(198,40,40,0.15)"; ctx.fillRect(x - 8, T, 16, H);
    const text = `${tx.t("layer")} ${marked}`;  // beside the band, within the frame
    ctx.fillStyle = "#c62828"; ctx.font = "bold 11px system-ui";
    const w = ctx.measureText(text).width;
    ctx.fillText(text, x + 10 + w <= L + W ? x + 10 : Math.max(L + 2, x - 10 - w), T + 28);  // below the crosses
  }
  const clamp = (v) => Math.min(Math.max(v, ylo), yhi);
  for (const [k, measured, predicted] of keys) {
    line(ctx, Array.from(predicted, (v, i) => (finitePos(v) ? map(i + 1, clamp(v)) : null)), SERIES[k], [5, 4]);
    Array.from(measured).forEach((v, i) => {
      const [x, y] = map(i + 1, finitePos(v) ? clamp(v) : yhi);
      ctx.fillStyle = finitePos(v) ? SERIES[k] : "#c62828";
      if (finitePos(v)) { ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill(); }
      else { ctx.font = "bold 12px system-ui"; ctx.fillText("×", x - 3, y + 4); }
    });
  }
}

// the share of each hidden layer's neurons never active on the training points, a bar under each hidden layer of
// the statistics above (the logits' column, which has no kink, left empty)
export function drawDead(cv, dead, tx) {
  const ctx = clear(cv), n = dead.length;
  const { map } = axes(ctx, tx, { xlo: 0.5, xhi: n + 1.5, ylo: 0, yhi: 1, log: false, pad: [34, 8, 4, 4],
                                  top: [[tx.t("dead_units"), GREY]] });
  Array.from(dead).forEach((d, i) => {
    const [x0, y0] = map(i + 0.6, d ?? 0), [x1, y1] = map(i + 1.4, 0);
    ctx.fillStyle = "#8d6e63"; ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
  });
}

export function drawBackprojection(cv, bp, labels, tx) {
  const pts = bp.points, grid = bp.grid, xs = [], ys = [];
  for (let i = 0; i < pts.length; i += 2) if (Number.isFinite(pts[i]) && Number.isFinite(pts[i + 1])) { xs.push(pts[i]); ys.push(pts[i + 1]); }
  if (!xs.length) return drawNote(cv, tx.t("no_finite"));
  const ctx = clear(cv), [x0, x1] = extent(xs), [y0, y1] = extent(ys);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, half = 0.55 * Math.max(x1 - x0, y1 - y0, 1e-9);
  const map = boxMapper(cv, [cx - half, cx + half, cy - half, cy + half]);
  const per = bp.line_points, lines = grid.length / 2 / per;
  for (let l = 0; l < lines; l++) {
    const seg = [];
    for (let p = 0; p < per; p++) {
      const i = 2 * (l * per + p);
      seg.push(Number.isFinite(grid[i]) ? map(grid[i], grid[i + 1]) : null);
    }
    line(ctx, seg, l < lines / 2 ? "rgba(120,120,120,0.55)" : "rgba(170,120,60,0.55)");
  }
  for (let i = 0; i < pts.length / 2; i++) {
    const [x, y] = map(pts[2 * i], pts[2 * i + 1]);
    ctx.fillStyle = CLASS_COLORS[labels[i] % 8]; ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
  }
}

// res.act_from_bp: each layer's residual; `projection` the view's name in the page's language
export function drawResiduals(cv, res, chosen, projection, tx) {
  const ctx = clear(cv), r = res.act_from_bp, n = r.length;
  const { map } = axes(ctx, tx, { xlo: 0.5, xhi: n + 0.5, ylo: 1e-17, yhi: 10, log: true,
                                  xlabel: tx.t("layer"), top: [[tx.t("residual_label", { projection }), GREY]] });
  Array.from(r).forEach((v, i) => {
    const [x0, y0] = map(i + 0.65, Math.max(v ?? 10, 1e-17)), [x1, y1] = map(i + 1.35, 1e-17);
    ctx.fillStyle = i + 1 === chosen ? "#1565c0" : "#90a4ae"; ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
  });
}

// exact cells: each convex polygon (vertices in order) filled in its pattern's hue, its outline stroked. The fill
// traces the polygon's fan of triangles from its first vertex, the same set as k − 2 contours of one path: Chromium
// fills a path of ONE convex contour by a shortcut that leaves most of it unfilled when its top or bottom vertex ends
// a short edge (a pixel or less), as where a layer's lines nearly meet in a point (white wedges); a path of several
// contours goes through its general scan conversion. A triangle (k = 3) with such an edge is a sliver at most as wide.
export function drawCells(cv, cells, box) {
  if (cells.exact) {
    const ctx = clear(cv), nv = cells.n_vertices, v = cells.vertices, hue = cells.poly_hue, map = boxMapper(cv, box);
    let o = 0;
    ctx.lineWidth = 0.5; ctx.strokeStyle = "rgba(0,0,0,0.45)";
    nv.forEach((k, r) => {
      const p = Array.from({ length: k }, (_, j) => map(v[2 * (o + j)], v[2 * (o + j) + 1]));  // k × [x, y] px
      ctx.beginPath();
      for (let j = 1; j + 1 < k; j++) { ctx.moveTo(...p[0]); ctx.lineTo(...p[j]); ctx.lineTo(...p[j + 1]); ctx.closePath(); }
      const [R, G, B] = hueRGB(hue[r]); ctx.fillStyle = `rgb(${R},${G},${B})`; ctx.fill();
      ctx.beginPath(); p.forEach(([x, y], j) => (j ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.closePath(); ctx.stroke();
      o += k;
    });
  } else {
    const hue = cells.hue;
    image(cv, cells.n, (i, px, o) => { const [R, G, B] = hueRGB(hue[i]); px[o] = R; px[o + 1] = G; px[o + 2] = B; px[o + 3] = 255; });
  }
}

// the mean-field q recursion (dashed) and the measured E[z²] per layer (dots)
export function drawQ(cv, mf, measured, tx) {
  const ctx = clear(cv), n = mf.q.length;
  const [ylo, yhi] = logRange([...mf.q, ...measured], 1e-30);
  const { map } = axes(ctx, tx, { xlo: 0.5, xhi: n + 0.5, ylo, yhi, log: true, xlabel: tx.t("layer"), top: [[tx.t("q_label"), GREY]] });
  line(ctx, mf.q.map((v, i) => (finitePos(v) ? map(i + 1, Math.min(v, yhi)) : null)), "#6a1b9a", [5, 4]);
  Array.from(measured).forEach((v, i) => {
    if (!finitePos(v)) return;
    const [x, y] = map(i + 1, v); ctx.fillStyle = "#6a1b9a"; ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
  });
}

// the q-map q -> q' of one layer against the diagonal: the same for the whole run
export function drawQmap(cv, mf, tx) {
  const c2 = clear(cv), [qs, qn] = mf.qmap;
  const m2 = axes(c2, tx, { xlo: -3, xhi: 3, ylo: 1e-3, yhi: 1e3, log: true, xlabel: tx.t("qmap_x"), top: [[tx.t("qmap_y"), GREY]] }).map;
  line(c2, qs.map((q) => m2(Math.log10(q), q)), "#bbb");
  line(c2, qs.map((q, i) => (finitePos(qn[i]) && qn[i] <= 1e3 && qn[i] >= 1e-3 ? m2(Math.log10(q), qn[i]) : null)), "#6a1b9a");
}

// the network as a graph: a column per layer (input, hidden…, output), one node per neuron up to `most` in a
// column, beyond it one box with the count; a hidden layer's nodes shaded by its live share (1 − dead). An edge between
// two nodes takes its weight's colour (blue positive, vermillion negative: Okabe–Ito) and a width and opacity that grow
// with |w| over the layer's largest |w|; weights[l] = {W, b} for the column l + 1 (graph.py), {} or missing: grey.
// hover = {col, unit, from}: the hovered column outlined, its node (unit) or its edge from node `from` of the column
// before drawn on top. Returns each column's x centre and node y centres (null for a bar), for the host's hit tests.
export function drawNetwork(cv, sizes, dead, hover = {}, weights = [], most = 16) {
  const ctx = clear(cv), n = sizes.length, pad = 14, [w, h] = size(cv), H = h - 2 * pad;
  const xs = sizes.map((_, i) => pad + 10 + (i * (w - 2 * pad - 20)) / Math.max(1, n - 1));
  const ys = sizes.map((k) => (k <= most ? Array.from({ length: k }, (_, j) => pad + ((j + 0.5) * H) / k) : null));
  const radius = ys.map((c, i) => (c ? Math.min(6, H / sizes[i] / 2.2) : 0));  // a node's, per column
  const edge = (i, ya, yb, color, width) => {
    ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = width; ctx.moveTo(xs[i], ya); ctx.lineTo(xs[i + 1], yb); ctx.stroke();
  };
  const weighted = (w, big) => {  // [colour, width] of an edge of weight w in a layer whose largest |w| is big
    if (!Number.isFinite(w)) return ["rgba(198,40,40,0.6)", 0.5];
    const r = big > 0 ? Math.abs(w) / big : 0, [R, G, B] = w >= 0 ? [0, 114, 178] : [213, 94, 0];
    return [`rgba(${R},${G},${B},${0.15 + 0.85 * r})`, 0.4 + 2.6 * r];
  };
  for (let i = 0; i + 1 < n; i++) {
    const a = ys[i] || [pad + H / 2], b = ys[i + 1] || [pad + H / 2], W = weights[i] && weights[i].W;
    if (!W) {  // one grey path
      ctx.beginPath(); ctx.lineWidth = 0.5; ctx.strokeStyle = "rgba(120,120,120,0.35)";
      for (const ya of a) for (const yb of b) { ctx.moveTo(xs[i], ya); ctx.lineTo(xs[i + 1], yb); }
      ctx.stroke(); continue;
    }
    const [, big] = extent(Array.from(W, Math.abs));
    b.forEach((yb, j) => a.forEach((ya, k) => edge(i, ya, yb, ...weighted(W[j * a.length + k], big))));
  }
  if (hover.from !== null && hover.from !== undefined && ys[hover.col] && ys[hover.col - 1]) {  // the hovered edge on top
    edge(hover.col - 1, ys[hover.col - 1][hover.from], ys[hover.col][hover.unit], "#000", 3.5);
    edge(hover.col - 1, ys[hover.col - 1][hover.from], ys[hover.col][hover.unit], "#F0E442", 1.5);
  }
  sizes.forEach((k, i) => {
    const live = i > 0 && i < n - 1 && dead[i - 1] !== null && dead[i - 1] !== undefined ? 1 - dead[i - 1] : 1;
    ctx.fillStyle = `rgba(21,101,192,${0.15 + 0.85 * live})`;
    if (ys[i]) ys[i].forEach((y, j) => {
      const mine = i === hover.col && j === hover.unit;
      ctx.beginPath(); ctx.arc(xs[i], y, radius[i] + (mine ? 2 : 0), 0, 2 * Math.PI); ctx.fill();
      ctx.lineWidth = mine ? 3 : i === hover.col ? 2 : 1; ctx.strokeStyle = mine ? "#000" : i === hover.col ? "#c62828" : "#fff";
      ctx.stroke();
    });
    else {
      ctx.lineWidth = i === hover.col ? 2 : 1; ctx.strokeStyle = i === hover.col ? "#c62828" : "#fff";
      ctx.fillRect(xs[i] - 8, pad, 16, H); ctx.strokeRect(xs[i] - 8, pad, 16, H);
      ctx.save(); ctx.fillStyle = "#fff"; ctx.font = "10px system-ui"; ctx.translate(xs[i] + 3, pad + H / 2 + 6);
      ctx.rotate(-Math.PI / 2); ctx.fillText(String(k), 0, 0); ctx.restore();
    }
  });
  return { xs, ys, radius };
}

// a slice's data (data.slice: through, the three indices; near, a 0/1 per point, train then test): the points near
// the plane at their plane coordinates (train filled, test hollow), the three that span it ringed in black, the
// ones clicked so far (`picked`) ringed in red
export function drawSlicePoints(cv, data, picked = []) {
  const ctx = clear(cv), map = boxMapper(cv, data.box), near = data.slice.near, pts = [[], []], labels = [[], []];
  for (let i = 0; i < near.length; i++) {
    if (!near[i]) continue;
    const [x, y, label, test] = slicePoint(data, i);
    pts[test].push(x, y); labels[test].push(label);
  }
  dots(ctx, map, pts[0], labels[0], false); dots(ctx, map, pts[1], labels[1], true);
  for (const [list, colour] of [[data.slice.through, "#000"], [picked, "#c62828"]]) {
    ctx.strokeStyle = colour; ctx.lineWidth = 2;
    for (const i of list) {
      const [x, y] = map(...slicePoint(data, i));
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.stroke();
    }
  }
}

// data point i (train, then test) of a slice: [s, t, label, 1 if a test point else 0]
export function slicePoint(data, i) {
  const n = data.train_labels.length, [pts, labels, j] = i < n ? [data.train, data.train_labels, i] : [data.test, data.test_labels, i - n];
  return [pts[2 * j], pts[2 * j + 1], labels[j], i < n ? 0 : 1];
}

// what a layer keeps of the slice's three inputs (panels.images): per input a row of images — the input x, the
// input view's x̂ (both on the inputs' grey scale, darker = larger) and x − x̂ (blue below 0, red above, symmetric)
export function drawImages(cv, bp, tx) {
  const ctx = clear(cv), [h, w] = bp.shape, n = h * w, rows = bp.inputs.length / n, top = 14, [cw, ch] = size(cv);
  const side = Math.min((cw - 8) / 3, (ch - rows * top) / rows) - 6;
  const [lo, hi] = extent(bp.inputs);
  ctx.font = "10px system-ui"; ctx.fillStyle = "#444";
  for (let r = 0; r < rows; r++) {
    const x = bp.inputs.subarray(r * n, (r + 1) * n), xhat = bp.xhat.subarray(r * n, (r + 1) * n);
    const diff = x.map((v, k) => v - xhat[k]), [dlo, dhi] = extent(diff), bound = Math.max(Math.abs(dlo), Math.abs(dhi), 1e-12);
    const grey = (v) => { const g = 255 * (1 - Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)))); return [g, g, g]; };
    const signed = (v) => { const a = Math.min(1, Math.abs(v) / bound); return v < 0 ? [255 * (1 - a), 255 * (1 - a), 255] : [255, 255 * (1 - a), 255 * (1 - a)]; };
    const y0 = r * (side + top + 6) + top;
    [[x, grey], [xhat, grey], [diff, signed]].forEach(([values, colour], c) => {
      const x0 = 4 + c * (side + 6), px = side / w;
      for (let k = 0; k < n; k++) {
        const [R, G, B] = colour(values[k]);
        ctx.fillStyle = `rgb(${R},${G},${B})`; ctx.fillRect(x0 + (k % w) * px, y0 + Math.floor(k / w) * px, px + 0.5, px + 0.5);
      }
      ctx.strokeStyle = "#ccc"; ctx.strokeRect(x0, y0, side, side);
    });
    ctx.fillStyle = "#444";
    ctx.fillText(tx.t("images_row", { index: bp.indices[r], residual: tx.num(bp.residual[r], 2, "sig") }), 4, y0 - 3);
  }
}
