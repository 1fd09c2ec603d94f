"""The live view's ES module, one text for both hosts: the page loads it from ``/static/liveview.js`` and the
notebook widget hands it to anywidget as ``_esm``.

Its sources are the modules in ``static/`` listed in ``SOURCES`` (each file once in the package); anywidget loads
``_esm`` from a blob URL, where ``import "./draw.js"`` cannot resolve, so the bundle joins them in dependency
order and drops their imports of each other. A source may import only an earlier source, by name::

    import { drawBoundary, drawCurves } from "./draw.js";

``texts.js`` names its catalog ``CATALOG_JSON``; the bundle puts there ``serve/texts.toml`` and the data sets'
names of ``report/texts/datasets.toml`` as JSON (``catalog``), so both hosts carry every text in both languages.

``render({ model, el })`` (anywidget's front-end interface, default export of ``view.js``) is the entry point.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.report.texts import catalog as report_catalog

STATIC = Path(__file__).parent / "static"
SOURCES = ("texts.js", "codec.js", "draw.js", "view.js")  # dependency order
TEXTS = Path(__file__).parent / "texts.toml"
IMPORT = re.compile(r'^import\s+\{[^}]*\}\s+from\s+"\./([\w.-]+)";\s*$', re.M)


@functools.cache
def catalog() -> dict:
    """The live view's texts, ``{"texts": {lang: {key: text}}, "datasets": {lang: {name: text}}, "views": {lang:
    {view: name}}}``; the data sets' and the views' names are the report's (``report/texts``)."""
    views = {lang: {k.removeprefix("view_"): v for k, v in table.items() if k.startswith("view_")}
             for lang, table in report_catalog("task2").items()}
    return {"texts": tomllib.loads(TEXTS.read_text(encoding="utf-8")), "datasets": report_catalog("datasets"),
            "views": views}


@functools.cache
def bundle() -> str:
    """The module's text: ``SOURCES`` joined, their relative imports removed."""
    parts = []
    for i, name in enumerate(SOURCES):
        text = (STATIC / name).read_text(encoding="utf-8")
        for source in IMPORT.findall(text):
            if source not in SOURCES[:i]:
                raise ReluscopeError(f"static/{name} imports {source}, which is not an earlier source")
        text = IMPORT.sub("", text).replace("CATALOG_JSON", json.dumps(catalog(), ensure_ascii=False))
        if re.search(r"^\s*import[\s{(*]", text, re.M):
            raise ReluscopeError(f"static/{name}: only named imports of earlier sources can be bundled")
        parts.append(f"// ---- {name}\n{text.strip()}\n")
    return "\n".join(parts)


def stylesheet() -> str:
    """The live view's CSS, every rule scoped under ``.reluscope`` (the same file the page links)."""
    return (STATIC / "liveview.css").read_text(encoding="utf-8")
