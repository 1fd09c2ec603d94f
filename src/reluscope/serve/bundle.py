"""The live view's ES module, one text for both hosts: the page loads it from ``/static/liveview.js`` and the
notebook widget hands it to anywidget as ``_esm``.

Its sources are the modules in ``static/`` listed in ``SOURCES`` (each file once in the package); anywidget loads
``_esm`` from a blob URL, where ``import "./draw.js"`` cannot resolve, so the bundle joins them in dependency
order and drops their imports of each other. A source may import only an earlier source, by name::

    import { drawBoundary, drawCurves } from "./draw.js";

``render({ model, el })`` (anywidget's front-end interface, default export of ``view.js``) is the entry point.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from reluscope.errors import ReluscopeError

STATIC = Path(__file__).parent / "static"
SOURCES = ("texts.js", "codec.js", "draw.js", "view.js")  # dependency order
IMPORT = re.compile(r'^import\s+\{[^}]*\}\s+from\s+"\./([\w.-]+)";\s*$', re.M)


@functools.cache
def bundle() -> str:
    """The module's text: ``SOURCES`` joined, their relative imports removed."""
    parts = []
    for i, name in enumerate(SOURCES):
        text = (STATIC / name).read_text(encoding="utf-8")
        for source in IMPORT.findall(text):
            if source not in SOURCES[:i]:
                raise ReluscopeError(f"static/{name} imports {source}, which is not an earlier source")
        text = IMPORT.sub("", text)
        if re.search(r"^\s*import[\s{(*]", text, re.M):
            raise ReluscopeError(f"static/{name}: only named imports of earlier sources can be bundled")
        parts.append(f"// ---- {name}\n{text.strip()}\n")
    return "\n".join(parts)


def stylesheet() -> str:
    """The live view's CSS, every rule scoped under ``.reluscope`` (the same file the page links)."""
    return (STATIC / "liveview.css").read_text(encoding="utf-8")
