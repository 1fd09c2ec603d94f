"""The derivations shown in the report are read from ``docs/theory.md`` (English) and ``docs/theory.de.md``
(German), their one source of truth.

Each file has one ``## N. Title`` section per topic, with the same numbers and sub-sections in both
languages. ``theory_section(N, lang)`` splits section N's Markdown into the derivation (HTML comments
dropped, sub-headings moved one level down so they sit under the report's own) and its evidence: every
block quote that starts with ``**Tests:**`` names the tests that check the sub-section above it; the
report shows them in its appendix, not in the running text. The files are found in the source tree the
package runs from (a clone, an editable install); an installed wheel has no ``docs/``, and then the
derivation says where it lives instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import reluscope
from reluscope.report.texts import texts

DOCS = Path(reluscope.__file__).resolve().parents[2] / "docs"
FILES = {"en": "theory.md", "de": "theory.de.md"}
EVIDENCE = re.compile(r"^> \*\*Tests:\*\*.*?(?=\n(?!>)|\Z)", flags=re.S | re.M)  # a '> **Tests:** …' quote
HEADING = re.compile(r"^#{3,5} (.*)$", flags=re.M)


@dataclass
class Theory:
    """One section of the theory: its derivation and, per sub-section, the tests that check it."""

    derivation: str  # Markdown
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (sub-section heading, Markdown)


def theory_section(number: int, lang: str = "en", docs: Path = DOCS) -> Theory:
    """Section ``## {number}.`` of the theory in ``lang``; a pointer to the file if it is absent."""
    path = docs / FILES[lang]
    pointer = Theory(texts("page", lang)("theory_pointer", file=f"docs/{FILES[lang]}", number=number))
    if not path.is_file():
        return pointer
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    match = re.search(rf"^## {number}\.[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    body = match.group(1).strip() if match else ""
    if not body:
        return pointer
    evidence = []
    for quote in EVIDENCE.finditer(body):
        headings = HEADING.findall(body, 0, quote.start())
        evidence.append((headings[-1] if headings else "", re.sub(r"^> ?", "", quote.group(0), flags=re.M)))
    derivation = EVIDENCE.sub("", body)
    derivation = re.sub(r"\n{3,}", "\n\n", re.sub(r"^(#{3,5}) ", r"#\1 ", derivation, flags=re.M)).strip()
    return Theory(derivation, evidence)
