"""The live view's front-end exists once: the page and the notebook widget load the same module text, built from
the sources in ``serve/static`` (each drawing function defined in exactly one file of the package), with no
import left that a blob URL could not resolve, and no CSS rule outside ``.reluscope``."""

import re
from pathlib import Path
from urllib.request import urlopen

import reluscope
from reluscope.serve import ServeConfig, running
from reluscope.serve.bundle import SOURCES, STATIC, bundle, stylesheet
from reluscope.widget.liveview import LiveView

PACKAGE = Path(reluscope.__file__).parent
DRAWING = re.compile(r"\bfunction\s+(draw\w+|image|axes|line|dots)\s*\(")


def shipped_texts():
    """Every text file of the package: where a second copy of the drawing code could hide."""
    for path in PACKAGE.rglob("*"):
        if path.suffix in {".js", ".py", ".html", ".j2", ".css", ".toml"}:
            yield path, path.read_text(encoding="utf-8")


def test_the_page_and_the_widget_load_the_same_module(tmp_path):
    with running(ServeConfig(port=0, runs_dir=tmp_path)) as url:
        served = urlopen(url + "static/liveview.js", timeout=10).read().decode()
        page = urlopen(url, timeout=10).read().decode()
    assert served == bundle() == LiveView()._esm
    assert 'src="static/page.js"' in page and 'href="static/liveview.css"' in page
    assert LiveView()._css == stylesheet() == (STATIC / "liveview.css").read_text(encoding="utf-8")


def test_each_drawing_function_is_defined_once_in_the_package():
    found = {}
    for path, text in shipped_texts():
        for name in DRAWING.findall(text):
            found.setdefault(name, []).append(path.relative_to(PACKAGE).as_posix())
    assert found and all(paths == ["serve/static/draw.js"] for paths in found.values()), found
    assert "getContext" not in (STATIC / "page.js").read_text()  # the page's host draws nothing itself


def test_the_bundle_joins_every_source_once_and_resolves_its_imports():
    text = bundle()
    assert [line[8:] for line in text.splitlines() if line.startswith("// ---- ")] == list(SOURCES)
    assert not re.search(r"^\s*import\b", text, re.M)
    assert text.count("export default") == 1 and text.rstrip().endswith("export default { render };")
    assert "export function render" not in text  # anywidget wants the render of the default export only


def test_every_css_rule_is_scoped_to_the_live_view():
    css = re.sub(r"/\*.*?\*/", "", stylesheet(), flags=re.S)
    blocks = [b for b in re.findall(r"([^{}]+)\{", css) if not b.strip().startswith("@media")]  # a screen's rules
    selectors = [s.strip() for block in blocks for s in block.split(",")]
    assert selectors and all(s.startswith(".reluscope") for s in selectors), selectors
