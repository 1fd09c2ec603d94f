"""Two study directories hold the same report: ``study_same.py A B`` exits 1 and names each difference.

    .venv/bin/python benchmarks/study_same.py out/study /tmp/before/out

The same report: every table (``tables/*.csv``) byte for byte; the page's text with every number in it (tags,
scripts, styles and images aside; the output path and the line with the run's date and duration aside); every
figure and frame (``figures/``, and the images inlined in the page) pixel for pixel (byte-equal files counted).
``benchmarks/study.py --before SRC`` runs it on the two studies it times (give SRC the ``docs/`` of its tree
too, ``git archive main src docs``: the page quotes the derivations from there).
"""

from __future__ import annotations

import base64
import html
import io
import re
import sys
from pathlib import Path

import numpy as np
from PIL import Image

INLINE = re.compile(r"data:image/[a-z]+;base64,([A-Za-z0-9+/=]+)")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?(?:e[+-]?\d+)?")
CREATED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \S+ [\d.,]+ s")  # texts/page.toml's created_value


def page_text(study: Path) -> str:
    """report.html's visible text, the study's own path and its date and duration replaced by placeholders."""
    page = INLINE.sub("IMAGE", (study / "report.html").read_text())
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page)).replace(str(study), "OUT")
    return " ".join(CREATED.sub("CREATED", text).split())


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # (h, w, 3)


def differences(a: Path, b: Path) -> tuple[list[str], str]:
    """What differs between studies ``a`` and ``b`` (empty: the same report), and a line on what was compared."""
    found = []
    tables = {p.relative_to(a) for p in (a / "tables").rglob("*.csv")}
    if tables != {p.relative_to(b) for p in (b / "tables").rglob("*.csv")}:
        found.append("the tables' files differ")
    found += [f"{p} differs" for p in sorted(tables)
              if (b / p).is_file() and (a / p).read_bytes() != (b / p).read_bytes()]
    text_a, text_b = page_text(a), page_text(b)
    numbers_a, numbers_b = NUMBER.findall(text_a), NUMBER.findall(text_b)
    if numbers_a != numbers_b:
        moved = [(x, y) for x, y in zip(numbers_a, numbers_b) if x != y]
        found.append(f"numbers in the page's text differ: {moved[:5]} ({len(numbers_a)} against {len(numbers_b)})")
    elif text_a != text_b:
        found.append("the page's words differ")
    files = [p.relative_to(a) for p in sorted((a / "figures").rglob("*")) if p.is_file()]
    pairs = [(str(p), (a / p).read_bytes(), (b / p).read_bytes() if (b / p).is_file() else None) for p in files]
    inline_a, inline_b = (INLINE.findall((d / "report.html").read_text()) for d in (a, b))
    if len(inline_a) != len(inline_b):
        found.append(f"the page inlines {len(inline_a)} against {len(inline_b)} images")
    pairs += [(f"inlined image {k + 1}", base64.b64decode(x), base64.b64decode(y))
              for k, (x, y) in enumerate(zip(inline_a, inline_b))]
    same_bytes = 0
    for name, x, y in pairs:
        if y is None:
            found.append(f"{name} is missing in {b}")
        elif x == y:
            same_bytes += 1
        elif (px := pixels(x)).shape != (py := pixels(y)).shape or (px != py).any():
            found.append(f"{name}: other pixels")
    return found, (f"{len(tables)} tables, {len(numbers_a)} numbers in the page's text, {len(pairs)} images "
                   f"({same_bytes} byte-equal, the others pixel-equal where no difference is named)")


def main() -> None:
    a, b = (Path(arg) for arg in sys.argv[1:3])
    found, compared = differences(a, b)
    print(f"compared {compared}")
    for line in found:
        print(f"DIFFERENT: {line}")
    print("the same report" if not found else f"{len(found)} differences")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
