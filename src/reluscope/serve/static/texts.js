// Every text the live view shows, in one place: view.js and page.js read them through t().
export const TEXTS = {
  title: "reluscope", subtitle_playground: "playground", subtitle_watch: "watching your net",
  reset: "Reset to step 0", play: "Play", pause: "Pause", step_once: "+1 step", step: "step",
  preset: "preset", save: "save run", save_title: "Write a run directory on the server", saving: "saving…",
  saved: "saved step {step} → {path}",
  data: "data", dataset: "data set", noise: "noise", noise_default: "default", points: "points",
  drop: "drop a CSV (x1,x2,label) here or", uploaded_csv: "uploaded CSV",
  network: "network", depth: "depth", width: "width", activation: "activation",
  initialisation: "initialisation", scheme: "scheme", sigma_w2: "σw²", sigma_b2: "σb²",
  meanfield_hint: "σw², σb² act in the scheme mean-field: W ~ N(0, σw²/fan_in), b ~ N(0, σb²).",
  training: "training", optimizer: "optimizer", lr: "learning rate", batch_size: "batch size",
  full_batch: "full batch", steps: "steps", seed: "seed",
  boundary: "decision boundary", task1: "Task 1: layer statistics",
  task1_legend: "measured (dots) · theory for these weights (dashed)",
  task2: "Task 2: back-projection", layer: "layer", view: "view", cells: "cells of the chosen layer",
  meanfield: "mean field",
  dataname: "{name}, {train} train / {test} test points", dataname_watch: "{name}: {train} points",
  scores: "loss {tl} train / {sl} test · accuracy {ta} / {sa}", scores_watch: "loss {tl} · accuracy {ta}",
  means: "mean z: {z} | mean h: {h}",
  bp_caption: "layer {layer} carried back to the input plane ({projection}); lines: the input grid",
  cells_count: "layer {layer}: {approx}{count} regions {how}", cells_exact: "(exact)",
  cells_grid: "(grid {n}², exact when paused)", cells_grid_watch: "(grid {n}²)",
  mf_text: "σw² = {sw} ({source}), σb² = {sb}, χ₁ = {chi}, depth scale {scale} layers",
  not_sent: "layer {layer} in the {projection} view has not arrived yet",
  too_large: "{name}: larger than {mb} MB", version: "the server speaks another version; reload the page",
  disconnected: "disconnected from the server; reload to reconnect", not_connected: "not connected: reload the page",
  csv_not_linked: "the uploaded CSV is not kept in links; drop it again",
  curves_label: "loss (blue, log) · accuracy 0–1 (green); dashed: test", dead_units: "dead units",
  residual_label: "residual of h ≈ affine(x̂), {projection}", no_finite: "no finite points",
  img_boundary: "Decision boundary at step {step}: {scores}",
  img_curves: "Loss and accuracy over {n} recorded steps, up to step {step}",
  img_stats: "Per-layer Var z, Var h and E[(∂L/∂z)²] against the theory at step {step}{marked}",
  img_marked: "; layer {layer} marked", img_dead: "Dead units per layer at step {step}: {dead}",
  img_bp: "Layer {layer} back-projected ({projection}) at step {step}", img_residual: "Residual per layer ({projection})",
  img_cells: "Cells of layer {layer}: {count} regions", img_q: "Mean-field length q per layer", img_qmap: "The q-map",
  img_off: "{what}: {note}",
  presets: {
    "Task 1.2: 11 layers, N(0, 1)": { depth: 11, width: 32, init: "normal", activation: "relu", lr: 0.05 },
    "Task 1.4: He": { depth: 11, width: 32, init: "he", activation: "relu", lr: 0.05 },
    "Task 2: back-projection": { dataset: "spirals", depth: 6, width: 16, init: "he", activation: "relu", layer: 3, projection: "embedded" },
    "edge of chaos: σw² = 2": { depth: 20, width: 64, init: "mean-field", sigma_w2: 2, sigma_b2: 0, activation: "relu" },
  },
};

export function t(key, vars = {}) {  // TEXTS[key] with {name} filled from vars
  if (!(key in TEXTS)) throw new Error(`no text ${key}`);
  return TEXTS[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
}
