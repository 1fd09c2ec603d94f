// Viewers: one pre-rendered frame per combination of options; the controls pick the frame.
// Frames live in a JSON <script> beside each viewer, in row-major order over the axes.
"use strict";
for (const viewer of document.querySelectorAll("figure.viewer")) {
  const data = JSON.parse(document.getElementById(viewer.dataset.frames).textContent);
  const sizes = data.sizes;
  const choice = data.initial.slice();
  const img = viewer.querySelector("img");
  const show = () => {
    let index = 0;
    for (let a = 0; a < sizes.length; a++) index = index * sizes[a] + choice[a];
    img.src = data.frames[index];
    img.alt = data.alt + " (" + choice.map((c, a) => data.labels[a] + " " + data.options[a][c]).join(", ") + ")";
    viewer.dataset.key = choice.join("-");
  };
  for (const control of viewer.querySelectorAll("[data-axis]")) {
    const a = Number(control.dataset.axis);
    const out = control.parentElement.querySelector("output");
    control.addEventListener("input", () => {
      if (control.type === "radio" && !control.checked) return;
      choice[a] = Number(control.value);
      if (out) out.textContent = data.options[a][choice[a]];
      show();
    });
  }
  viewer.dataset.key = choice.join("-");
}
