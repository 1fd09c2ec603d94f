"""The quick study's report, in English and in German, in headless Chromium (Debian's, driven by Playwright) and
on paper: it loads offline with no console error, every section reads question → answer → figures → a closed
derivation, no formula hides in a code span, every figure fills the column and enlarges on click, each page
speaks one language, axe-core finds no serious accessibility violation, and ``--pdf`` prints every task on
pages of its own with no figure cut in two."""

import re
import unicodedata
from html import unescape
from pathlib import Path

import pytest
from conftest import use_tiny_quick, watch

from reluscope.cli import main

SECTIONS = ["task0", "task1", "task2", "cells", "summary"]  # in the sheet's order, among others
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# a formula in plain text: operators, relations, Greek letters, super- and subscripts, accents (x̂), a one-letter
# symbol with an index (h_l, W_1) or an argument (N(0, 1), E[h]); an identifier (bias_init, torch.linalg.pinv) is none
MATH = re.compile(r"[=^±×·÷−√∑∏∞∂∇∈∉⊂⊆∪∩∘"
                  r"≤≥≈≠≡→⇒⇔‖⁺⁻ᵀ²³¹⁰⁴-⁹₀-₉"
                  r"\u0300-\u036f\u0370-\u03ff\u2200-\u22ff]"
                  r"|\b\w_\{?\w{1,3}\}?\b|\b[A-Z][(\[]")
# Words of one language that no heading or caption of the other may hold ("training" and "layer" are left out:
# the sheet's German uses "Training" and "Layer" too).
WORDS = {
    "en": {"the", "of", "and", "with", "step", "steps", "accuracy", "derivation", "cells", "network", "which",
           "every", "each"},
    "de": {"der", "die", "das", "und", "mit", "schicht", "schichten", "schritt", "schritte", "genauigkeit",
           "herleitung", "zellen", "netz", "netzes", "jede", "jeder", "welche"},
}
LABELS = "h1, h2, h3, h4, figcaption, caption, th, summary, nav a, .controls label, .controls .group, .question .label"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    """The quick study in German on a tiny budget (conftest's ``use_tiny_quick``): the page's language, layout and
    controls are the point here; the English page reads the quick study itself."""
    out = tmp_path_factory.mktemp("report") / "de"
    with pytest.MonkeyPatch.context() as mp:
        use_tiny_quick(mp)
        assert main(["study", "--quick", "--lang", "de", "--out", str(out)]) == 0
    return out


# Each language's page is a unit of its own for xdist: the English one with the other readers of conftest's
# ``quick_study`` (also printed to report.pdf), the German one, with the study it builds, free for another worker.
@pytest.fixture(scope="module", params=[pytest.param("en", marks=pytest.mark.xdist_group("quick_study")),
                                        pytest.param("de", marks=pytest.mark.xdist_group("german_study"))])
def report(request, chromium):
    """(page, lang, console errors, outside requests): the report in ``lang`` opened at a 1280 px viewport."""
    lang = request.param
    study = request.getfixturevalue({"en": "quick_study", "de": "german"}[lang])
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    errors, outside = watch(page, ("file:", "data:"))
    page.goto((study / "report.html").as_uri())
    page.wait_for_load_state("load")
    yield page, lang, errors, outside
    page.close()


def _sections(page) -> list[str]:
    return page.eval_on_selector_all("main > section:not(.appendix)", "els => els.map(e => e.id)")


def test_loads_offline_in_its_language_without_console_errors(report, tmp_path):
    page, lang, errors, outside = report
    assert errors == [] and outside == []
    assert page.evaluate("document.documentElement.lang") == lang
    page.screenshot(path=str(tmp_path / f"{lang}.png"))
    assert (tmp_path / f"{lang}.png").stat().st_size > 10_000


def test_every_section_is_present_in_order(report):
    page = report[0]
    ids = _sections(page)
    assert [i for i in ids if i in SECTIONS] == SECTIONS and ids[-1] == "summary"
    assert page.eval_on_selector_all("nav a", "links => links.map(a => a.hash.slice(1))") == [*ids, "evidence"]
    for sid in ids:
        assert page.locator(f"#{sid} > h2").is_visible()


def test_a_section_reads_question_answer_figures_derivation(report):
    """Each task: its h2, the sheet's question quoted in German, the answer, the figures, the derivation
    closed (one click opens it), then a link to its tests in the appendix, which links back."""
    page = report[0]
    for sid in _sections(page)[:-1]:  # every task, not the summary
        kinds = page.eval_on_selector_all(f"#{sid} > *", """els => els.map(e =>
            e.matches('h2') ? 'h2' : e.matches('.question') ? 'question' : e.matches('.answer') ? 'answer'
            : e.matches('details.derivation') ? 'derivation' : e.matches('.to-evidence') ? 'evidence' : 'block')""")
        assert kinds[:3] == ["h2", "question", "answer"], (sid, kinds)
        assert "block" in kinds and kinds.index("block") == 3, (sid, kinds)
        assert page.locator(f"#{sid} .question blockquote").get_attribute("lang") == "de"
        if kinds[-1] == "evidence":
            kinds.pop()
            target = page.locator(f"#{sid} .to-evidence a").get_attribute("href")
            assert page.locator(f"{target} a[href='#{sid}']").count() == 1  # and back
        if "derivation" not in kinds:
            continue
        assert kinds[-1] == "derivation" and set(kinds[3:-1]) == {"block"}, (sid, kinds)
        details = page.locator(f"#{sid} > details.derivation")
        body = details.locator(".derivation-body")
        assert details.get_attribute("open") is None and not body.is_visible()
        details.locator("summary").click()
        assert body.is_visible()
        details.locator("summary").click()


def test_test_names_stand_in_the_appendix_not_in_the_sections(report):
    page = report[0]
    texts = page.eval_on_selector_all("main > section:not(.appendix)", "els => els.map(e => [e.id, e.textContent])")
    assert [sid for sid, text in texts if "tests/test_" in text] == []
    assert "tests/test_" in page.locator("#evidence").text_content()


def test_every_image_is_loaded(report):
    page = report[0]
    widths = page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert widths and all(w > 0 for w in widths)
    assert page.eval_on_selector_all("math", "m => m.length") > 0


def test_every_figure_fills_the_column(report):
    page = report[0]
    widths = page.eval_on_selector_all("main figure img", "imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert len(widths) >= len(SECTIONS) and min(widths) >= 720, widths


def test_no_formula_of_a_derivation_is_a_code_span(report):
    page = report[0]
    codes = page.eval_on_selector_all("details.derivation code", "els => els.map(e => e.textContent)")
    assert [c for c in codes if MATH.search(c)] == []
    assert page.eval_on_selector_all("details.derivation math", "m => m.length") > 0


def test_headings_and_captions_speak_the_page_language(report):
    """The page's headings, captions, table headers and control labels hold no word of the other language
    (the sheet's German quotes, marked ``lang="de"``, are left out on the English page; formulas and code too)."""
    page, lang = report[:2]
    texts = page.eval_on_selector_all(LABELS, """(els, lang) => els
        .filter(e => e.closest('[lang]').lang === lang && !e.closest('dialog'))
        .map(e => { const c = e.cloneNode(true); c.querySelectorAll('math, code').forEach(m => m.remove());
                    return c.textContent; })""", lang)
    other = WORDS["de" if lang == "en" else "en"]
    wrong = sorted({(w, t.strip()[:80]) for t in texts for w in re.findall(r"\w+", t.lower()) if w in other})
    assert wrong == [], f"{len(wrong)} words of the other language: {wrong}"


def _viewers_with(page, control):
    return page.locator("figure.viewer").filter(has=page.locator(control)).all()


def test_the_training_step_slider_changes_the_frame(report):
    page = report[0]
    viewers = _viewers_with(page, "input[type=range]")
    assert viewers
    for viewer in viewers:
        slider, img, out = viewer.locator("input[type=range]"), viewer.locator("img"), viewer.locator("output")
        before, label = img.get_attribute("src"), out.text_content()
        slider.focus()
        slider.press("Home")  # a keyboard move fires the input event as a drag would
        assert img.get_attribute("src") != before and out.text_content() != label
        assert slider.get_attribute("aria-valuetext") == out.text_content()
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        slider.press("End")
        assert img.get_attribute("src") == before and out.text_content() == label


def test_selectors_and_toggles_change_the_frame(report):
    page = report[0]
    for viewer in _viewers_with(page, "select"):
        select, img = viewer.locator("select").first, viewer.locator("img")
        before, current = img.get_attribute("src"), select.evaluate("s => s.selectedIndex")
        select.select_option(index=0 if current else select.locator("option").count() - 1)
        assert img.get_attribute("src") != before
    for viewer in _viewers_with(page, ".toggle"):
        img = viewer.locator("img")
        before = img.get_attribute("src")
        viewer.locator(".toggle label").filter(has=page.locator("input:not(:checked)")).first.click()
        assert img.get_attribute("src") != before


def test_a_click_enlarges_the_current_frame_and_escape_closes_it(report):
    """The lightbox: opened by keyboard or click, the frame at the window's size, ← → step the slider."""
    page = report[0]
    dialog, large = page.locator("dialog.lightbox"), page.locator("dialog.lightbox img")
    viewer = _viewers_with(page, "input[type=range]")[0]
    slider, button = viewer.locator("input[type=range]"), viewer.locator("button.enlarge")
    slider.focus()
    slider.press("Home")
    button.focus()
    page.keyboard.press("Enter")  # the keyboard opens it as a click does
    assert dialog.is_visible() and large.get_attribute("src") == viewer.locator("img").get_attribute("src")
    box = large.bounding_box()
    assert box["width"] >= 0.9 * 1280 or box["height"] >= 0.75 * 900, box  # the window's size, not the column's
    assert page.evaluate("document.activeElement.className") == "close"
    first = large.get_attribute("src")
    page.keyboard.press("ArrowRight")  # moves the viewer's slider while enlarged
    assert slider.input_value() == "1" and large.get_attribute("src") == viewer.locator("img").get_attribute("src")
    assert large.get_attribute("src") != first
    page.keyboard.press("Escape")
    assert not dialog.is_visible() and page.evaluate("document.activeElement.className") == "enlarge"
    page.locator("main figure:not(.viewer) button.enlarge").first.click()
    assert dialog.is_visible()
    page.locator("dialog.lightbox .close").click()
    assert not dialog.is_visible()
    slider.press("End")


def test_axe_finds_no_serious_accessibility_violation(report):
    page = report[0]
    page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = true)")  # the derivations' math too
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = false)")
    assert violations == []
    assert report[2] == []  # no console error after all of it


# --- paper ---------------------------------------------------------------------------------------------------

def _text(s: str) -> str:
    """Text as the PDF's and the page's compare: entities decoded, ligatures split, white space single."""
    return " ".join(unicodedata.normalize("NFKC", unescape(s)).split())


@pytest.fixture(scope="module")
def pdf(chromium, quick_study):
    """The English report's PDF: (its pages' text, the image XObjects each page draws, its first page's size);
    skipped with ``chromium`` where none is installed (then the study printed none)."""
    pypdf = pytest.importorskip("pypdf")
    assert (quick_study / "report.pdf").is_file()  # printed with ``--pdf``
    reader = pypdf.PdfReader(quick_study / "report.pdf")
    pages = [_text(p.extract_text() or "") for p in reader.pages]
    draws = [_image_ids(p) for p in reader.pages]
    return pages, draws, reader.pages[0].mediabox


def _image_ids(page) -> list[int]:
    """The ids of the image XObjects a PDF page draws (a figure split across pages is drawn on both)."""
    found = []
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    for ref in (xobjects.get_object().values() if xobjects else []):
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            found.append(ref.idnum)
        elif obj.get("/Subtype") == "/Form":  # Chromium wraps some draws in a form XObject
            found += _image_ids(obj)
    return found


def test_the_pdf_is_a4_with_each_task_starting_a_page(pdf, quick_study):
    pages, _, box = pdf
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4 in mm
    html = (quick_study / "report.html").read_text()
    titles = re.findall(r'<section id="[^"]+">\s*<h2>(.*?)</h2>', html)  # every task's and the summary's
    starts = [next((i for i, text in enumerate(pages) if text.startswith(_text(t))), None) for t in titles]
    assert None not in starts and starts == sorted(set(starts)), list(zip(titles, starts))
    assert len(titles) >= len(SECTIONS) and len(pages) >= len(titles) + 1


def test_the_pdf_cuts_no_figure_and_prints_the_derivations(pdf, quick_study):
    pages, draws, _ = pdf
    html = (quick_study / "report.html").read_text()
    figures = html.count('class="enlarge"')  # one per figure and viewer
    drawn = [i for ids in draws for i in ids]
    assert len(drawn) == len(set(drawn)) == figures  # each figure drawn on exactly one page
    derivations = re.findall(r'<details class="derivation".*?</details>', html, flags=re.S)
    sentences = [p for d in derivations for p in re.findall(r"<p>([^<]{60,})", d)]  # no math, no code
    assert sentences and all(_text(s)[:50] in " ".join(pages) for s in sentences[:3])
