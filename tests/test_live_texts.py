"""The live view speaks English and German from one catalog (``serve/texts.toml``, inlined into the module): both
languages have the same keys and placeholders, ``?lang=`` or else the browser's language chooses, and a German
page shows no English catalog text and writes its numbers with the decimal comma."""

import re

import pytest
from conftest import LIVE_VIEW as HOOK

from reluscope.serve.bundle import bundle, catalog

SMALL = "n_samples=300&depth=3&width=16"
SERVER_TEXT = "[data-id=status], [data-id=errors], [data-id=bp-note], [data-id=cells-note], [data-id=busy]"
CODE_NAMES = "[data-id=s-init], [data-id=s-activation], [data-id=s-optimizer], [data-id=v-projection]"  # as the CLI
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def english_texts() -> set[str]:
    """The English catalog's texts (each up to its first placeholder) that no German text contains: none of them
    may show on a German page."""
    en, de = catalog()["texts"]["en"], catalog()["texts"]["de"]
    english = {PLACEHOLDER.split(text)[0].strip() for key, text in en.items() if text != de[key]}
    return {e for e in english if len(e) >= 4 and e not in " ".join(de.values())}


def test_both_languages_have_the_same_keys_and_placeholders():
    texts = catalog()["texts"]
    assert set(texts) == {"en", "de"} and texts["en"].keys() == texts["de"].keys()
    for key, text in texts["en"].items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(texts["de"][key])), key


def test_the_module_carries_the_catalog():
    assert "CATALOG_JSON" not in bundle() and catalog()["texts"]["de"]["boundary"] in bundle()


def shown(page) -> str:
    """Every text the view shows or names itself by (aria-label, title, placeholder), the server's own and the
    schemes' code names (``he``, ``torch-default``, as the command line spells them) aside."""
    return page.evaluate(f"""() => {{
        const root = document.querySelector('.reluscope').cloneNode(true);
        for (const n of root.querySelectorAll('{SERVER_TEXT}, {CODE_NAMES}')) n.remove();
        const attrs = [...root.querySelectorAll('[aria-label], [title], [placeholder]')]
            .flatMap(n => ['aria-label', 'title', 'placeholder'].map(a => n.getAttribute(a) || ''));
        const options = [...root.querySelectorAll('option')].map(o => o.textContent);
        return [root.textContent, ...attrs, ...options, document.title].join('\\n');
    }}""")


@pytest.mark.browser
@pytest.mark.parametrize(("query", "locale"), [("?lang=de", "en-US"), ("", "de-DE")])
def test_a_german_page_shows_no_english_text_and_no_decimal_point(live_page, query, locale):
    english, de = english_texts(), catalog()["texts"]["de"]
    page = live_page(SMALL, query=query, locale=locale)
    page.click("[data-id=play]")
    page.wait_for_function(f"{HOOK}.step >= 20")
    page.click("[data-id=play]")
    text = shown(page)
    assert page.evaluate("document.documentElement.lang") == "de"
    assert de["boundary"] in text and de["task1_about"] in text
    assert [e for e in english if e in text] == []
    assert re.findall(r"(?<!Aufgabe )\d\.\d", text) == []  # a task's number is a name, as the sheet writes it
    assert re.search(r"\d,\d", page.text_content("[data-id=scores]"))  # the scores, with the decimal comma


@pytest.mark.browser
def test_lang_en_wins_over_a_german_browser(live_page):
    page = live_page(SMALL, query="?lang=en", locale="de-DE")
    text = shown(page)
    assert (catalog()["texts"]["en"]["boundary_about"] in text
            and re.search(r"\d\.\d", page.text_content("[data-id=scores]")))


@pytest.mark.browser
def test_a_german_page_says_the_servers_words_in_german(live_page):
    """The server's sentences come as catalog keys (or, for a run's outcome, in the report's German): a run that
    diverges, the cells' note of a tanh net, a bad upload and settings out of bounds, all German, no decimal point."""
    english, de = english_texts(), catalog()["texts"]["de"]
    english |= {"diverged at step", "overflowed", "the run stopped", "not piecewise", "must be in ["}  # the library's
    page = live_page("n_samples=200&depth=6&width=16&init=normal&lr=1", query="?lang=de", locale="de-DE")
    page.click("[data-id=play]")
    page.wait_for_function("document.querySelector('[data-id=status]').textContent !== ''")
    assert page.text_content("[data-id=status]").startswith("divergiert in Schritt ")
    page.select_option("[data-id=s-activation]", "tanh")  # no cells: the note says why, in German
    said = de["note_not_piecewise"].replace("{{activation}}", "tanh")
    page.wait_for_function(f"document.querySelector('[data-id=cells-note]').textContent === {said!r}")
    page.set_input_files("[data-id=upload]", files=[{"name": "messung.csv", "mimeType": "text/csv",
                                                     "buffer": b"x1,x2,label\n1,zwei,0\n1,2,1\n3,4,0\n5,6,1\n"}])
    said = "messung.csv, Zeile 2: die Koordinaten müssen Zahlen sein"
    page.wait_for_function(f"document.querySelector('[data-id=errors]').textContent.includes({said!r})")
    page.fill("[data-id=s-lr]", "20")
    page.dispatch_event("[data-id=s-lr]", "change")
    said = "Lernrate muss zwischen 1\u202f·\u202f10⁻⁶ und 10 liegen"  # a power of ten as the report writes it
    page.wait_for_function(f"document.querySelector('[data-id=errors]').textContent.includes({said!r})")
    page.fill("[data-id=s-lr]", "1")  # back in bounds: the next refusal is the steps'
    page.fill("[data-id=s-steps]", "2.5")
    page.dispatch_event("[data-id=s-steps]", "change")
    said = "Schritte: bitte eine ganze Zahl eingeben"
    page.wait_for_function(f"document.querySelector('[data-id=errors]').textContent.includes({said!r})")
    server = page.evaluate(f"[...document.querySelectorAll('{SERVER_TEXT}')].map(n => n.textContent).join('\\n')")
    assert [e for e in english if e in server] == []
    assert re.findall(r"\d\.\d", server) == []


@pytest.mark.browser
def test_a_german_page_writes_and_reads_decimals_with_the_comma(live_page):
    """The learning rate and the noise are shown with the page's decimal sign and read with either sign, as a
    German class types them."""
    page = live_page(SMALL + "&lr=0.05&noise=0.15", query="?lang=de", locale="de-DE")
    assert page.input_value("[data-id=s-lr]") == "0,05" and page.input_value("[data-id=s-noise]") == "0,15"
    page.fill("[data-id=s-lr]", "0,02")
    page.fill("[data-id=s-noise]", "0.1")
    page.dispatch_event("[data-id=s-noise]", "change")
    page.wait_for_function(f"{HOOK}.settings.lr === 0.02 && {HOOK}.settings.noise === 0.1")
    page.wait_for_function("location.hash.includes('lr=0.02')")
    assert page.input_value("[data-id=s-lr]") == "0,02"
