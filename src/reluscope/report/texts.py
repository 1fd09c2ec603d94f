"""The report's words in English and German, kept side by side.

Each stage of the study has one TOML file in ``reluscope/report/texts/`` with an ``[en]`` and a ``[de]``
table holding the same keys: headings, answers, captions, table columns. A text is Markdown with ``$…$``
math; ``{{name}}`` or ``{{name:spec}}`` marks a value filled in from the run (``format(value, spec)``), so
LaTeX's own braces need no escaping. ``tests/test_texts.py`` checks that both languages have the same keys
and the same placeholders.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from reluscope.errors import ReluscopeError

LANGUAGES = ("en", "de")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*(?::([^}]*))?\}\}")  # {{name}} or {{name:.3g}}
TEXTS = files("reluscope.report") / "texts"


@cache
def catalog(name: str) -> dict[str, dict[str, str]]:
    """``texts/NAME.toml`` as {language: {key: text}}."""
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
        return PLACEHOLDER.sub(lambda m: format(values[m.group(1)], m.group(2) or ""), text)


def texts(name: str, lang: str) -> Texts:
    """The catalog ``texts/NAME.toml`` in ``lang`` (``en`` or ``de``)."""
    check_language(lang)
    if lang not in catalog(name):
        raise ReluscopeError(f"texts/{name}.toml has no [{lang}] table")
    return Texts(name, lang)
