"""The report's texts: every catalog has the same keys and placeholders in English and German (the sheet's quotes
are German only), every text renders as Markdown with math, a placeholder takes a format spec, a run's ending
reads as the library describes it, and a German study shows no English text of a catalog."""

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

import reluscope.report.texts

from reluscope.data import DATASETS
from reluscope.errors import ReluscopeError
from reluscope.report import config
from reluscope.report.document import Image, Table, Viewer
from reluscope.report import theory
from reluscope.report.html import render_html
from reluscope.report.markup import markdown_to_html
from reluscope.report.study import run_study
from reluscope.report.task1 import how_it_ended
from reluscope.report.texts import LANGUAGES, PLACEHOLDER, TEXTS, Texts, catalog, dataset_name, texts
from reluscope.train.outcome import describe

CATALOGS = sorted(p.name.removesuffix(".toml") for p in TEXTS.iterdir()
                  if p.name.endswith(".toml") and p.name != "glossary.toml")  # the glossary is no catalog
GERMAN_ONLY = {"sheet"}  # the course sheet's words, quoted in the original German in both languages
STAGES = ("task0", "task1", "task2", "cells")  # the catalogs of the study's stages


@pytest.mark.parametrize("name", CATALOGS)
def test_both_languages_have_the_same_keys_and_placeholders(name):
    tables = catalog(name)
    if name in GERMAN_ONLY:
        assert set(tables) == {"de"} and all(text.strip() for text in tables["de"].values())
        return
    assert set(tables) == set(LANGUAGES)
    en, de = tables["en"], tables["de"]
    assert set(en) == set(de)
    for key in en:
        names = [sorted(m[0] for m in PLACEHOLDER.findall(tables[lang][key])) for lang in LANGUAGES]
        assert names[0] == names[1], key
        assert en[key].strip() and de[key].strip(), key


@pytest.mark.parametrize("name", CATALOGS)
def test_every_text_renders_its_math(name):
    for lang in catalog(name):
        for key, text in catalog(name)[lang].items():
            html = markdown_to_html(PLACEHOLDER.sub("1", text))
            assert "$" not in html.replace("\\$", ""), (name, lang, key)  # every $…$ became MathML


def test_placeholders_take_a_format_spec_and_leave_latex_braces_alone(monkeypatch):
    text = "$\\mathbb{R}^{n}$ {{x:.2f}} {{ y }}"
    monkeypatch.setattr(reluscope.report.texts, "catalog", lambda name: {"en": {"k": text}})
    assert Texts("any", "en")("k", x=3.14159, y="a") == "$\\mathbb{R}^{n}$ 3.14 a"


def test_an_unknown_language_is_refused():
    with pytest.raises(ReluscopeError, match="unknown language 'fr'"):
        texts(CATALOGS[0] if CATALOGS else "page", "fr")


RUN = dict(status="ok", chance_accuracy=0.502, best_train_accuracy=0.997, best_step=450, diverged_at_step=None,
           diverged_layer=None, collapsed_at_step=None, collapsed_layer=None)
ENDINGS = [dict(RUN, status="diverged", diverged_at_step=3, diverged_layer="layer 2 (2)"),
           dict(RUN, status="collapsed", collapsed_at_step=500, collapsed_layer="layer 9 (16)"),
           dict(RUN, status="collapsed", collapsed_at_step=500), dict(RUN, status="stalled"), RUN]


@pytest.mark.parametrize("metrics", ENDINGS, ids=lambda m: f"{m['status']}-{m['collapsed_layer']}")
def test_a_runs_ending_reads_in_english_as_the_library_describes_it_and_is_translated(metrics):
    library = re.sub(r"(layer \d+) \(\d+\)", r"\1", describe(metrics))  # the layer without its module index
    assert how_it_ended(metrics, texts("task1", "en")) == library
    german = how_it_ended(metrics, texts("task1", "de"))
    assert german != library or metrics["status"] == "ok"
    for number in re.findall(r"\d+(?:\.\d+)?", library):
        assert number.replace(".", ",") in german  # the same step, accuracy and layer numbers, with a comma


ENGLISH = re.compile(r"\b(the|of|and|with|at|per|step|steps|training|accuracy|train|test|layer|run|cells?|depth|"
                     r"theory|variance|measured|expected|loss|network|which|every|each|derivation)\b", flags=re.I)
GERMAN = re.compile(r"\b(der|die|das|und|mit|ist|nicht|schicht|schritte?|genauigkeit|herleitung|zellen|netz|netzes|"
                    r"jede[rs]?|welche|von|auf)\b", flags=re.I)


COURSE_TERMS = re.compile(r"\bLayer|Genauigkeit \(Accuracy\)")  # the German sheet's own words: "Layer", "Accuracies"


def _prose(text: str) -> str:
    """``text`` without its math, placeholders, code and the course's English terms: the words to check."""
    return COURSE_TERMS.sub(" ", re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{\{[^}]*\}\}|`[^`]*`", " ", text, flags=re.S))


@pytest.mark.parametrize("name", STAGES)
def test_no_text_of_a_stage_uses_a_word_of_the_other_language(name):
    for lang, other in (("de", ENGLISH), ("en", GERMAN)):
        for key, text in catalog(name)[lang].items():
            words = set(other.findall(_prose(text)))
            assert not words, (name, lang, key, words)


@pytest.fixture(scope="module", params=["spirals", "digits"])
def german_study(request):
    """A German study on a tiny budget (a few training steps, coarse grids): every stage, every text; in the
    input plane (spirals) and on the plane through three data points (the 64-pixel digits)."""
    tiny = replace(config.QUICK, run=replace(config.QUICK.run, n_samples=120, steps=20, snapshots=1), grid=12,
                   pixels=12, warp_grid=6)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "QUICK", tiny)
        yield run_study(config.StudyConfig(dataset=request.param, quick=True, lang="de"))


def _texts_on_page(report) -> list[str]:
    """Every text of the stages' sections but the sheet's quotes: titles, answers, findings, captions, tables,
    viewer controls."""
    found = []
    for s in report.sections:
        found += [s.title, s.answer]
        for b in s.blocks:
            if isinstance(b, str):
                found.append(b)
            elif isinstance(b, Table):
                found += [b.caption, *b.columns, *(cell for row in b.rows for cell in row)]
            elif isinstance(b, Image):
                found.append(b.caption)
            elif isinstance(b, Viewer):
                found += [b.caption, *(a.label for a in b.axes), *(o for a in b.axes for o in a.options)]
    return found


def _fragments(text: str) -> list[str]:
    """The literal pieces of a catalog text between its placeholders, math left out, long enough to be telling."""
    return [f.strip() for f in re.split(r"\{\{[^}]*\}\}|\$\$.*?\$\$|\$[^$]*\$", text, flags=re.S)
            if len(f.strip()) >= 12]


@pytest.mark.slow
def test_a_german_study_shows_no_english_text_of_any_stage(german_study):
    page = "\n".join(_texts_on_page(german_study))
    assert [s.question for s in german_study.sections if s.id in STAGES] == [
        texts("sheet", "de")(name) for name in STAGES]  # the sheet quoted in German
    for name in STAGES:
        en, de = catalog(name)["en"], catalog(name)["de"]
        for key in en:
            for fragment in _fragments(en[key]):
                assert fragment in de[key] or fragment not in page, (name, key, fragment)
    words = set(ENGLISH.findall(_prose(page)))
    assert not words, words



class _VisibleText(HTMLParser):
    """The text a reader sees on the page, one text node a line: the sheet's quotes, code, the provenance table
    (package versions) and scripts left out; ``prose`` leaves out the formulas too."""

    SKIP = {"script", "style", "code", "pre"}
    SKIP_CLASSES = {"question", "provenance"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr", "mspace", "none", "mprescripts"}

    def __init__(self):
        super().__init__()
        self.stack, self.lines, self.prose = [], [], []  # stack: (skipped, in math) per open element

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skipped = tag in self.SKIP or bool(classes & self.SKIP_CLASSES)
        self.stack.append((skipped, tag == "math"))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip() and not any(skipped for skipped, _ in self.stack):
            self.lines.append(data.strip())
            if not any(math for _, math in self.stack):
                self.prose.append(data.strip())


SECTION = r"\d+(?:\.\d+)+"  # "1.4", "2.5"
# "Aufgabe 1.4", "§1.1–1.3"
SECTION_WORDS = re.compile(rf"(?:Aufgaben?|Abschnitte?n?|§)\s*{SECTION}(?:–{SECTION})?")
THEORY_HEADING = re.compile(r"^#{2,5} (\d+(?:\.\d+)+)", flags=re.M)
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{3,}")
TITLE = re.compile(r'"[^"]*"')  # a paper's English title, quoted in the theory's references


def _section_labels() -> set[str]:
    """The numbers of the sheet's sub-tasks and of the theory's sub-sections, which a page writes with points."""
    labels = set(THEORY_HEADING.findall((theory.DOCS / "theory.de.md").read_text(encoding="utf-8")))
    return labels | {"1.1", "1.2", "1.3", "1.4", "2.1", "2.2"}


def _english_only_words() -> set[str]:
    """Words of the English catalogs that no German catalog uses (math, placeholders and code left out), but
    the words German uses as they stand (the glossary's loanwords)."""
    def words(lang):
        found = set()
        for name in CATALOGS:
            for text in catalog(name).get(lang, {}).values():
                plain = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{\{[^}]*\}\}|`[^`]*`", " ", text, flags=re.S)
                found |= {w.lower() for w in WORD.findall(plain)}
        return found
    return words("en") - words("de") - {w.lower() for w in catalog("glossary")["loanwords"]}


@pytest.mark.slow
def test_a_german_page_writes_numbers_with_a_comma_and_no_english_word(german_study, request):
    """The German page as a reader sees it (the derivations from docs/theory.de.md included): no number with a
    decimal point (section numbers such as 1.4 aside), no word that only the English catalogs use (the titles of
    cited papers aside), no data set by its English name."""
    page = _VisibleText()
    page.feed(render_html(german_study))
    labels = _section_labels()
    points = [(m[0], line) for line in page.lines for m in re.finditer(r"\d+\.\d+", SECTION_WORDS.sub(" ", line))
              if not (m.start() == 0 and m[0] in labels)]
    assert not points, points
    english = _english_only_words()
    found = {w for line in page.prose for w in WORD.findall(TITLE.sub(" ", line)) if w.lower() in english}
    assert not found, found
    names = {n for n in DATASETS if dataset_name(n, "de") != n}
    assert not names & {w for line in page.prose for w in re.findall(r"\w+", line)}, "a data set named in English"
    assert dataset_name(request.node.callspec.params["german_study"], "de") in german_study.title
