"""The report's words in English and German, kept side by side.

Each stage of the study has one TOML file in ``reluscope/report/texts/`` with an ``[en]`` and a ``[de]``
table holding the same keys: headings, answers, captions, table columns. A text is Markdown with ``$…$``
math; ``{{name}}`` or ``{{name:spec}}`` marks a value filled in from the run, so LaTeX's own braces need no
escaping. A number is written as the text's language writes it (``reluscope.report.numbers.number``: 0.5 in
English, 0,5 in German); inside ``$…$`` one that is more than digits is set as ``\\text{…}`` (math would space out
a decimal comma). ``tests/test_texts.py`` checks that both languages have the same keys and the same
placeholders, ``tests/test_glossary.py`` that they use the glossary's words.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from reluscope.errors import ReluscopeError
from reluscope.report.numbers import number

LANGUAGES = ("en", "de")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*(?::([^}]*))?\}\}")  # {{name}} or {{name:.3g}}
TEXTS = files("reluscope.report") / "texts"


@cache
def catalog(name: str) -> dict[str, dict[str, str]]:
    """``texts/NAME.toml`` as {language: {key: text}} (``glossary`` as its own tables)."""
    return tomllib.loads((TEXTS / f"{name}.toml").read_text(encoding="utf-8"))


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ReluscopeError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


@dataclass(frozen=True)
class Texts:
    """The texts of one catalog in one language: ``t("key", value=…)`` fills the key's placeholders."""

    name: str
    lang: str

    def __call__(self, key: str, /, **values) -> str:
        text = catalog(self.name)[self.lang][key]

        def fill(m: re.Match) -> str:
            filled = self.number(values[m.group(1)], m.group(2) or "")
            in_math = text.count("$", 0, m.start()) % 2 == 1  # an odd number of $ before it: inside $…$
            return rf"\text{{{filled}}}" if in_math and not filled.isdigit() else filled

        return PLACEHOLDER.sub(fill, text)

    def number(self, value, spec: str = "") -> str:
        """``value`` formatted by ``spec`` as this language writes numbers (``numbers.number``)."""
        return number(value, spec, self.lang)


def dataset_name(name: str, lang: str) -> str:
    """A data set as ``lang`` names it: a built-in one by ``texts/datasets.toml``, a CSV by its path."""
    return catalog("datasets")[check_language(lang)].get(name, name)


def texts(name: str, lang: str) -> Texts:
    """The catalog ``texts/NAME.toml`` in ``lang`` (``en`` or ``de``)."""
    check_language(lang)
    if lang not in catalog(name):
        raise ReluscopeError(f"texts/{name}.toml has no [{lang}] table")
    return Texts(name, lang)
