// The page: controls <-> URL hash <-> one WebSocket; frames from the server are handed to draw.js.
import * as draw from "./draw.js";

const VERSION = 1;
const MAX_UPLOAD = 1_000_000;
const PRESETS = {
  "Task 1.2: 11 layers, N(0, 1)": { depth: 11, width: 32, init: "normal", activation: "relu", lr: 0.05 },
  "Task 1.4: He": { depth: 11, width: 32, init: "he", activation: "relu", lr: 0.05 },
  "Task 2: back-projection": { dataset: "spirals", depth: 6, width: 16, init: "he", activation: "relu", layer: 3, projection: "embedded" },
  "edge of chaos: σw² = 2": { depth: 20, width: 64, init: "mean-field", sigma_w2: 2, sigma_b2: 0, activation: "relu" },
};
const $ = (id) => document.getElementById(id);
const state = { settings: null, view: { layer: 1, projection: "input" }, data: null, run: 0, hist: [], frames: 0,
                step: 0, playing: false, marked: null, last: null, hello: null };
window.__playground = state;  // read by the end-to-end tests
let ws = null;

function send(type, fields = {}) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ v: VERSION, type, ...fields }));
}

function showError(text) {
  const div = document.createElement("div"); div.textContent = text; $("errors").append(div);
  setTimeout(() => div.remove(), 6000);
  while ($("errors").children.length > 3) $("errors").firstChild.remove();
}

// ---- URL hash: every setting and the view, e.g. #depth=11&init=normal&layer=3
function readHash() {
  const out = {};
  for (const [k, v] of new URLSearchParams(location.hash.slice(1))) out[k] = v;
  return out;
}
function writeHash() {
  const all = { ...state.settings, ...state.view };
  const params = new URLSearchParams(Object.entries(all).map(([k, v]) => [k, v === null ? "" : String(v)]));
  history.replaceState(null, "", "#" + params.toString());
}
function typed(key, text, defaults) {  // a hash/control string -> the setting's JSON value
  const d = defaults[key];
  if (text === "" && (key === "noise" || key === "batch_size")) return null;
  if (key === "noise") return Number(text);
  if (key === "batch_size") return Math.round(Number(text));
  if (typeof d === "number") return Number.isInteger(d) && !["lr", "sigma_w2", "sigma_b2"].includes(key) ? Math.round(Number(text)) : Number(text);
  return text;
}

// ---- controls
function buildControls(hello) {
  const { choices, bounds, settings } = hello;
  for (const [key, values] of Object.entries(choices)) {
    const sel = $("s-" + key);
    sel.replaceChildren(...values.map((v) => new Option(v === "csv" ? "uploaded CSV" : v, v)));
  }
  for (const [key, [lo, hi]] of Object.entries(bounds)) {
    const el = $("s-" + key); if (!el) continue;
    el.min = lo; el.max = hi;
  }
  $("v-projection").replaceChildren(...hello.views.map((v) => new Option(v, v)));
  $("preset").append(...Object.keys(PRESETS).map((k) => new Option(k, k)));
  for (const key of Object.keys(settings)) {
    $("s-" + key).addEventListener("change", () => changed());
    if ($("o-" + key)) $("s-" + key).addEventListener("input", () => ($("o-" + key).textContent = $("s-" + key).value));
  }
  for (const key of ["layer", "projection"]) $("v-" + key).addEventListener("change", viewChanged);
}
function setControls(settings, view) {
  for (const [k, v] of Object.entries(settings)) {
    $("s-" + k).value = v === null ? "" : v;
    if ($("o-" + k)) $("o-" + k).textContent = v;
  }
  setLayerOptions(settings.depth, view.layer);
  $("v-projection").value = view.projection;
}
function setLayerOptions(depth, layer) {
  const sel = $("v-layer");
  sel.replaceChildren(...Array.from({ length: depth }, (_, i) => new Option(String(i + 1), String(i + 1))));
  sel.value = String(Math.min(layer, depth));
}
function readControls() {
  const out = {};
  for (const k of Object.keys(state.hello.settings)) out[k] = typed(k, $("s-" + k).value, state.hello.settings);
  return out;
}
function changed() {
  state.settings = readControls();
  setLayerOptions(state.settings.depth, state.view.layer);
  state.view.layer = Number($("v-layer").value);
  writeHash(); send("settings", { settings: state.settings });
}
function viewChanged() {
  state.view = { layer: Number($("v-layer").value), projection: $("v-projection").value };
  writeHash(); send("view", { view: state.view });
}
function applyPreset(name) {
  const p = PRESETS[name]; if (!p) return;
  const { layer, projection, ...settings } = { ...state.hello.settings, ...p };
  state.settings = settings; state.view = { layer: layer ?? 1, projection: projection ?? "input" };
  setControls(state.settings, state.view); writeHash();
  send("settings", { settings: state.settings }); send("view", { view: state.view });
}

async function upload(file) {
  if (!file) return;
  if (file.size > MAX_UPLOAD) return showError(`${file.name}: larger than ${MAX_UPLOAD / 1e6} MB`);
  send("upload", { name: file.name, text: await file.text() });
}

// ---- messages from the server
function onMessage(msg) {
  if (msg.v !== VERSION) return showError("the server speaks another version; reload the page");
  if (msg.type === "hello") {
    state.hello = msg; buildControls(msg);
    const hash = readHash(), settings = {}, view = { ...state.view };
    for (const k of Object.keys(msg.settings)) settings[k] = k in hash ? typed(k, hash[k], msg.settings) : msg.settings[k];
    if (hash.layer) view.layer = Math.max(1, Math.round(Number(hash.layer)) || 1);
    if (msg.views.includes(hash.projection)) view.projection = hash.projection;
    if (settings.dataset === "csv") { settings.dataset = msg.settings.dataset; showError("the uploaded CSV is not kept in links; drop it again"); }
    state.settings = settings; state.view = view;
    setControls(settings, view); writeHash();
    send("settings", { settings }); send("view", { view });
  } else if (msg.type === "data") {
    state.data = msg; state.run = msg.run; state.hist = []; state.marked = null; state.step = 0; state.last = null;
    state.settings = msg.settings; setControls(msg.settings, state.view); writeHash();
    $("dataname").textContent = `${msg.name}, ${msg.train.length} train / ${msg.test.length} test points`;
    setStatus("", "");
    const mf = msg.meanfield;
    $("mf-text").textContent = `σw² = ${mf.sigma_w2.toFixed(3)} (${mf.source}), σb² = ${mf.sigma_b2}, χ₁ = ${mf.chi1.toFixed(3)}, `
      + `depth scale ${mf.depth_scale === null ? "∞" : mf.depth_scale.toFixed(1)} layers`;
  } else if (msg.type === "frame") {
    if (msg.run === state.run && state.data) onFrame(msg);
  } else if (msg.type === "panels") {
    if (msg.run === state.run && state.last) { Object.assign(state.last, msg); drawFrame(state.last); }
  } else if (msg.type === "status") {
    if (msg.run !== state.run) return;
    state.marked = msg.layer;
    setStatus(msg.sentence, msg.metrics.status === "ok" ? "good" : "bad");
    if (state.last) drawFrame(state.last);
  } else if (msg.type === "saved") {
    $("saved").textContent = `saved step ${msg.step} → ${msg.path}`;
  } else if (msg.type === "busy") {
    $("busy").hidden = false; $("busy").textContent = msg.message;
  } else if (msg.type === "error") {
    showError(msg.message);
    if (!state.data && !state.fellBack) {  // a link with a bad setting: start from the defaults instead
      state.fellBack = true; state.settings = { ...state.hello.settings };
      setControls(state.settings, state.view); writeHash(); send("settings", { settings: state.settings });
    }
  }
}
function setStatus(text, cls) { $("status").textContent = text; $("status").className = "status " + cls; }

function onFrame(f) {
  state.frames += 1; state.step = f.step; state.playing = f.playing;
  state.last = { ...state.last, ...f };  // a frame without the slow panels keeps the last ones drawn
  $("step").textContent = f.step;
  $("play").innerHTML = f.playing ? "&#x275A;&#x275A;" : "&#x25B6;";
  const s = f.scores;
  if (!state.hist.length || state.hist[state.hist.length - 1].step < f.step) state.hist.push({ step: f.step, ...s });
  const fmt = (v) => (v === null ? "—" : v.toFixed(3));
  $("scores").textContent = `loss ${fmt(s.train_loss)} train / ${fmt(s.test_loss)} test · accuracy ${fmt(s.train_accuracy)} / ${fmt(s.test_accuracy)}`;
  drawFrame(state.last);
}

function drawFrame(f) {
  const data = state.data, labels = data.train_labels.concat(data.test_labels);
  draw.drawBoundary($("c-boundary"), f, data);
  draw.drawCurves($("c-curves"), state.hist);
  const L = f.layers, marked = state.marked ?? firstNonfinite(L);
  if (f.theory) draw.drawStats($("c-stats"), L, f.theory, marked);
  draw.drawDead($("c-dead"), L.dead);
  const means = (a) => a.map((v) => (v === null ? "—" : v.toPrecision(2))).join(" · ");
  $("means").textContent = `mean z: ${means(L.z_mean)} | mean h: ${means(L.h_mean)}`;
  const bp = f.backprojection;
  $("bp-note").textContent = bp.note ?? `layer ${bp.layer} carried back to the input plane (${bp.projection}); lines: the input grid`;
  if (!bp.note) draw.drawBackprojection($("c-bp"), bp, labels);
  if (f.residuals && !f.residuals.note) draw.drawResiduals($("c-residual"), f.residuals, bp.layer);
  if (f.cells) {
    $("cells-note").textContent = f.cells.note ?? "";
    if (f.cells.count !== undefined) {
      $("cells-count").textContent = `layer ${f.cells.layer}: ${f.cells.exact ? "" : "≈"}${f.cells.count} regions `
        + (f.cells.exact ? "(exact)" : `(grid ${f.cells.n}², exact when paused)`);
      draw.drawCells($("c-cells"), f.cells, data);
    }
  }
  draw.drawMeanfield($("c-q"), $("c-qmap"), data.meanfield, L.z_m2);
}
function firstNonfinite(L) {
  const i = L.nonfinite.findIndex((n) => n > 0);
  return i < 0 ? null : i + 1;
}

// ---- wiring
function connect() {
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = () => { if ($("busy").hidden) showError("disconnected from the server; reload to reconnect"); };
}
window.addEventListener("DOMContentLoaded", () => {
  $("play").onclick = () => send("control", { action: state.playing ? "pause" : "play" });
  $("stepbtn").onclick = () => send("control", { action: "step" });
  $("reset").onclick = () => send("control", { action: "reset" });
  $("save").onclick = () => { $("saved").textContent = "saving…"; send("save"); };
  $("preset").onchange = (e) => { applyPreset(e.target.value); e.target.value = ""; };
  $("upload").onchange = (e) => upload(e.target.files[0]);
  const drop = $("drop");
  document.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  document.addEventListener("dragleave", () => drop.classList.remove("over"));
  document.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
  connect();
});
