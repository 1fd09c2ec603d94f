"""The docs point every formula and claim to the test that checks it: each named test must exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make study" in readme and "make test" in readme
