"""Write a ``Report`` as one self-contained HTML page, with its figures and tables also as files beside it.

Layout written into ``dir``::

    dir/report.html                      everything inlined: CSS, JS, images as data URIs, math as MathML
    dir/figures/NAME.png                 each static figure (PNG)
    dir/figures/NAME/AXIS-OPTION_….webp  each frame of each viewer (WebP)
    dir/tables/NAME.csv                  each named table

The page loads nothing from the network: no CDN, no web font, no external script.
"""

from __future__ import annotations

import base64
import csv
import json
import re
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from reluscope.report.document import Image, Report, Table, Viewer
from reluscope.report.markup import markdown_to_html
from reluscope.report.numbers import parse_number
from reluscope.report.texts import LANGUAGES, catalog, texts

ASSETS = files("reluscope.report") / "assets"


def image_type(image: bytes) -> tuple[str, str]:
    """The MIME type and file suffix of PNG or WebP bytes, read from their signature."""
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp", ".webp"
    raise ValueError(f"an image of the report is neither PNG nor WebP (starts {image[:12]!r})")


def data_uri(image: bytes) -> str:
    return f"data:{image_type(image)[0]};base64," + base64.b64encode(image).decode("ascii")


NUMBER = re.compile(r"^[−+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][−+-]?\d+)?%?$")


def is_number(cell) -> bool:
    """Whether a table cell reads as a number (as Python or ``numbers.number`` writes one, in either language);
    text does not."""
    text = str(cell).strip()
    return bool(NUMBER.match(text)) or any(_parses(text, lang) for lang in LANGUAGES)


def _parses(text: str, lang: str) -> bool:
    try:
        parse_number(text, lang)
    except ValueError:
        return False
    return True


def numeric_columns(table: Table) -> list[bool]:
    """Per column: whether it holds numbers (right-aligned on the page): every cell a number or blank ("—"),
    at least one a number. A column of labels, some of which look numeric ("1.2", "cells"), stays left."""
    return [any(map(is_number, col)) and all(is_number(c) or str(c).strip() in ("", "—") for c in col)
            for col in zip(*table.rows)]


def kind_of(block) -> str:
    return {Image: "image", Table: "table", Viewer: "viewer", str: "markdown"}[type(block)]


def viewer_json(viewer: Viewer) -> Markup:
    """The frames and options of a viewer as JSON safe inside a ``<script>`` element; the initial frame is
    ``null`` there (the page's ``<img>`` holds it: inlined once, not twice)."""
    initial = viewer.initial_key()
    payload = dict(sizes=[len(a.options) for a in viewer.axes], initial=list(initial),
                   labels=[a.label for a in viewer.axes], options=[a.options for a in viewer.axes],
                   alt=viewer.caption or viewer.name,
                   frames=[None if k == initial else data_uri(viewer.frames[k]) for k in viewer.keys()])
    return Markup(json.dumps(payload, separators=(",", ":")).replace("</", "<\\/"))


def inline(text: str) -> Markup:
    """One line of Markdown (a heading) as HTML without its paragraph."""
    return Markup(markdown_to_html(text).strip().removeprefix("<p>").removesuffix("</p>"))


def render_html(report: Report) -> str:
    """The page as a string, its own words (navigation, toggles, appendix) from ``texts/page.toml`` in
    ``report.lang``."""
    labels = catalog("page")[texts("page", report.lang).lang]
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string((ASSETS / "report.html.j2").read_text())
    md = lambda text: Markup(markdown_to_html(text)) if text else ""  # noqa: E731
    sections = [dict(id=s.id, title=s.title, question=md(s.question), answer=md(s.answer), blocks=s.blocks,
                     derivation=md(s.derivation), evidence=[(inline(h), md(e)) for h, e in s.evidence])
                for s in report.sections]
    provenance = [(labels.get(f"p_{key}", key), value) for key, value in report.provenance.items()]
    return template.render(report=report, version=version("reluscope"), provenance=provenance, labels=labels,
                           lead=md(report.lead), sections=sections, kind_of=kind_of, numeric_columns=numeric_columns,
                           markdown=md, data_uri=data_uri, viewer_json=viewer_json,
                           css=Markup((ASSETS / "report.css").read_text()),
                           js=Markup((ASSETS / "report.js").read_text()))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower() or "x"


def write_report(report: Report, out: str | Path) -> Path:
    """Write ``out/report.html`` and the figures and tables beside it; return the page's path."""
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Image):
                (out / "figures" / f"{block.name}{image_type(block.png)[1]}").write_bytes(block.png)
            elif isinstance(block, Viewer):
                folder = out / "figures" / block.name
                folder.mkdir(exist_ok=True)
                for key in block.keys():
                    stem = "_".join(f"{_slug(a.label)}-{_slug(a.options[i])}" for a, i in zip(block.axes, key))
                    (folder / f"{stem}{image_type(block.frames[key])[1]}").write_bytes(block.frames[key])
            elif isinstance(block, Table) and block.name:
                (out / "tables").mkdir(exist_ok=True)
                with (out / "tables" / f"{block.name}.csv").open("w", newline="") as fh:
                    csv.writer(fh).writerows([block.columns, *block.rows])
    page = out / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page
