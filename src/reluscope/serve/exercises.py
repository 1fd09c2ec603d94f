"""The sheet's exercises as links (``exercises.toml``): settings, hidden and locked controls, the view to open,
and in each language a title, the sheet's task and one guiding question.

``exercises(lang)`` is the list the page receives in its ``hello`` (``lang``: the one its socket asked for with
``?lang=``, or a ``hello`` message of its own), each entry ``{"id", "title", "task", "question", "settings",
"hide", "lock", "view"}``; every exercise is checked against the settings' schema when it is read.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import fields
from pathlib import Path

from reluscope.errors import ReluscopeError
from reluscope.geometry.views import VIEWS
from reluscope.serve.settings import BOUNDS, Settings

CATALOG = Path(__file__).with_name("exercises.toml")
LANGUAGES = ("en", "de")
PANELS = ("task1", "task2", "cells")  # what ``view.panel`` may name
TEXTS = ("title", "task", "question")


@functools.cache
def catalog() -> tuple[dict, ...]:
    """The exercises as the TOML has them, each checked: settings that ``Settings.from_dict`` takes, hidden and
    locked controls that name settings, a view of a known panel, layer and projection, every text in both
    languages."""
    entries = tuple(tomllib.loads(CATALOG.read_text(encoding="utf-8"))["exercise"])
    names = {f.name for f in fields(Settings)}
    for e in entries:
        settings = Settings.from_dict(e["settings"])
        view = e["view"]
        if not (set(e["hide"]) | set(e["lock"])) <= names or view["panel"] not in PANELS \
                or view["projection"] not in VIEWS or not BOUNDS["depth"][0] <= view["layer"] <= settings.depth:
            raise ReluscopeError(f"exercise {e['id']}: a control, panel, projection or layer it names is unknown")
        if any(set(e[lang]) != set(TEXTS) for lang in LANGUAGES):
            raise ReluscopeError(f"exercise {e['id']}: needs {', '.join(TEXTS)} in {' and '.join(LANGUAGES)}")
    return entries


def exercises(lang: str = "en") -> list[dict]:
    """The exercises in ``lang`` (``LANGUAGES``; another falls back to English)."""
    lang = lang if lang in LANGUAGES else "en"
    return [dict(id=e["id"], **e[lang], settings=dict(e["settings"]), hide=list(e["hide"]), lock=list(e["lock"]),
                 view=dict(e["view"])) for e in catalog()]
