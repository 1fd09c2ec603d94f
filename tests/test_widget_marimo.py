"""The widget in marimo: ``marimo run`` started by the test on 127.0.0.1 (its own token, a temporary home, a free
port; stopped afterwards) and driven in headless Chromium: the watch example's marimo twin
(``examples/watch-your-own-net-marimo.py``) runs as it does in Jupyter (``test_widget_jupyter.py``), and
``rs.Playground`` shown with ``mo.ui.anywidget`` plays, steps, changes its view and saves its run."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from conftest import watch
from notebookservers import marimo
from widgetchecks import PLAYGROUND, follows_and_obeys, plays_steps_changes_its_view_and_saves

MARIMO = Path(__file__).resolve().parents[1] / "examples" / "watch-your-own-net-marimo.py"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@contextlib.contextmanager
def opened(chromium, notebook: Path, home: Path):
    """A page of ``marimo run notebook`` (every cell run), and the page's console errors and requests elsewhere;
    no error logged and nothing fetched from elsewhere by the block's end."""
    with marimo(notebook, home) as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        errors, outside = watch(page, url.split("/?")[0])
        page.goto(url)
        yield page
        assert errors == []
        assert [u for u in outside if not u.startswith(("blob:", "data:"))] == []
        page.close()


def test_the_marimo_example_runs_and_its_widget_follows_and_obeys(chromium, tmp_path):
    with opened(chromium, MARIMO, tmp_path) as page:
        follows_and_obeys(page)


def test_the_playground_widget_in_marimo(chromium, tmp_path):
    notebook = tmp_path / "playground.py"
    notebook.write_text("import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    import marimo as mo\n"
                        + "".join(f"    {line}\n" for line in PLAYGROUND.splitlines())
                        + "    mo.ui.anywidget(pg.widget)\n    return\n")
    with opened(chromium, notebook, tmp_path) as page:
        plays_steps_changes_its_view_and_saves(page)
