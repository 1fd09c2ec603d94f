// The live view: anywidget's front-end interface, render({ model, el }) -> cleanup. The same module runs in the
// page (page.js: a model over the WebSocket) and in a notebook (anywidget: a model over the Jupyter comm).
//
// Synced state (traits): mode ("playground" | "watch"), lang ("en" | "de"; null: the browser's), lesson (an
// exercise: {hide: [control], lock: [control], view: panel, task: text, question: text}, or null), projector
// (large type), schema (the settings' types), settings, request (the
// number of the latest settings request), view ({layer, projection}), playing, and data (the run's points,
// once per run). Messages: frame, panels, geometry, status, saved, export, runs, loaded, error, busy from the host;
// control, save, export, runs, load, upload to it. Every panel draws from data already received, on
// requestAnimationFrame, so choosing a layer or a view answers at once even while the host is busy.
import { chooseLanguage, texts } from "./texts.js";
import { decode } from "./codec.js";
import { boxMapper, clear, drawBackprojection, drawBoundary, drawCells, drawCurves, drawDead, drawImages, drawNote,
         drawNetwork, drawPoints, drawQ, drawQmap, drawResiduals, drawSlicePoints, drawStats, extent, scale, size, slicePoint } from "./draw.js";

export const MAX_UPLOAD = 1_000_000;  // bytes, as serve/messages.py's MAX_UPLOAD
const MAX_HIST = 2000;  // curve points kept; beyond, every other older one is dropped

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function template({ t }) {
  const T = (k) => esc(t(k));
  const num = (k, attrs = "", text = k) => `<label>${T(text)} <input data-id="s-${k}" type="number" ${attrs}></label>`;
  // a decimal number in the page's language (0,01 or 0.01): a text field, as a number field takes the browser's
  const dec = (k, attrs = "") => `<label>${T(k)} <input data-id="s-${k}" type="text" inputmode="decimal" ${attrs}></label>`;
  const range = (k, attrs = "") => `<label>${T(k)} <output data-id="o-${k}"></output><input data-id="s-${k}" type="range" ${attrs}></label>`;
  const sel = (k, text = k) => `<label>${T(text)} <select data-id="s-${k}"></select></label>`;
  const canvas = (id, w, h, attrs = "") =>  // "loading…" until its panel first arrives and says what it shows
    `<canvas data-id="c-${id}" width="${w}" height="${h}" role="img" aria-label="${T("loading")}" ${attrs}></canvas>`;
  return `<div class="reluscope">
<header>
  <h1>${T("title")} <span data-id="subtitle"></span></h1>
  <div class="transport" data-for="playground">
    <button data-id="reset" aria-label="${T("reset")}" title="${T("reset")}">&#x27F2;</button>
    <button data-id="play" class="play" aria-label="${T("play")}" aria-pressed="false" title="${T("play")}">&#x25B6;</button>
    <button data-id="stepbtn" aria-label="${T("step_once")}" title="${T("step_once")}">+1</button>
  </div>
  <span class="counter">${T("step")} <b data-id="step">0</b> <span data-id="playstate" class="playstate"></span></span>
  <div data-id="status" class="status" role="status"></div>
  <label data-for="playground">${T("preset")} <select data-id="preset"><option value="">—</option></select></label>
  <button data-id="save" data-for="playground" title="${T("save_title")}">${T("save")}</button>
  <span class="group" data-for="playground" data-control="export" role="group" aria-label="${T("weights_label")}">${T("weights")}
    <button data-id="export-json" aria-label="${T("export_json_label")}" title="${T("export_json_label")}">${T("export_json")}</button>
    <button data-id="export-pt" aria-label="${T("export_pt_label")}" title="${T("export_pt_label")}">${T("export_pt")}</button></span>
  <span class="group" data-for="playground" data-control="load"><label>${T("load_run")} <select data-id="runs" disabled><option value="">${T("no_runs")}</option></select></label>
    <button data-id="load" title="${T("load_title")}" disabled>${T("load")}</button></span>
  <span data-id="saved" class="saved" role="status"></span>
  <button data-id="copylink">${T("copy_link")}</button>
  <button data-id="projector" aria-pressed="false">${T("projector")}</button>
  <input data-id="link" class="link" readonly aria-label="${T("link_label")}" hidden>
</header>
<div data-id="task" class="task" role="note" hidden><b>${T("task")}:</b> <span data-id="task-text"></span>
  <em data-id="question"></em></div>
<div data-id="errors" class="errors" aria-live="polite"></div>
<div data-id="busy" class="busy" hidden></div>
<div class="main">
  <aside data-for="playground">
    <fieldset><legend>${T("data")}</legend>
      ${sel("dataset")}${dec("noise", `placeholder="${T("noise_default")}"`)}${num("n_samples", 'step="100"', "points")}
      <div class="drop" data-id="drop">${T("drop")} <button type="button" data-id="choose">${T("choose_file")}</button>
        <input data-id="upload" type="file" accept=".csv,text/csv" class="offscreen" tabindex="-1" aria-hidden="true"></div>
      <div data-need="through" data-id="slicing" hidden><button data-id="auto">${T("auto_plane")}</button>
        <p class="hint">${T("slice_hint")}</p></div>
      <div data-need="points" data-id="drawing" class="drawing" hidden><label>${T("draw_class")} <select data-id="draw-class"></select></label>
        <button data-id="clear">${T("clear")}</button><p class="hint">${T("draw_hint")}</p></div>
    </fieldset>
    <fieldset><legend>${T("network")}</legend>${range("depth")}${range("width")}
      <label data-need="widths" hidden>${T("widths")} <input data-id="s-widths" type="text" inputmode="numeric" placeholder="8,8,4"></label>
      ${sel("activation")}</fieldset>
    <fieldset><legend>${T("initialisation")}</legend>
      ${sel("init", "scheme")}${range("sigma_w2", 'step="0.01"')}${range("sigma_b2", 'step="0.01"')}
      <p class="hint">${T("meanfield_hint")}</p>
    </fieldset>
    <fieldset><legend>${T("training")}</legend>
      ${sel("optimizer")}${dec("lr")}${num("batch_size", `placeholder="${T("full_batch")}"`)}${num("steps")}${num("seed")}
    </fieldset>
  </aside>
  <section data-panel="boundary"><h2>${T("boundary")} <small data-id="dataname"></small></h2>
    <div class="stack">${canvas("boundary", 320, 320)}<canvas data-id="c-points" width="320" height="320" aria-hidden="true"></canvas></div>
    <p class="about">${T("boundary_about")}</p>
    <p data-id="slice-note" class="note" hidden></p>
    ${canvas("curves", 320, 150)}
    <p data-id="scores" class="numbers"></p>
  </section>
  <section data-panel="task1"><h2>${T("task1")} <small>${T("task1_legend")}</small></h2>
    <p class="about">${T("task1_about")}</p>
    ${canvas("stats", 320, 200)}${canvas("dead", 320, 64)}
    <p data-id="means" class="numbers"></p>
    <p data-id="theory-note" class="note"></p>
  </section>
  <section data-panel="task2"><h2>${T("task2")}
      <label>${T("layer")} <select data-id="v-layer"></select></label>
      <label>${T("view")} <select data-id="v-projection"></select></label></h2>
    <p class="about">${T("task2_about")}</p>
    ${canvas("bp", 320, 320)}${canvas("residual", 320, 110)}
    <p data-id="bp-note" class="note"></p>
  </section>
  <section data-panel="network" data-for="playground"><h2>${T("net")}</h2>
    <p class="about">${T("net_about")}</p>
    ${canvas("net", 320, 160, 'tabindex="0"')}
    <p data-id="net-note" class="numbers" aria-live="polite"></p>
  </section>
  <section data-panel="cells"><h2>${T("cells")} <small data-id="cells-count"></small></h2>
    <p class="about">${T("cells_about")}</p>
    ${canvas("cells", 320, 320)}
    <p data-id="cells-note" class="note"></p>
  </section>
  <section data-panel="meanfield" data-for="playground"><h2>${T("meanfield")} <small data-id="mf-text"></small></h2>
    <p class="about">${T("meanfield_about")}</p>
    ${canvas("q", 320, 200)}${canvas("qmap", 200, 200)}
  </section>
</div>
</div>`;
}

// a control's text -> the setting's JSON value, by the schema's type (never guessed from the default); a list is
// its items split at commas ("8,8,4"), a list of points its numbers taken three at a time (x1, x2, label)
export function typed(field, text) {
  if (text === "" && field.nullable) return null;
  if (field.type === "float") return Number(text.trim().replace(",", "."));  // either decimal sign
  if (field.type === "list") {
    const nums = text.split(/[\s,]+/).filter(Boolean).map(Number);
    return field.items === "point" ? Array.from({ length: Math.floor(nums.length / 3) }, (_, i) => nums.slice(3 * i, 3 * i + 3)) : nums;
  }
  return field.type === "str" ? text : Number(text);
}

// the distance from point (x, y) to the segment (x0, y0)–(x1, y1)
function segmentDistance(x, y, x0, y0, x1, y1) {
  const dx = x1 - x0, dy = y1 - y0, u = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - x0 - u * dx, y - y0 - u * dy);
}

function render({ model, el }) {
  const tx = texts(chooseLanguage(model.get("lang"))), { t, num } = tx;
  el.innerHTML = template(tx);
  const root = el.querySelector(".reluscope"), $ = (id) => root.querySelector(`[data-id="${CSS.escape(id)}"]`);
  const state = { painted: {}, drawn: [...(model.get("settings")?.points || [])], picked: [], data: null, run: 0, hist: [], frames: 0, step: 0, playing: false, marked: null, last: null,
                  theory: null, geo: null, settings: null, view: { ...model.get("view") }, status: "", raf: 0, canvasType: 1, pixelRatio: 1 };
  root.reluscope = state;  // read by the end-to-end tests
  const cleanups = [];
  const on = (target, type, fn) => { target.addEventListener(type, fn); cleanups.push(() => target.removeEventListener(type, fn)); };
  const listen = (name, fn) => { model.on(name, fn); cleanups.push(() => model.off(name, fn)); };
  const schema = () => model.get("schema") || {};
  const mode = () => model.get("mode");

  function showError(text) {
    const div = document.createElement("div"); div.textContent = text; $("errors").append(div);
    const timer = setTimeout(() => div.remove(), 6000); cleanups.push(() => clearTimeout(timer));
    while ($("errors").children.length > 3) $("errors").firstChild.remove();
  }
  // a host's notice in this page's language: {key, values} of the catalog (serve/notice.py), a value named `setting`
  // a control's label, a fraction written with the page's decimal mark; a plain text as it came
  function said(n) {
    if (!n || typeof n === "string") return n ?? "";
    const values = {};
    for (const [k, v] of Object.entries(n.values || {})) {
      values[k] = k === "setting" && tx.has(v) ? t(v) : typeof v === "number" && !Number.isInteger(v) ? num(v, 4, "sig") : v;
    }
    return t(n.key, values);
  }
  function setStatus(text, cls) { $("status").textContent = text; $("status").className = "status " + cls; }

  // ---- controls
  function buildControls() {
    const fields = schema().fields || {};
    for (const [key, f] of Object.entries(fields)) {
      const input = $("s-" + key); if (!input) continue;
      if (f.choices) input.replaceChildren(...f.choices.map((v) => new Option(key === "dataset" ? datasetName(v) : v, v)));
      if (f.bounds) { input.min = f.bounds[0]; input.max = f.bounds[1]; }
    }
    $("v-projection").replaceChildren(...(schema().views || []).map((v) => new Option(tx.view(v), v)));
    const menu = exercises().map((e) => new Option(e.title, e.id));
    $("preset")?.replaceChildren(new Option("—", ""), ...menu);
  }
  function datasetName(v, data) {
    return v === "csv" ? t("uploaded_csv") : v === "drawn" ? t("drawn_plane")
      : v === "watched" ? t("watched_data", { d: data.dim }) : tx.dataset(v);
  }
  function setControls(settings) {  // the field being typed in keeps its text: its next change sends it
    for (const [k, v] of Object.entries(settings)) {
      const input = $("s-" + k); if (!input || input.matches("[type=text]:focus, [type=number]:focus")) continue;
      input.value = v === null ? "" : Array.isArray(v) ? v.join(",") : input.inputMode === "decimal" ? tx.plain(v) : v;
      if ($("o-" + k)) $("o-" + k).textContent = typeof v === "number" ? tx.plain(v) : v;  // the language's comma
    }
  }
  function setLayerOptions(depth) {
    const sel = $("v-layer"), layer = Math.min(state.view.layer, depth);
    if (sel.options.length !== depth) sel.replaceChildren(...Array.from({ length: depth }, (_, i) => new Option(String(i + 1), String(i + 1))));
    sel.value = String(layer); $("v-projection").value = state.view.projection;
  }
  function readControls() {  // a hidden control (not in the page) keeps the run's value; the drawn points are the view's
    const out = {}, now = state.settings || model.get("settings") || {};
    for (const [k, f] of Object.entries(schema().fields || {})) out[k] = $("s-" + k) ? typed(f, $("s-" + k).value) : now[k] ?? f.default;
    if ("points" in out) out.points = state.drawn;
    return out;
  }
  // ---- the class's own points: a click on the plane adds one of the chosen class, shift- or right-click removes
  // the nearest drawn one, "clear" removes them all; on the empty plane ("drawn") they are all its points
  function planePoint(e) {  // a pointer event on the boundary -> [x1, x2] in the data's plane, rounded for the link
    const r = $("c-points").getBoundingClientRect(), [x0, x1, y0, y1] = state.data.box;
    const round = (v) => Math.round(v * 1000) / 1000;
    return [round(x0 + ((e.clientX - r.left) / r.width) * (x1 - x0)), round(y1 - ((e.clientY - r.top) / r.height) * (y1 - y0))];
  }
  function editPoints(e) {
    if (state.data?.slice) return pickPoint(e);
    const field = (schema().fields || {}).points;
    if (!field || !state.data || (e.button !== 0 && e.button !== 2)) return;
    e.preventDefault();
    const [x, y] = planePoint(e), drawn = [...state.drawn];
    if (e.shiftKey || e.button === 2) {
      if (!drawn.length) return;
      const d = drawn.map(([px, py]) => (px - x) ** 2 + (py - y) ** 2);
      drawn.splice(d.indexOf(Math.min(...d)), 1);
    } else {
      if (drawn.length >= (field.length ? field.length[1] : 200)) return showError(t("too_many_points", { n: drawn.length }));
      drawn.push([x, y, Number($("draw-class").value)]);
    }
    setDrawn(drawn);
  }
  // a slice: a click picks the data point drawn nearest to it (within 10 px); the third pick asks for the plane
  // through the three, the next click starts over
  function pickPoint(e) {
    const data = state.data, r = $("c-points").getBoundingClientRect(), cv = $("c-points"), map = boxMapper(cv, data.box);
    if (mode() === "watch" || e.button !== 0) return;
    const [w, h] = size(cv), x = ((e.clientX - r.left) / r.width) * w, y = ((e.clientY - r.top) / r.height) * h;
    let best = -1, dist = 10 ** 2;
    data.slice.near.forEach((near, i) => {
      if (!near) return;
      const [px, py] = map(...slicePoint(data, i)), d = (px - x) ** 2 + (py - y) ** 2;
      if (d < dist) { best = i; dist = d; }
    });
    if (best < 0 || state.picked.includes(best)) return;
    state.picked = [...state.picked, best];
    drawSlicePoints(cv, data, state.picked);
    if (state.picked.length === 3) setPlane(state.picked.join(","));
  }
  function setPlane(through) {
    state.picked = [];
    requestSettings({ ...readControls(), through });
  }
  function setDrawn(drawn) {
    state.drawn = drawn; drawPoints($("c-points"), state.data, drawn);
    requestSettings(readControls());
  }
  function requestSettings(settings) {  // a new run; the host's data echoes this request's number
    state.settings = settings;
    model.set("request", (model.get("request") || 0) + 1);
    model.set("settings", settings);
    model.save_changes();
  }
  function requestView(view) {
    state.view = view; setLayerOptions(state.data ? state.data.depth : view.layer);
    model.set("view", view); model.save_changes(); schedule();
  }
  function settingsChanged() {  // another data set starts on its own auto plane
    const settings = readControls(), now = state.settings || model.get("settings") || {};
    if ("through" in settings && settings.dataset !== now.dataset) settings.through = "auto";
    requestSettings(settings);
  }
  function viewChanged() { requestView({ layer: Number($("v-layer").value), projection: $("v-projection").value }); }
  // the menu's exercises: the host's (the sheet's, in the page's language: {id, title, task, question, settings,
  // hide, lock, view})
  function exercises() { return schema().exercises || []; }
  function applyPreset(name) {
    const ex = exercises().find((e) => e.id === name);
    if (!ex) return;
    const defaults = Object.fromEntries(Object.entries(schema().fields).map(([k, f]) => [k, f.default]));
    const settings = { ...defaults, ...ex.settings }, { panel, layer, projection } = ex.view;
    setControls(settings); requestSettings(settings);
    requestView({ layer, projection });
    showTask({ task: ex.task, question: ex.question, view: panel });
  }
  // the weights as the host sent them (json or pt): a download of the file it named
  function download({ file, name, format }) {
    const url = URL.createObjectURL(new Blob([file], { type: format === "json" ? "application/json" : "application/octet-stream" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: name, hidden: true });
    root.append(a); a.click(); a.remove();
    const timer = setTimeout(() => URL.revokeObjectURL(url), 60_000); cleanups.push(() => clearTimeout(timer));
    $("saved").textContent = t("exported", { name });
  }
  // the host's saved runs, newest first, in the load menu (the newest chosen; none: disabled); an exercise that
  // hides or locks anything has no load menu
  function setRuns(names) {
    const menu = $("runs"); if (!menu) return;
    menu.replaceChildren(...(names.length ? names.map((n) => new Option(n, n)) : [new Option(t("no_runs"), "")]));
    menu.disabled = $("load").disabled = !names.length;
  }
  function loadRun() {
    if (!$("runs").value) return;
    $("saved").textContent = t("loading");
    model.send({ type: "load", run: $("runs").value });
  }
  async function upload(file) {
    if (!file) return;
    if (file.size > MAX_UPLOAD) return showError(t("too_large", { name: file.name, mb: MAX_UPLOAD / 1e6 }));
    model.send({ type: "upload", name: file.name }, undefined, [await file.arrayBuffer()]);
  }

  // ---- synced state from the host
  function onSchema() {
    buildControls();
    const fields = schema().fields || {};
    for (const node of root.querySelectorAll("[data-need]")) node.hidden = !(node.dataset.need in fields);
    if (fields.points) {
      const [lo, hi] = fields.points.labels || [0, 1];
      $("draw-class").replaceChildren(...Array.from({ length: Math.min(hi, 7) - lo + 1 }, (_, i) => new Option(t("class_n", { n: lo + i }), String(lo + i))));
    }
    if (model.get("settings")) setControls(model.get("settings"));
    if (mode() === "playground" && Object.keys(fields).length) model.send({ type: "runs" });  // the load menu's
  }
  function onData() {
    const raw = model.get("data"); if (!raw) return;
    const data = decode(raw);
    state.data = data; state.run = data.run; state.hist = []; state.marked = null; state.step = 0; state.last = null;
    state.painted = {};  // a new run's first paint draws every canvas
    state.netUnit = state.netFrom = null;  // the graph's hovered neuron or edge may not exist in the new run
    state.theory = null; state.geo = { bp: {}, res: {}, cells: {} };
    if (data.settings && data.tag === model.get("request")) {
      state.settings = data.settings; setControls(data.settings);
      state.drawn = data.settings.points ?? model.get("settings")?.points ?? state.drawn;
    }
    setLayerOptions(data.depth);
    const name = datasetName(data.name, data);
    $("dataname").textContent = mode() === "watch" ? t("dataname_watch", { name, train: data.train_labels.length })
      : t("dataname", { name, train: data.train_labels.length, test: data.test_labels.length });
    setStatus("", "");
    state.picked = [];
    paintPoints(data);
    showSlice(data);
    const mf = data.meanfield;
    if (mf) $("mf-text").textContent = t("mf_text", { sw: num(mf.sigma_w2), source: said(mf.source), sb: num(mf.sigma_b2),
      chi: num(mf.chi1), scale: mf.depth_scale === null ? "∞" : num(mf.depth_scale, 1) });
    schedule();
  }
  function paintPoints(data) {  // the points' layer, drawn once per run (and when the canvases change size)
    if (data.off && data.off.boundary) clear($("c-points"));
    else if (data.slice) drawSlicePoints($("c-points"), data, state.picked);
    else drawPoints($("c-points"), data, state.drawn);
    if (!data.train_labels.length) clear($("c-boundary"));  // the empty plane waits for its points
  }
  function showSlice(data) {  // a slice: its caption, the plane's button in place of the drawing
    const cut = data.slice, fields = schema().fields || {};
    $("slice-note").hidden = !cut; $("slicing").hidden = !cut || !("through" in fields);
    $("drawing").hidden = !!cut || !("points" in fields);
    if (cut) $("slice-note").textContent = t("slice_note", { i: cut.through[0], j: cut.through[1], k: cut.through[2], n: cut.dim,
      near: cut.near.reduce((a, b) => a + b, 0) });
  }
  function onPlaying() {
    state.playing = !!model.get("playing");
    $("play").innerHTML = state.playing ? "&#x275A;&#x275A;" : "&#x25B6;";
    $("play").setAttribute("aria-pressed", String(state.playing));
    $("play").setAttribute("aria-label", t(state.playing ? "pause" : "play"));
    $("play").title = t(state.playing ? "pause" : "play");
    $("playstate").textContent = mode() === "watch" ? "" : t(state.playing ? "playing" : "paused");
    $("playstate").className = "playstate" + (state.playing ? " on" : "");
  }
  // an exercise: its hidden controls leave the page, its locked ones stay in view but disabled; a menu or a drop
  // that could change them goes with them (the exercises, a saved run's settings). Besides the settings and the
  // view, "export" and "load" name the weights' buttons and the load menu.
  function control(key) {
    const input = $("s-" + key) || $("v-" + key);
    return input ? input.closest("label") || input : root.querySelector(`[data-control="${CSS.escape(key)}"]`);  // a link's key: any text
  }
  function onLesson() {
    const lesson = model.get("lesson") || {}, hide = lesson.hide || [], lock = lesson.lock || [];
    for (const key of hide) {  // a view's selector stays (its value is read), hidden and disabled
      if ($("v-" + key)) { $("v-" + key).disabled = true; control(key).hidden = true; } else control(key)?.remove();
    }
    for (const key of lock) {
      const box = control(key); if (!box) continue;
      for (const input of box.matches("input, select, button") ? [box] : box.querySelectorAll("input, select, button")) input.disabled = true;
      box.classList.add("locked");
    }
    if (hide.length || lock.length) { $("preset")?.closest("label").remove(); control("load")?.remove(); }
    if ([...hide, ...lock].some((k) => k === "dataset" || k === "n_samples" || k === "noise")) $("drop")?.remove();
    showTask(lesson);
  }
  function showTask(lesson) {  // the exercise's task and question above the panels, its panel marked
    const text = lesson.task || "", question = lesson.question || "";
    $("task").hidden = !text && !question; $("task-text").textContent = text; $("question").textContent = question;
    for (const node of root.querySelectorAll("[data-panel]")) node.classList.toggle("chosen", node.dataset.panel === lesson.view);
    const chosen = root.querySelector(`[data-panel="${lesson.view}"]`);
    if (chosen) chosen.scrollIntoView({ block: "nearest" });
  }
  async function copyLink() {  // the host's link to this state: to the clipboard, and shown to copy by hand
    const url = model.link(), field = $("link");
    field.value = url; field.hidden = false; field.select();
    try { await navigator.clipboard.writeText(url); $("saved").textContent = t("link_copied"); } catch { /* the field shows it */ }
  }
  // large type for a room: a toggle the host keeps (the page: in its link). The canvases grow by the style's
  // --canvas-type with it, so their words keep up with the text's.
  function onProjector() {
    const big = !!model.get("projector");
    root.classList.toggle("projector", big); $("projector").setAttribute("aria-pressed", String(big));
    fitCanvases();
  }
  // every canvas at the page's type and with a backing pixel per device pixel (draw.js: scale), drawn anew when
  // either changes: large type, or a change of devicePixelRatio that a media query reports
  function fitCanvases() {
    const k = Number(getComputedStyle(root).getPropertyValue("--canvas-type")) || 1, ratio = window.devicePixelRatio || 1;
    if (k === state.canvasType && ratio === state.pixelRatio) return;
    Object.assign(state, { canvasType: k, pixelRatio: ratio, painted: {} });
    for (const cv of root.querySelectorAll("canvas")) scale(cv, k, ratio);
    if (state.data) paintPoints(state.data);
    schedule();
  }
  function onDensity() {  // a media query of the present density tells when it changes; then one of the new one
    const query = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    const changed = () => { query.removeEventListener("change", changed); fitCanvases(); onDensity(); };
    on(query, "change", changed);
  }
  function onMode() {
    const watch = mode() === "watch";
    for (const node of root.querySelectorAll('[data-for="playground"]')) node.hidden = watch;
    $("subtitle").textContent = t(watch ? "subtitle_watch" : "subtitle_playground");
  }

  // ---- messages from the host
  function store(geo, f) {  // keep each view's latest arrays: a later choice is drawn from them at once
    const bp = f.backprojection;
    if (bp) (geo.bp[bp.projection] ??= {})[bp.layer] = bp;
    for (const b of f.backprojections || []) (geo.bp[b.projection] ??= {})[b.layer] = b;
    if (f.residuals) geo.res[f.residuals.projection ?? f.projection] = f.residuals;
    if (f.cells && !Array.isArray(f.cells)) geo.cells[f.cells.layer] = f.cells;
    for (const c of Array.isArray(f.cells) ? f.cells : []) geo.cells[c.layer] = c;
  }
  function onMessage(content, buffers) {
    const msg = decode(content, buffers || []);
    if (msg.type === "frame" || msg.type === "panels" || msg.type === "geometry") {
      if (msg.run !== state.run || !state.data) return;
      if (msg.type === "frame") onFrame(msg);
      else if (state.last) Object.assign(state.last, msg);
      if (msg.theory) state.theory = msg.theory;
      store(state.geo, msg);
      schedule();
    } else if (msg.type === "status") {
      if (msg.run !== state.run) return;
      const sentence = msg.key ? said(msg) : msg.sentences[tx.lang], how = msg.metrics.status;
      state.marked = msg.layer; state.status = sentence;
      setStatus(sentence, how === "ok" ? "good" : how === "waiting" ? "" : "bad");
      schedule();
    } else if (msg.type === "saved") {
      $("saved").textContent = t("saved", { step: msg.step, path: msg.path });
    } else if (msg.type === "export") {
      download(msg);
    } else if (msg.type === "runs") {
      setRuns(msg.runs);
    } else if (msg.type === "loaded") {
      $("saved").textContent = t("loaded", { name: msg.name, step: msg.step });
    } else if (msg.type === "busy") {
      $("busy").hidden = false; $("busy").textContent = said(msg.key ? msg : msg.message);
    } else if (msg.type === "error") {
      const text = said(msg.key ? msg : msg.message);
      showError(text);
      if (msg.fatal) { $("busy").hidden = false; $("busy").textContent = text; root.classList.add("offline"); }
    }
  }
  function onFrame(f) {
    state.frames += 1; state.step = f.step;
    state.last = { ...state.last, ...f };  // a frame without the slow panels keeps the last ones drawn
    setText("step", String(f.step));
    const s = f.scores, h = state.hist;
    if (!h.length || h[h.length - 1].step < f.step) {
      h.push({ step: f.step, ...s });
      if (h.length > MAX_HIST) state.hist = h.filter((_, i) => i % 2 === 0 || i >= h.length - MAX_HIST / 2);
    }
    const fmt = (v) => num(v);
    setText("scores", mode() === "watch" ? t("scores_watch", { tl: fmt(s.train_loss), ta: fmt(s.train_accuracy) })
      : t("scores", { tl: fmt(s.train_loss), sl: fmt(s.test_loss), ta: fmt(s.train_accuracy), sa: fmt(s.test_accuracy) }));
  }

  // ---- drawing: the latest state, once per animation frame. A canvas is drawn again only when what it shows
  // changed, a text or a label set only when it reads otherwise: a frame brings new scores, statistics, boundary and
  // back-projection, the slow panels (twelve a second) the theory, cells, residuals and weights, and each of the two
  // repaints only its own canvases; the q-map stays for the run. Browsers redraw, re-rasterise and recomposite every
  // canvas and text written to, even with the same content.
  function schedule() { if (!state.raf) state.raf = requestAnimationFrame(paint); }
  function setText(id, text) { const node = $(id); if (node.textContent !== text) node.textContent = text; }
  function label(id, text) { const cv = $("c-" + id); if (cv.getAttribute("aria-label") !== text) cv.setAttribute("aria-label", text); }
  function off(id, what, note) { redraw(id, ["off", note], () => drawNote($("c-" + id), note)); label(id, t("img_off", { what, note })); }
  // a frame's dead fractions as a plain list, made once per frame (its typed array is a new object every frame)
  const deadList = (L) => (L.deadList ??= Array.from(L.dead));
  // two things a canvas shows are the same: the same object, or lists (a frame's per-layer numbers) of equal items
  const same = (a, b) => a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => Object.is(v, b[i])));
  // the canvas `id` drawn again only when what it shows changed
  function redraw(id, shows, draw) {
    const last = state.painted[id];
    if (!last || last.length !== shows.length || last.some((v, i) => !same(v, shows[i]))) { draw(); state.painted[id] = shows; }
  }
  function paint() {
    state.raf = 0;
    const f = state.last, data = state.data;
    if (!f || !data) return;
    const step = f.step, L = f.layers;
    if (data.off && data.off.boundary) off("boundary", t("boundary"), said(data.off.boundary));
    else {
      redraw("boundary", [f.boundary, data.n_classes], () => drawBoundary($("c-boundary"), f.boundary, data.n_classes));
      label("boundary", t("img_boundary", { step, scores: $("scores").textContent }));
    }
    redraw("curves", [state.hist, state.hist.length], () => drawCurves($("c-curves"), state.hist, tx));
    label("curves", t("img_curves", { n: state.hist.length, step }));
    const marked = state.marked ?? firstNonfinite(L);
    redraw("stats", [L, state.theory, marked], () => drawStats($("c-stats"), L, state.theory, marked, tx));
    label("stats", t("img_stats", { step, marked: marked ? t("img_marked", { layer: marked }) : "" }));
    setText("theory-note", state.theory && state.theory.note ? said(state.theory.note) : "");
    redraw("dead", [deadList(L)], () => drawDead($("c-dead"), L.dead, tx));
    label("dead", t("img_dead", { step, dead: Array.from(L.dead, (d) => num(d, 2)).join("; ") }));
    const [zlo, zhi] = extent(L.z_mean), [hlo, hhi] = extent(L.h_mean), sig = (v) => (Number.isFinite(v) ? num(v, 2, "sig") : "—");
    setText("means", t("means", { zlo: sig(zlo), zhi: sig(zhi), hlo: sig(hlo), hhi: sig(hhi) }));
    if (mode() !== "watch") paintNetwork(L, data);  // the graph is the playground's (hidden in the watch)
    paintGeometry(step, data);
    const mf = data.meanfield;
    if (mf) {
      redraw("q", [mf, L.z_m2], () => drawQ($("c-q"), mf, L.z_m2, tx));
      redraw("qmap", [mf], () => drawQmap($("c-qmap"), mf, tx));
      label("q", t("img_q")); label("qmap", t("img_qmap"));
    }
  }
  // the graph's columns: input, each hidden layer, output (the widths the run was built with)
  function layerSizes(data) {
    const s = data.settings || state.settings || {};
    const hidden = s.widths || Array.from({ length: data.depth - 1 }, () => s.width);
    return [data.slice ? data.slice.dim : 2, ...hidden, data.n_classes];
  }
  function paintNetwork(L, data) {
    const sizes = layerSizes(data);
    if (sizes.some((k) => !Number.isFinite(k))) return;
    const weights = state.last.weights || [], hover = { col: state.netHover, unit: state.netUnit, from: state.netFrom };
    redraw("net", [sizes, deadList(L), hover.col, hover.unit, hover.from, weights], () => {
      state.netGeo = drawNetwork($("c-net"), sizes, L.dead, hover, weights);
      state.netX = state.netGeo.xs;
    });
    label("net", t("img_net", { sizes: sizes.join(" → ") }));
    setText("net-note", netNote(L, data, sizes, weights));
  }
  function netNode(col, j, sizes) {  // a node's name: an input coordinate, a layer's neuron (both from 1) or a class
    if (col === 0) return t("net_node_input", { n: j + 1 });
    return col === sizes.length - 1 ? t("class_n", { n: j }) : t("net_node", { n: j + 1, layer: col });
  }
  function netNote(L, data, sizes, weights) {  // the hovered edge's weight, node's bias, or layer's numbers
    const k = state.netHover, j = state.netUnit ?? null, from = state.netFrom ?? null, w = weights[k - 1] || {};
    const value = (a, i) => (a ? num(a[i], 4, "sig") : "—");
    if (k > 0 && j !== null && from !== null) {
      return t("net_weight", { from: netNode(k - 1, from, sizes), to: netNode(k, j, sizes), w: value(w.W, j * sizes[k - 1] + from) });
    }
    if (k > 0 && j !== null) return t("net_bias", { node: netNode(k, j, sizes), b: value(w.b, j) });
    const input = data.slice ? t("net_input_n", { n: sizes[0] }) : t("net_input");
    if (!k || k >= sizes.length - 1) return k ? t("net_output", { n: sizes[k] }) : input;
    return t("net_layer", { layer: k, n: sizes[k], var: num(L.z_var[k - 1], 2, "sig"), dead: num(L.dead[k - 1] * 100, 0) });
  }
  function netHit(x, y) {  // what lies under canvas point (x, y): a node, else an edge with a weight, else a column
    const { xs, ys, radius } = state.netGeo, weights = state.last?.weights || [];
    for (let i = 0; i < xs.length; i++) for (const [j, yj] of (ys[i] || []).entries()) {
      if (Math.hypot(x - xs[i], y - yj) <= radius[i] + 1) return { col: i, unit: j, from: null };
    }
    const i = xs.findIndex((xi, c) => c + 1 < xs.length && xi <= x && x <= xs[c + 1]);  // the gap x lies in
    let best = null, near = 4;  // px: an edge this close or closer
    if (i >= 0 && ys[i] && ys[i + 1] && weights[i]?.W) ys[i + 1].forEach((yb, j) => ys[i].forEach((ya, f) => {
      const d = segmentDistance(x, y, xs[i], ya, xs[i + 1], yb);
      if (d < near) { near = d; best = { col: i + 1, unit: j, from: f }; }
    }));
    if (best) return best;
    const d = xs.map((c) => Math.abs(c - x));
    return { col: d.indexOf(Math.min(...d)), unit: null, from: null };
  }
  function netChoose({ col, unit, from }) {  // hover (pointer, tap or keys): a hidden layer becomes the views' layer
    if (col === state.netHover && unit === state.netUnit && from === state.netFrom) return;
    Object.assign(state, { netHover: col, netUnit: unit, netFrom: from });
    if (col > 0 && col < state.netX.length - 1 && col !== state.view.layer) requestView({ ...state.view, layer: col });
    schedule();
  }
  function hoverNetwork(e) {
    if (!state.netGeo || !state.data) return;
    const cv = $("c-net"), r = cv.getBoundingClientRect();
    const [w, h] = size(cv);
    netChoose(netHit(((e.clientX - r.left) / r.width) * w, ((e.clientY - r.top) / r.height) * h));
  }
  function keyNetwork(e) {  // ←/→ a layer, ↑/↓ a neuron of it, shift+↑/↓ the neuron's weight from the layer before
    if (!state.netGeo) return;
    const ys = state.netGeo.ys, col = state.netHover ?? 0, unit = state.netUnit ?? null, from = state.netFrom ?? null;
    const within = (v, k) => Math.max(0, Math.min(k - 1, v)), dir = e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : -1;
    let next;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      const c = within(col + dir, ys.length);
      next = { col: c, unit: ys[c] ? within(unit ?? 0, ys[c].length) : null, from: null };
    } else if ((e.key === "ArrowUp" || e.key === "ArrowDown") && ys[col]) {
      next = e.shiftKey && col > 0 && ys[col - 1] && unit !== null
        ? { col, unit, from: from === null ? 0 : within(from + dir, ys[col - 1].length) }
        : { col, unit: unit === null ? 0 : within(unit + dir, ys[col].length), from: null };
    } else if (e.key === "Escape") next = { col, unit: null, from: null };
    else return;
    e.preventDefault(); netChoose(next);
  }
  function paintGeometry(step, data) {
    const { layer } = state.view, geo = state.geo, labels = concatLabels(data), projection = tx.view(state.view.projection);
    const bp = (geo.bp[data.slice ? "input" : state.view.projection] || {})[layer], res = geo.res[state.view.projection];
    const cells = geo.cells[layer];
    const why = data.off && data.off.backprojection;
    if (why) { off("bp", t("task2"), said(why)); off("residual", t("task2"), said(why)); setText("bp-note", said(why)); }
    else if (!bp) { const n = t("not_sent", { layer, projection }); off("bp", t("task2"), n); setText("bp-note", n); }
    else if (bp.note) { off("bp", t("task2"), said(bp.note)); setText("bp-note", said(bp.note)); }
    else if (bp.images) {
      redraw("bp", [bp], () => drawImages($("c-bp"), bp, tx)); label("bp", t("img_images", { layer, step }));
      setText("bp-note", t("images_caption", { layer }));
    } else {
      redraw("bp", [bp, labels], () => drawBackprojection($("c-bp"), bp, labels, tx)); label("bp", t("img_bp", { layer, projection, step }));
      setText("bp-note", t("bp_caption", { layer, projection }));
    }
    if (!why && !res) off("residual", t("task2"), t("not_sent", { layer, projection }));  // not the last view's chart
    else if (!why && res.note) off("residual", t("task2"), said(res.note));
    else if (!why) {
      redraw("residual", [res, layer, projection], () => drawResiduals($("c-residual"), res, layer, projection, tx));
      label("residual", t("img_residual", { projection }));
    }
    const cwhy = data.off && data.off.cells;
    if (cwhy || (cells && cells.note && cells.count === undefined)) {
      const n = said(cwhy || cells.note); off("cells", t("cells"), n); setText("cells-note", n); setText("cells-count", "");
    } else if (cells) {
      setText("cells-note", said(cells.note));
      const how = cells.exact ? t("cells_exact") : t(mode() === "watch" ? "cells_grid_watch" : "cells_grid", { n: cells.n });
      setText("cells-count", t("cells_count", { layer: cells.layer, approx: cells.exact ? "" : "≈", count: cells.count, how }));
      redraw("cells", [cells, data.box], () => drawCells($("c-cells"), cells, data.box)); label("cells", t("img_cells", { layer: cells.layer, count: cells.count }));
    }
  }
  function concatLabels(data) {
    if (!data.all_labels) { data.all_labels = new Uint16Array(data.train_labels.length + data.test_labels.length);
      data.all_labels.set(data.train_labels); data.all_labels.set(data.test_labels, data.train_labels.length); }
    return data.all_labels;
  }
  function firstNonfinite(L) {
    const i = Array.from(L.nonfinite).findIndex((n) => n > 0);
    return i < 0 ? null : i + 1;
  }

  // ---- wiring
  for (const input of root.querySelectorAll('[data-id^="s-"]')) {
    const key = input.dataset.id.slice(2);
    on(input, "change", settingsChanged);
    if ($("o-" + key)) on(input, "input", () => ($("o-" + key).textContent = tx.plain(Number(input.value))));
  }
  for (const key of ["layer", "projection"]) on($("v-" + key), "change", viewChanged);
  on($("play"), "click", () => { const p = !model.get("playing"); model.set("playing", p); model.save_changes(); onPlaying(); });
  on($("stepbtn"), "click", () => model.send({ type: "control", action: "step" }));
  on($("reset"), "click", () => model.send({ type: "control", action: "reset" }));
  if (typeof model.link === "function") on($("copylink"), "click", copyLink); else $("copylink").remove();
  on($("c-points"), "pointerdown", editPoints);
  on($("c-net"), "pointermove", hoverNetwork);
  on($("c-net"), "pointerdown", hoverNetwork);
  on($("c-net"), "keydown", keyNetwork);
  on($("c-points"), "contextmenu", (e) => e.preventDefault());
  on($("clear"), "click", () => setDrawn([]));
  on($("auto"), "click", () => setPlane("auto"));
  on($("save"), "click", () => { $("saved").textContent = t("saving"); model.send({ type: "save" }); });
  for (const format of ["json", "pt"]) on($("export-" + format), "click", () => model.send({ type: "export", format }));
  on($("load"), "click", loadRun);
  on($("preset"), "change", (e) => { applyPreset(e.target.value); e.target.value = ""; });
  on($("choose"), "click", () => $("upload").click());  // the browser's own file button would speak its own language
  on($("upload"), "change", (e) => { upload(e.target.files[0]); e.target.value = ""; });
  const drop = $("drop");
  on(root, "dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  on(root, "dragleave", () => drop.classList.remove("over"));
  on(root, "drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
  listen("change:schema", onSchema);
  listen("change:data", onData);
  listen("change:playing", onPlaying);
  listen("change:view", () => { state.view = { ...model.get("view") }; if (state.data) setLayerOptions(state.data.depth); schedule(); });
  listen("change:mode", onMode);
  listen("change:lesson", onLesson);
  listen("change:projector", onProjector);
  on($("projector"), "click", () => { model.set("projector", !model.get("projector")); model.save_changes(); onProjector(); });
  listen("msg:custom", onMessage);
  onMode(); onSchema(); onPlaying(); onData(); onLesson(); onProjector(); onDensity();
  // a view that opens on a run already under way (marimo shows a cell's output after the cell ran; a second view
  // of the same widget) missed the frames sent before it: it asks for the current one
  if (state.data && model.get("mode") === "playground") model.send({ type: "view", view: state.view });
  return () => {
    for (const undo of cleanups) undo();
    if (state.raf) cancelAnimationFrame(state.raf);
    el.replaceChildren();
  };
}

export default { render };
