"""The playground on the 64-pixel digits in Chromium: the plane views show the slice through three data points,
three clicks on data points in the plane pick a new plane, the link holds it and a reload keeps it, "auto plane"
goes back to the automatic one; the German page passes axe, and the panels fit a wide screen."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import LIVE_VIEW as HOOK
from test_screens_browser import LAYOUT, overlaps
from test_serve_browser import axe_violations

pytestmark = pytest.mark.browser

DIGITS = "dataset=digits&depth=3&width=8"

# three points near the plane, none of the plane's own, inside the box and at least 20 px apart on the canvas
CHOOSE = f"""(() => {{
  const S = {HOOK}, d = S.data, cv = document.querySelector('[data-id=c-points]'), [x0, x1, y0, y1] = d.box;
  const n = d.train_labels.length, out = [];
  const at = (i) => {{ const [p, j] = i < n ? [d.train, i] : [d.test, i - n];
    return [(p[2 * j] - x0) / (x1 - x0), (y1 - p[2 * j + 1]) / (y1 - y0)]; }};
  for (let i = 0; i < d.slice.near.length && out.length < 3; i++) {{
    if (!d.slice.near[i] || d.slice.through.includes(i)) continue;
    const [fx, fy] = at(i);
    if (fx < 0.05 || fx > 0.95 || fy < 0.05 || fy > 0.95) continue;
    if (out.every(([, gx, gy]) => Math.hypot((fx - gx) * cv.width, (fy - gy) * cv.height) > 20)) out.push([i, fx, fy]);
  }}
  return out;
}})()"""


def click(page, fx, fy):
    box = page.locator("[data-id=c-points]").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def plane(page):
    return page.evaluate(f"Array.from({HOOK}.data.slice.through)")


def test_three_clicks_pick_the_plane_the_link_keeps_it_and_auto_goes_back(live_page):
    page = live_page(DIGITS)
    page.wait_for_function(f"{HOOK}.data.slice && {HOOK}.last.backprojection && {HOOK}.last.cells !== undefined")
    auto = plane(page)
    assert page.is_visible("[data-id=auto]") and page.is_visible("[data-id=slice-note]")
    assert not page.is_visible("[data-id=draw-class]")  # points are drawn on 2-D data only
    assert page.text_content("[data-id=slice-note]").startswith(f"the plane through data points {auto[0]}, ")
    bp = page.evaluate("document.querySelector('[data-id=c-bp]').getAttribute('aria-label')")
    assert "three points as images" in bp
    chosen = page.evaluate(CHOOSE)
    assert len(chosen) == 3
    for i, fx, fy in chosen[:2]:
        click(page, fx, fy)
    assert page.evaluate(f"Array.from({HOOK}.picked)") == [chosen[0][0], chosen[1][0]]
    click(page, *chosen[2][1:])
    picked = [i for i, _, _ in chosen]
    page.wait_for_function(f"{HOOK}.data.slice.through.join() === '{','.join(map(str, picked))}'")
    assert page.evaluate(f"{HOOK}.picked.length") == 0  # a fourth click starts over
    page.wait_for_function("location.hash.includes('through=')")
    assert dict(parse_qsl(urlsplit(page.url).fragment))["through"] == ",".join(map(str, picked))
    page.reload()
    page.wait_for_function(f"{HOOK}?.data?.slice && {HOOK}.last && {HOOK}.last.run === {HOOK}.run")
    assert plane(page) == picked
    page.click("[data-id=auto]")
    page.wait_for_function(f"{HOOK}.data.slice.through.join() === '{','.join(map(str, auto))}'")
    assert dict(parse_qsl(urlsplit(page.url).fragment))["through"] == "auto"


def test_the_page_speaks_german_on_a_slice_and_axe_finds_nothing_serious(live_page):
    page = live_page(DIGITS, query="?lang=de", locale="de-DE", size=(1024, 768))
    page.wait_for_function("['c-cells', 'c-residual', 'c-bp'].every((id) => document.querySelector(`[data-id=${id}]`)"
                           ".getAttribute('aria-label'))")  # the slow panels have been drawn
    assert page.text_content("[data-id=auto]") == "Ebene automatisch"
    assert page.text_content("[data-id=slice-note]").startswith("die Ebene durch die Datenpunkte")
    assert axe_violations(page) == []


def test_the_slice_panels_fit_a_wide_screen(live_page):
    """The screens test's checks on the digits: no horizontal scrolling, no panel over another, no chart cut off."""
    page = live_page(DIGITS, size=(1440, 900))
    page.wait_for_function(f"{HOOK}.data.slice && {HOOK}.last.cells !== undefined")
    layout = page.evaluate(LAYOUT)
    panels = layout["panels"]
    assert layout["scroll"] <= 0 and len(panels) >= 6 and all(p["r"] <= 1440.5 for p in panels)
    assert [(a["name"], b["name"]) for i, a in enumerate(panels) for b in panels[i + 1:] if overlaps(a, b)] == []
    assert [c["id"] for c in layout["canvases"]
            if c["r"] > c["panel"]["r"] + 0.5 or c["x"] < c["panel"]["x"] - 0.5] == []
