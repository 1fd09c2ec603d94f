"""One word per idea: every catalog in both languages (the report's and the live view's ``serve/texts.toml``) and the
theory in both languages use the glossary's word for each idea (``texts/glossary.toml``), never one of the words it
lists to avoid; a run's status has one name in every table."""

import re
from pathlib import Path

import pytest

from reluscope.report.texts import LANGUAGES, TEXTS, catalog
from reluscope.serve.bundle import catalog as live_catalog
from reluscope.serve.exercises import exercises

ROOT = Path(__file__).resolve().parents[1]
DOCS = {"en": ROOT / "docs" / "theory.md", "de": ROOT / "docs" / "theory.de.md"}
CATALOGS = sorted(p.name.removesuffix(".toml") for p in TEXTS.iterdir()
                  if p.name.endswith(".toml") and p.name not in ("glossary.toml", "sheet.toml"))  # the sheet's own


def _words(text: str) -> str:
    """``text`` without code (identifiers, options, file names) and placeholders: the words a reader reads."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    return re.sub(r"`[^`\n]*`|\{\{[^}]*\}\}", " ", text)


def _sources(lang: str) -> dict[str, str]:
    """Every text in ``lang``: each catalog key, and the theory."""
    found = {f"{name}.toml:{key}": _words(text) for name in CATALOGS for key, text in catalog(name)[lang].items()}
    found |= {f"serve/texts.toml:{key}": _words(text) for key, text in live_catalog()["texts"][lang].items()}
    found[DOCS[lang].name] = _words(DOCS[lang].read_text(encoding="utf-8"))
    for e in exercises(lang):  # the playground's exercises; a German task is the sheet's own words
        found.update({f"exercises.toml:{e['id']}.{key}": e[key] for key in ("title", "question", "task")
                      if not (key == "task" and lang == "de")})
    return found


def _pattern(word: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w])")  # the word alone, or as a compound's first part


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_uses_the_glossarys_word_for_each_idea(lang):
    sources = _sources(lang)
    found = [(term[lang], word, where) for term in catalog("glossary")["term"] for word in term.get(f"avoid_{lang}", [])
             for where, text in sources.items() if _pattern(word).search(text)]
    assert not found, found


def test_the_glossary_names_every_idea_in_both_languages_and_avoids_none_of_its_own_words():
    terms = catalog("glossary")["term"]
    assert len(terms) >= 10
    for term in terms:
        assert all(term.get(lang, "").strip() for lang in LANGUAGES), term
        for lang in LANGUAGES:
            own = {t[lang] for t in terms}
            assert not own & set(term.get(f"avoid_{lang}", [])), term


def test_the_glossary_is_used():
    """Each German word of the glossary appears in a German text: the glossary lists the words in use."""
    german = "\n".join(_sources("de").values())
    unused = [term["de"] for term in catalog("glossary")["term"] if term["de"].split()[0] not in german]
    assert not unused, unused


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_status_has_one_name_in_every_table(lang):
    names = {}
    for name in CATALOGS:
        for key, text in catalog(name)[lang].items():
            if key.startswith("status_"):
                names.setdefault(key, set()).add(text)
    assert names and all(len(v) == 1 for v in names.values()), names
