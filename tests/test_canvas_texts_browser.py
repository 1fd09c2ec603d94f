"""What a German page draws into its canvases is German, and fits: every string passed to ``fillText`` or
``strokeText`` over a run's frames, a layer's and a view's change, a diverging net and the digits' images is neither
an English catalog text nor holds a word that only the English catalogs use, and each lies inside its canvas (its
measured width, through the canvas's transform) at 1024×768 and at 768×1024 in large type. The CSV input is the
catalog's button, keyboard-operable, over a native file input that the browser draws nowhere."""

import re

import pytest
from conftest import LIVE_VIEW as HOOK
from test_live_texts import english_texts

from reluscope.serve.bundle import catalog

pytestmark = pytest.mark.browser

SMALL = "n_samples=300&depth=3&width=16"

# every string drawn into a canvas: [text, the canvas's data-id, its left and right ends and baseline in canvas pixels,
# the canvas's width and height]; the context's transform carries rotated text (the graph's counts) along
RECORD = """(() => {
  const drawn = window.__drawn = [];
  for (const name of ['fillText', 'strokeText']) {
    const original = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (text, x, y, ...rest) {
      const w = this.measureText(text).width, m = this.getTransform();
      const x0 = this.textAlign === 'center' ? x - w / 2 : ['right', 'end'].includes(this.textAlign) ? x - w : x;
      const ends = [[x0, y], [x0 + w, y]].map(([a, b]) => [m.a * a + m.c * b + m.e, m.b * a + m.d * b + m.f]);
      drawn.push({text: String(text), canvas: this.canvas.dataset?.id ?? '', ends, width: this.canvas.width,
                  height: this.canvas.height});
      return original.call(this, text, x, y, ...rest);
    };
  }
})()"""


def english_words() -> set[str]:
    """The words (three letters or more, any case) of the English catalogs (the page's, the views' and the data
    sets' names) that no German text of them uses."""
    tables = catalog()

    def words(lang):
        texts = [*tables["texts"][lang].values(), *tables["views"][lang].values(), *tables["datasets"][lang].values()]
        return {w.lower() for text in texts for w in re.findall(r"[^\W\d_]{3,}", re.sub(r"\{\{\w+\}\}", " ", text))}

    return words("en") - words("de")


def open_recording(live_page, hash_, size):
    """A German page of ``hash_`` that records what it draws from its first frame on."""
    return live_page(hash_, query="?lang=de", size=size, locale="de-DE", init_script=RECORD)


def frames(page, n):
    """Train for ``n`` more steps (or until the run ends: a diverging one), then stop."""
    step = page.evaluate(f"{HOOK}.step")
    page.click("[data-id=play]")
    page.wait_for_function(f"{HOOK}.step >= {step + n} || {HOOK}.status !== ''")
    page.click("[data-id=play]")


def drawn(page) -> list[dict]:
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # the last paint is done
    return page.evaluate("window.__drawn")


def check(records: list[dict]) -> None:
    """No English catalog text or English-only word, and every string inside its canvas."""
    english, words = english_texts(), english_words()
    texts = {r["text"] for r in records}
    assert [t for t in texts if any(e in t for e in english)] == []
    assert [t for t in texts if {w.lower() for w in re.findall(r"[^\W\d_]{3,}", t)} & words] == []
    outside = {(r["canvas"], r["text"]) for r in records
               if any(not (-0.5 <= x <= r["width"] + 0.5 and 0 <= y <= r["height"] + 0.5) for x, y in r["ends"])}
    assert outside == set()


@pytest.mark.parametrize(("size", "extra"), [((1024, 768), ""), ((768, 1024), "&projector=1")],
                         ids=["1024x768", "768x1024-projector"])
def test_a_german_page_draws_german_labels_that_fit(live_page, size, extra):
    page = open_recording(live_page, SMALL + extra, size)
    frames(page, 20)
    for view in page.evaluate("[...document.querySelectorAll('[data-id=v-projection] option')].map(o => o.value)"):
        page.select_option("[data-id=v-projection]", view)
        page.wait_for_function(f"{HOOK}.geo.res[{view!r}] !== undefined")
        frames(page, 2)
    page.select_option("[data-id=v-layer]", "2")
    frames(page, 2)
    records = drawn(page)
    check(records)
    texts = {r["text"] for r in records}
    de = catalog()["texts"]["de"]
    assert {de["curves_loss"], de["dead_units"], de["step"]} <= texts  # the recording saw the charts' words
    assert {de["residual_label"].replace("{{projection}}", name) for name in catalog()["views"]["de"].values()} <= texts


# a diverging run (its layer marked, its non-finite values crossed, a note in place of a view) and the digits (a
# slice: the images' rows with their residuals, the graph's 64 inputs as one bar)
@pytest.mark.parametrize(("hash_", "ready", "expected"),
                         [("n_samples=300&depth=11&width=16&init=normal&lr=1", "S.status !== '' && S.marked",
                           "×"),
                          ("dataset=digits&depth=3&width=8", "S.last.backprojection?.images",
                           "‖x − x̂‖/‖x‖ = ")],
                         ids=["diverging", "digits"])
def test_a_diverging_net_and_the_digits_draw_german_labels_that_fit(live_page, hash_, ready, expected):
    page = open_recording(live_page, hash_, (1024, 768))
    frames(page, 5)
    page.wait_for_function(f"(() => {{ const S = {HOOK}; return {ready}; }})()")
    records = drawn(page)
    check(records)
    assert any(expected in r["text"] for r in records)


def test_the_csv_input_is_a_german_button_over_a_hidden_native_input(live_page, tmp_path):
    de = catalog()["texts"]["de"]
    page = live_page(SMALL, query="?lang=de", size=(1024, 768), locale="de-DE")
    page.on("filechooser", lambda chooser: None)  # the browser's dialog intercepted from here on, before any key
    button = page.locator("[data-id=choose]")
    assert button.inner_text() == de["choose_file"] and button.get_attribute("type") == "button"
    box = page.locator("[data-id=upload]").bounding_box()
    assert box is None or box["width"] * box["height"] <= 1  # the browser's own button and "no file" are not drawn
    assert page.locator("[data-id=upload]").get_attribute("tabindex") == "-1"  # the keyboard reaches the button
    csv = tmp_path / "ring.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i % 9},{(i * 7) % 11},{int(i % 9 > 4)}\n" for i in range(60)))
    button.focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(csv))
    page.wait_for_function(f"{HOOK}.data.name === 'ring.csv'")
    assert page.input_value("[data-id=s-dataset]") == "csv"
