"""Markdown with LaTeX math to HTML with MathML: math a browser renders offline, with no script or font.

``$…$`` is inline math, ``$$…$$`` display math (markdown-it's dollarmath plugin); each formula is turned
into MathML by latex2mathml, which Chromium and Firefox render natively.
"""

from __future__ import annotations

from functools import cache

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


def latex_to_mathml(tex: str, *, display: bool = False) -> str:
    """One LaTeX formula as a ``<math>`` element."""
    return convert(tex, display="block" if display else "inline")


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    return md.use(dollarmath_plugin, allow_space=True, double_inline=True,
                  renderer=lambda tex, opts: latex_to_mathml(tex, display=bool(opts.get("display_mode"))))


def markdown_to_html(text: str) -> str:
    """Render Markdown (CommonMark + tables + ``$`` math) to an HTML fragment; raw HTML is escaped."""
    return _markdown().render(text)
