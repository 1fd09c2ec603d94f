// The page's host: a model with anywidget's interface (get, set, save_changes, on, off, send) over the playground's
// WebSocket, and the URL hash that keeps every setting and the view. The live view itself is liveview.js.
import widget, { chooseLanguage, texts, typed, envelope, openEnvelope } from "./liveview.js";

const VERSION = 2;  // serve/messages.py's VERSION
const LANG = chooseLanguage(new URLSearchParams(location.search).get("lang"));  // ?lang=de|en, else the browser's
const { t } = texts(LANG);

function socketModel(url) {
  const traits = { lang: LANG, lesson: lessonOf(readHash()), projector: readHash().projector === "1", mode: "playground", schema: null, settings: null, request: 0, view: { layer: 1, projection: "input" },
                   playing: false, data: null };
  const handlers = new Map(), changed = new Set();
  let ws = null, closed = false;
  const emit = (name, ...args) => { for (const fn of handlers.get(name) || []) fn(...args); };
  const put = (name, value) => { traits[name] = value; emit("change:" + name); };
  const fail = (message) => emit("msg:custom", { type: "error", message, fatal: true }, []);
  function raw(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(frame);
    else fail(t(closed ? "disconnected" : "not_connected"));
  }
  const sendJSON = (type, fields) => raw(JSON.stringify({ v: VERSION, type, ...fields }));
  const model = {
    get: (name) => traits[name],
    set: (name, value) => { traits[name] = value; changed.add(name); },
    save_changes() {
      if (changed.has("settings")) sendJSON("settings", { settings: traits.settings, tag: traits.request });
      if (changed.has("view")) sendJSON("view", { view: traits.view });
      if (changed.has("playing")) sendJSON("control", { action: traits.playing ? "play" : "pause" });
      for (const name of changed) emit("change:" + name);
      changed.clear();
    },
    on: (name, fn) => handlers.set(name, [...(handlers.get(name) || []), fn]),
    off: (name, fn) => handlers.set(name, (handlers.get(name) || []).filter((g) => g !== fn)),
    send(content, _callbacks, buffers = []) {
      const msg = { v: VERSION, ...content };
      raw(buffers.length ? envelope(msg, buffers) : JSON.stringify(msg));
    },
    tell: (msg) => emit("msg:custom", msg, []),  // the page's own notes, shown as the host's messages
    link: () => location.href,  // the hash keeps the state (writeHash)
    lesson: (lesson) => put("lesson", lesson),
  };
  function receive(msg, buffers) {
    if (msg.v !== VERSION) return fail(t("version"));
    if (msg.type === "hello") {
      put("schema", { fields: msg.schema, views: msg.views, exercises: msg.exercises }); emit("hello", msg);
    }
    else if (msg.type === "data") {
      traits.playing = msg.playing; traits.settings = msg.settings;
      put("data", inline(msg, buffers)); emit("change:playing"); emit("change:settings");
    } else {
      if (msg.type === "status") put("playing", false);
      emit("msg:custom", msg, buffers);
    }
  }
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => {
    if (typeof e.data === "string") receive(JSON.parse(e.data), []);
    else receive(...openEnvelope(e.data));
  };
  ws.onclose = () => { closed = true; if (traits.schema) fail(t("disconnected")); };
  return model;
}

// array headers with their DataView in place of the buffer's index, as anywidget hands over a trait
function inline(value, buffers) {
  if (Array.isArray(value)) return value.map((v) => inline(v, buffers));
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === "buffer" && typeof v === "number" ? buffers[v] : inline(v, buffers);
  return out;
}

// ---- the URL hash: every setting, the view and the exercise, e.g. #depth=11&init=normal&layer=3&lock=depth
const LESSON = ["ex", "hide", "lock", "view", "task"];  // an exercise's keys: hide=lr,optimizer lock=depth view=cells
function readHash() { return Object.fromEntries(new URLSearchParams(location.hash.slice(1))); }
function lessonOf(hash) {
  const list = (v) => (v ? v.split(",").map((k) => k.trim()).filter(Boolean) : []);
  return { hide: list(hash.hide), lock: list(hash.lock), view: hash.view || null, task: hash.task || "", question: "" };
}
function writeHash(model) {
  const hash = readHash(), kept = Object.fromEntries(LESSON.filter((k) => hash[k]).map((k) => [k, hash[k]]));
  const all = { ...model.get("settings"), ...model.get("view"), ...kept, ...(model.get("projector") ? { projector: 1 } : {}) };
  history.replaceState(null, "", "#" + new URLSearchParams(Object.entries(all).map(([k, v]) => [k, v === null ? "" : String(v)])));
}

window.addEventListener("DOMContentLoaded", () => {
  document.documentElement.lang = LANG; document.title = `${t("title")} ${t("subtitle_playground")}`;
  const model = socketModel(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?lang=${LANG}`);
  let started = false, fellBack = false;
  model.on("hello", (hello) => {  // the first run: the link's settings over the exercise's over the defaults
    const hash = readHash(), settings = {}, view = { ...model.get("view") };
    const ex = hello.exercises.find((e) => e.id === hash.ex);
    if (ex) {  // its view {panel, layer, projection}: the panel marks, the rest is the view
      const own = lessonOf(hash), { panel, ...shown } = ex.view;
      model.lesson({ hide: [...ex.hide, ...own.hide], lock: [...ex.lock, ...own.lock], view: own.view || panel,
                     task: own.task || ex.task, question: ex.question });
      Object.assign(view, shown);
    }
    for (const [k, f] of Object.entries(hello.schema)) {
      settings[k] = k in hash ? typed(f, hash[k]) : ex && k in ex.settings ? ex.settings[k] : f.default;
    }
    if (hash.layer) view.layer = Math.max(1, Math.round(Number(hash.layer)) || 1);
    if (hello.views.includes(hash.projection)) view.projection = hash.projection;
    if (settings.dataset === "csv") {
      settings.dataset = hello.schema.dataset.default;
      model.tell({ type: "error", message: t("csv_not_linked") });
    }
    model.set("view", view); model.set("settings", settings); model.set("request", 1); model.save_changes();
  });
  model.on("change:data", () => { started = true; writeHash(model); });
  model.on("change:view", () => writeHash(model));
  model.on("change:settings", () => writeHash(model));
  model.on("change:projector", () => writeHash(model));
  model.on("msg:custom", (msg) => {  // a link with a bad setting: start from the defaults instead
    if (msg.type !== "error" || started || fellBack || !model.get("schema")) return;
    fellBack = true;
    const defaults = Object.fromEntries(Object.entries(model.get("schema").fields).map(([k, f]) => [k, f.default]));
    model.set("settings", defaults); model.set("request", model.get("request") + 1); model.save_changes();
  });
  widget.render({ model, el: document.getElementById("app") });
});
