"""The page on every screen: a projector (1024×768, also in large type), a tablet (768×1024, touch) and a wide
screen (1440×900) with no horizontal scrolling, no panel over another, no chart cut off by its panel and no empty
column; a keyboard-only walk reaches every control with a visible focus; axe-core finds nothing serious. In large
type the canvases' own words grow with the text, and stay crisp."""

import json
import struct

import pytest
from conftest import LIVE_VIEW as HOOK
from test_serve_browser import axe_violations

pytestmark = pytest.mark.browser

SMALL = "n_samples=300&depth=3&width=16"
SCREENS = [(1024, 768, False, ""), (1024, 768, False, "&projector=1"), (768, 1024, True, ""), (1440, 900, False, "")]

LAYOUT = """() => {
  const box = (n) => { const r = n.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, r: r.right + scrollX, b: r.bottom + scrollY}; };
  const root = document.querySelector('.reluscope'), main = root.querySelector('.main');
  const panels = [...root.querySelectorAll('header, [data-id=task]:not([hidden]), .main > aside, .main > section')]
    .filter(n => n.offsetParent !== null).map(n => ({name: n.dataset.panel || n.tagName, ...box(n)}));
  const canvases = [...main.querySelectorAll('section canvas')].map(c => ({id: c.dataset.id || 'points', ...box(c),
    panel: box(c.closest('section'))}));
  return {scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth, panels, canvases,
          main: box(main)};
}"""


def overlaps(a, b) -> bool:
    return min(a["r"], b["r"]) - max(a["x"], b["x"]) > 0.5 and min(a["b"], b["b"]) - max(a["y"], b["y"]) > 0.5


@pytest.mark.parametrize(("width", "height", "touch", "extra"), SCREENS)
def test_no_horizontal_scrolling_no_overlap_no_cut_chart(live_page, width, height, touch, extra, tmp_path):
    page = live_page(SMALL + extra, size=(width, height), touch=touch)
    page.screenshot(path=tmp_path / f"{width}x{height}.png", full_page=True)
    layout = page.evaluate(LAYOUT)
    assert layout["scroll"] <= 0
    panels = layout["panels"]
    assert len(panels) >= 6 and all(p["r"] <= width + 0.5 for p in panels)
    assert [(a["name"], b["name"]) for i, a in enumerate(panels) for b in panels[i + 1:] if overlaps(a, b)] == []
    cut = [c["id"] for c in layout["canvases"] if c["r"] > c["panel"]["r"] + 0.5 or c["x"] < c["panel"]["x"] - 0.5]
    assert cut == []
    if width >= 1440:  # every column holds a panel: the last panel's right edge is the grid's
        assert max(p["r"] for p in panels if p["name"] != "HEADER") >= layout["main"]["r"] - 20


def test_a_keyboard_walk_reaches_every_control_with_a_visible_focus(live_page):
    page = live_page(SMALL, size=(1024, 768))
    controls = set(page.evaluate("""() => [...document.querySelectorAll(
        '.reluscope button, .reluscope select, .reluscope input')]
        .filter(n => !n.disabled && n.offsetParent !== null && n.type !== 'file').map(n => n.dataset.id)"""))
    page.focus("body")
    reached, outlines = set(), set()
    for _ in range(len(controls) + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.dataset?.id"))
        outlines.add(page.evaluate("""() => { const e = document.activeElement;
            return e.closest('.reluscope') ? getComputedStyle(e).outlineStyle : 'solid'; }"""))
    assert controls <= reached, controls - reached
    assert outlines == {"solid"}


@pytest.mark.parametrize(("width", "height", "touch", "extra", "lang"),
                         [(768, 1024, True, "&projector=1", "de"),
                          (1024, 768, False, "&lock=depth&hide=lr&task=t", "en")])
def test_axe_is_clean_on_a_tablet_in_large_type_and_with_an_exercise(live_page, width, height, touch, extra, lang):
    page = live_page(SMALL + extra, query=f"?lang={lang}", size=(width, height), touch=touch)
    assert page.get_attribute("[data-id=projector]", "aria-pressed") == str("projector" in extra).lower()
    assert axe_violations(page) == []


def message_type(message: str | bytes) -> str:
    """The ``type`` of a server message: JSON text, or a binary envelope (``uint32`` n, n bytes of JSON, buffers)."""
    if isinstance(message, bytes):
        (n,) = struct.unpack_from("<I", message)
        message = message[4:4 + n]
    return json.loads(message)["type"]


def test_a_canvas_whose_panel_has_not_arrived_says_it_is_loading(live_page):
    """The slow panels (theory, residuals, cells) held back, as on a crowded server before they first come: their
    canvases are named "loading…", and axe finds no image without a name."""
    def route(ws):
        server = ws.connect_to_server()
        server.on_message(lambda message: message_type(message) == "panels" or ws.send(message))
        ws.on_message(server.send)

    page = live_page(SMALL, route=route)
    assert page.get_attribute("[data-id=c-cells]", "aria-label") == "loading…"
    assert axe_violations(page) == []


def test_the_projector_toggle_enlarges_the_type_and_goes_into_the_link(live_page):
    page = live_page(SMALL, size=(1024, 768))
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.reluscope')).fontSize)")
    page.click("[data-id=projector]")
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.reluscope')).fontSize)") > 1.3 * size
    assert "projector=1" in page.url and page.get_attribute("[data-id=projector]", "aria-pressed") == "true"
    page.click("[data-id=play]")
    assert page.text_content("[data-id=playstate]") == "training"
    page.click("[data-id=play]")
    assert page.text_content("[data-id=playstate]") == "paused"


# the size on screen (CSS px) of every word a canvas draws, by the page's type (normal or large) at the time and by
# canvas: the font's px through the context's transform and the canvas's backing store onto its box
TYPE = """(() => {
  window.__type = {normal: {}, large: {}};
  for (const name of ['fillText', 'strokeText']) {
    const original = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (...args) {
      const m = this.getTransform(), cv = this.canvas, px = parseFloat(this.font.match(/([\\d.]+)px/)[1]);
      const type = window.__type[cv.closest('.projector') ? 'large' : 'normal'];
      (type[cv.dataset.id] ??= []).push(px * Math.hypot(m.c, m.d) * cv.getBoundingClientRect().height / cv.height);
      return original.apply(this, args);
    };
  }
})()"""
SHOWN = """() => Object.fromEntries(Object.entries(window.__type).map(([type, seen]) => [type, Object.fromEntries(
    Object.entries(seen).map(([id, px]) => [id, [Math.min(...px), Math.max(...px)]]))]))"""
# every shown canvas's backing store against its box in device pixels, and the points' layer's painted pixels
CANVASES = """() => ({sharp: [...document.querySelectorAll('.reluscope canvas')].filter(c => c.offsetParent !== null)
    .map(c => [c.dataset.id, c.width, c.height, c.getBoundingClientRect().width * devicePixelRatio,
               c.getBoundingClientRect().height * devicePixelRatio]),
  points: (() => { const c = document.querySelector('[data-id=c-points]');
    return c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      .filter((v, i) => i % 4 === 3 && v).length; })()})"""


def painted(page) -> None:
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize("ratio", [1, 2])
def test_in_large_type_the_canvases_words_grow_with_the_text_and_stay_crisp(live_page, ratio):
    """The charts' words are 10–11 px beside 14 px text; in large type (text 20 px, small text 16 px) the canvases
    show ``--canvas-type`` (1.45) times larger, with as many more pixels, so every word drawn then is 14.5–16 px,
    drawn sharp (a canvas pixel per device pixel, on a screen of 2 device pixels per CSS pixel too), and the points'
    layer is drawn again at each size."""
    page = live_page(SMALL, size=(1024, 768), init_script=TYPE, ratio=ratio)
    canvases = page.evaluate(CANVASES)  # sharp from the start
    assert [c for c in canvases["sharp"] if abs(c[1] - c[3]) > 1 or abs(c[2] - c[4]) > 1] == []
    page.wait_for_function(f"{HOOK}.last.cells !== undefined")  # the slow panels have come
    text = lambda: page.evaluate(  # noqa: E731
        "parseFloat(getComputedStyle(document.querySelector('.reluscope')).fontSize)")
    small = text()
    for large in (True, False):
        page.click("[data-id=projector]")
        painted(page)
        canvases = page.evaluate(CANVASES)
        assert [c for c in canvases["sharp"] if abs(c[1] - c[3]) > 1 or abs(c[2] - c[4]) > 1] == []
        assert canvases["points"] > 300 * 10  # 300 points' dots
        assert (text() >= 1.4 * small) == large
    shown = page.evaluate(SHOWN)
    normal, big = shown["normal"], shown["large"]
    charts = {"c-curves", "c-stats", "c-dead", "c-residual", "c-q", "c-qmap"}
    assert charts <= normal.keys() and charts <= big.keys()
    assert all(9.5 <= normal[c][0] and normal[c][1] <= 13 for c in charts)
    assert {c: big[c][0] / normal[c][0] for c in big if big[c][0] < 1.44 * normal[c][0]} == {}
    assert all(14.4 <= big[c][0] and big[c][1] <= 19 for c in charts)
