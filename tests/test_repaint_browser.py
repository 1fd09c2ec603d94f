"""The live view draws a canvas again only when what it shows changed (``view.js``'s ``redraw``): while a run trains,
the loss curves with every frame, the q-map not at all (it is the run's), the dead units and the network graph only
when their numbers or the weights change; and what it skips never leaves a canvas behind: a full repaint of the
resting state gives every canvas the pixels it shows."""

import pytest
from conftest import COUNT_DRAWS
from conftest import LIVE_VIEW as HOOK

pytestmark = pytest.mark.browser

# the slow panels' messages counted (each sets the state's theory), and the dead units' fractions each time they change
COUNT_CHANGES = f"""() => {{
  const S = {HOOK};
  let theory = S.theory, dead = JSON.stringify(S.last.layers.dead);
  window.__changes = {{ panels: 0, dead: 0 }};
  Object.defineProperty(S, "theory", {{ get: () => theory, configurable: true,
    set: (v) => {{ theory = v; window.__changes.panels += 1; }} }});
  const frame = () => {{ const d = JSON.stringify(S.last.layers.dead);
    if (d !== dead) {{ dead = d; window.__changes.dead += 1; }}
    window.__watching = requestAnimationFrame(frame); }};
  frame(); }}"""
# every canvas's pixels, after the paint under way
PIXELS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return Object.fromEntries([...document.querySelectorAll('.reluscope canvas')]
    .map((c) => [c.dataset.id, c.toDataURL()]));
}"""


def play(page, frames):
    page.click("[data-id=play]")
    page.wait_for_function(f"{HOOK}.frames >= {frames}")
    page.click("[data-id=play]")
    page.wait_for_function(f"!{HOOK}.playing")
    page.wait_for_timeout(800)  # the resting frame and its slow panels


def test_while_training_a_canvas_is_drawn_when_its_numbers_change(live_page):
    page = live_page("", size=(1024, 768), init_script=COUNT_DRAWS)
    page.evaluate(PIXELS)  # the first frame painted: every canvas drawn once
    page.evaluate("window.__draws = {}")
    page.evaluate(COUNT_CHANGES)
    play(page, 60)
    draws, changes = page.evaluate("window.__draws"), page.evaluate("window.__changes")
    # a frame's new scores, with its new boundary: on every paint that a new frame reached (a busy browser paints
    # fewer times than frames arrive, the latest frame each time; the pause's frames bring no new scores)
    assert draws["c-boundary"] >= 10 and draws["c-curves"] >= 0.8 * draws["c-boundary"], draws
    assert "c-qmap" not in draws, draws
    assert draws.get("c-dead", 0) <= changes["dead"] + 1, (draws, changes)
    assert draws.get("c-net", 0) <= changes["panels"] + changes["dead"] + 1, (draws, changes)
    assert draws.get("c-net", 0) < draws["c-curves"], (draws, changes)


def test_a_skipped_drawing_leaves_no_canvas_behind(live_page):
    page = live_page("layer=2", size=(1024, 768))
    play(page, 30)
    shown = page.evaluate(PIXELS)
    page.evaluate(f"() => {{ const S = {HOOK}; S.painted = {{}}; }}")  # the next paint draws every canvas anew
    page.select_option("[data-id=v-layer]", "2")  # the same view again: a paint, and the same resting frame
    page.wait_for_timeout(800)
    again = page.evaluate(PIXELS)
    assert len(shown) >= 10 and [k for k in shown if again[k] != shown[k]] == []
