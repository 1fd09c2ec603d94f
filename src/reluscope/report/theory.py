"""The derivations shown in the report are read from ``docs/theory.md``, their one source of truth.

``docs/theory.md`` has one ``## N. Title`` section per topic; ``theory_section(N)`` returns section N's
Markdown (HTML comments dropped, sub-headings moved one level down so they sit under the report's own).
The file is found in the source tree the package runs from (a clone, an editable install); an installed
wheel has no ``docs/``, and then the section says where the derivation lives instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import reluscope

THEORY = Path(reluscope.__file__).resolve().parents[2] / "docs" / "theory.md"


def theory_section(number: int, path: Path = THEORY) -> str:
    """Markdown body of section ``## {number}.`` of ``path`` (without its heading); a pointer if absent."""
    pointer = f"*The derivation is section {number} of `docs/theory.md` in the reluscope source tree.*"
    if not path.is_file():
        return pointer
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    match = re.search(rf"^## {number}\.[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    body = match.group(1).strip() if match else ""
    if not body:
        return pointer
    return re.sub(r"^(#{3,5}) ", r"#\1 ", body, flags=re.M)
