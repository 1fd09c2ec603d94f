// Viewers: one pre-rendered frame per combination of options; the controls pick the frame.
// Frames live in a JSON <script> beside each viewer, in row-major order over the axes (the initial one as null).
"use strict";
for (const viewer of document.querySelectorAll("figure.viewer")) {
  const data = JSON.parse(document.getElementById(viewer.dataset.frames).textContent);
  const sizes = data.sizes;
  const choice = data.initial.slice();
  const img = viewer.querySelector("img");
  const initial = img.src;  // the initial frame is inlined once, in the <img>; its JSON entry is null
  const show = () => {
    let index = 0;
    for (let a = 0; a < sizes.length; a++) index = index * sizes[a] + choice[a];
    img.src = data.frames[index] ?? initial;
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
      if (control.type === "range") control.setAttribute("aria-valuetext", data.options[a][choice[a]]);
      show();
    });
  }
  viewer.dataset.key = choice.join("-");
}

// Click to enlarge: the figure's current frame in a modal dialog at the window's size (Esc or Close ends it).
// In a viewer with a slider, ← and → move that slider while the figure is enlarged.
const lightbox = document.querySelector("dialog.lightbox");
const large = lightbox.querySelector("img");
const caption = lightbox.querySelector(".lightbox-caption");
let shown = null;  // the figure enlarged
const enlarge = () => {
  const img = shown.querySelector("img");
  const figcaption = shown.querySelector("figcaption");
  const slider = shown.querySelector("input[type=range]");
  large.src = img.src;
  large.alt = img.alt;
  caption.textContent = (figcaption ? figcaption.textContent : "")
    + (slider ? " (← → " + slider.parentElement.firstChild.textContent.trim() + ")" : "");
};
for (const button of document.querySelectorAll("button.enlarge")) {
  button.addEventListener("click", () => {
    shown = button.closest("figure");
    enlarge();
    lightbox.showModal();
  });
}
lightbox.addEventListener("click", (event) => {
  if (event.target === lightbox || event.target === large) lightbox.close();
});
lightbox.addEventListener("keydown", (event) => {
  const slider = shown && shown.querySelector("input[type=range]");
  const step = {ArrowLeft: -1, ArrowRight: 1}[event.key];
  if (!slider || !step) return;
  const value = Math.min(Number(slider.max), Math.max(0, Number(slider.value) + step));
  if (value === Number(slider.value)) return;
  slider.value = value;
  slider.dispatchEvent(new Event("input"));
  enlarge();
  event.preventDefault();
});

// Paper: the derivations print open, and close again afterwards as they were.
let closed = [];
addEventListener("beforeprint", () => {
  closed = [...document.querySelectorAll("details:not([open])")];
  for (const d of closed) d.open = true;
});
addEventListener("afterprint", () => {
  for (const d of closed) d.open = false;
  closed = [];
});
