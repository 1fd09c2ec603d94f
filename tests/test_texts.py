"""The report's texts: every catalog has the same keys and placeholders in English and German, every text
renders as Markdown with math, and a placeholder takes a format spec."""

import pytest

import reluscope.report.texts

from reluscope.errors import ReluscopeError
from reluscope.report.markup import markdown_to_html
from reluscope.report.texts import LANGUAGES, PLACEHOLDER, TEXTS, Texts, catalog, texts

CATALOGS = sorted(p.name.removesuffix(".toml") for p in TEXTS.iterdir() if p.name.endswith(".toml"))


@pytest.mark.parametrize("name", CATALOGS)
def test_both_languages_have_the_same_keys_and_placeholders(name):
    tables = catalog(name)
    assert set(tables) == set(LANGUAGES)
    en, de = tables["en"], tables["de"]
    assert set(en) == set(de)
    for key in en:
        assert sorted(m[0] for m in PLACEHOLDER.findall(en[key])) == sorted(m[0] for m in PLACEHOLDER.findall(de[key])), key
        assert en[key].strip() and de[key].strip(), key


@pytest.mark.parametrize("name", CATALOGS)
def test_every_text_renders_its_math(name):
    for lang in LANGUAGES:
        for key, text in catalog(name)[lang].items():
            html = markdown_to_html(PLACEHOLDER.sub("1", text))
            assert "$" not in html.replace("\\$", ""), (name, lang, key)  # every $…$ became MathML


def test_placeholders_take_a_format_spec_and_leave_latex_braces_alone(monkeypatch):
    monkeypatch.setattr(reluscope.report.texts, "catalog", lambda name: {"en": {"k": "$\\mathbb{R}^{n}$ {{x:.2f}} {{ y }}"}})
    assert Texts("any", "en")("k", x=3.14159, y="a") == "$\\mathbb{R}^{n}$ 3.14 a"


def test_an_unknown_language_is_refused():
    with pytest.raises(ReluscopeError, match="unknown language 'fr'"):
        texts(CATALOGS[0] if CATALOGS else "page", "fr")
