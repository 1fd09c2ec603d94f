"""The docs point every formula and claim to the test that checks it: each named test must exist. The theory
is typeset math: every formula is ``$…$``/``$$…$$`` that latex2mathml converts, none is a code span, and the
test references sit in ``> **Tests:**`` quotes (the report's appendix), not in the running text."""

import html
import re
from pathlib import Path

import pytest

from reluscope.report.markup import markdown_to_html
from reluscope.report.theory import EVIDENCE

ROOT = Path(__file__).resolve().parents[1]
THEORY = ["theory.md", "theory.de.md"]  # the German file mirrors the English one, section by section
MATH_CHARS = set("=≤≥≈×·√∑∏∫σμφχξκλπ²³⁺⁻₀₁₂∞∈→⇒⇔^ᵀ±−∘⊆")


def theory(doc: str) -> str:
    path = ROOT / "docs" / doc
    if not path.is_file():
        pytest.skip(f"docs/{doc} is not written yet")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("doc, at_least", [("theory.md", 31), ("training.md", 1)])
def test_every_test_named_in_the_docs_exists(doc, at_least):
    """``tests/f.py::test_x`` must be defined in f; a bare ``::test_y`` (file named nearby) in some test file."""
    text = (ROOT / "docs" / doc).read_text()
    sources = {p.name: p.read_text() for p in (ROOT / "tests").glob("test_*.py")}
    refs = re.findall(r"(?:tests/(test_\w+\.py))?::(test_\w+)", text)
    refs += [("", name) for name in re.findall(r"`(test_\w+)`", text)]  # a bare test name as a code span
    assert len(refs) >= at_least
    missing = [(f, t) for f, t in refs
               if not any(re.search(rf"def {t}\b", src) for name, src in sources.items() if f in ("", name))]
    assert not missing, missing


@pytest.mark.parametrize("doc", THEORY)
def test_no_formula_is_a_code_span(doc):
    """Code spans and code blocks hold identifiers, paths, options and scheme names; a math character in one
    is a formula that should be ``$…$``."""
    codes = re.findall(r"<code[^>]*>(.*?)</code>", markdown_to_html(theory(doc)), flags=re.S)
    formulas = [html.unescape(c) for c in codes if MATH_CHARS & set(html.unescape(c))]
    assert not formulas, formulas


@pytest.mark.parametrize("doc", THEORY)
def test_every_formula_converts_to_mathml(doc):
    """The report's converter turns each ``$…$``/``$$…$$`` into MathML (an unsupported formula raises); a
    command latex2mathml does not know stays as its name (``<mi>\\qed</mi>``) and an unknown environment such
    as ``aligned`` leaves its ``&`` as a letter; a ``$`` left in the prose opened no formula."""
    page = markdown_to_html(theory(doc))
    formulas = re.findall(r"<math\b.*?</math>", page, flags=re.S)
    assert len(formulas) > 100
    unconverted = [f for f in formulas if re.search(r">[^<]*\\[A-Za-z]", f) or "<mi>&</mi>" in f]
    assert not unconverted, unconverted
    prose = re.sub(r"<math\b.*?</math>|<code[^>]*>.*?</code>", "", page, flags=re.S)
    assert "$" not in prose


@pytest.mark.parametrize("doc", THEORY)
def test_test_references_sit_in_tests_quotes(doc):
    """The running text keeps the numbers; which test checks them is said in a ``> **Tests:**`` quote."""
    text = EVIDENCE.sub("", theory(doc))
    assert not re.findall(r"::test_\w+|tests/test_\w+\.py|`test_\w+`", text)


def test_the_german_theory_has_the_english_sections():
    numbers = [re.findall(r"^#{2,3} (\d+(?:\.\d+)*)", theory(doc), flags=re.M) for doc in THEORY]
    assert numbers[0] == numbers[1]
    assert len(numbers[0]) >= 10


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make study" in readme and "make test" in readme
