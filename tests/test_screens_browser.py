"""The page on every screen: a projector (1024×768, also in large type), a tablet (768×1024, touch) and a wide
screen (1440×900) with no horizontal scrolling, no panel over another, no chart cut off by its panel and no empty
column; a keyboard-only walk reaches every control with a visible focus; axe-core finds nothing serious."""

import pytest
from test_serve_browser import axe_violations

pytestmark = pytest.mark.browser

SMALL = "n_samples=300&depth=3&width=16"
SCREENS = [(1024, 768, False, ""), (1024, 768, False, "&projector=1"), (768, 1024, True, ""), (1440, 900, False, "")]

LAYOUT = """() => {
  const box = (n) => { const r = n.getBoundingClientRect(); return {x: r.left + scrollX, y: r.top + scrollY, r: r.right + scrollX, b: r.bottom + scrollY}; };
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
    controls = set(page.evaluate("""() => [...document.querySelectorAll('.reluscope button, .reluscope select, .reluscope input')]
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
                         [(768, 1024, True, "&projector=1", "de"), (1024, 768, False, "&lock=depth&hide=lr&task=t", "en")])
def test_axe_is_clean_on_a_tablet_in_large_type_and_with_an_exercise(live_page, width, height, touch, extra, lang):
    page = live_page(SMALL + extra, query=f"?lang={lang}", size=(width, height), touch=touch)
    assert page.get_attribute("[data-id=projector]", "aria-pressed") == str("projector" in extra).lower()
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
