"""The widget in Jupyter's front-ends, JupyterLab 4 and Notebook 7, each started by the test on 127.0.0.1 (its own
token, temporary directories, a free port; stopped afterwards) and driven in headless Chromium (marimo:
``test_widget_marimo.py``; the checks themselves: ``widgetchecks.py``).

In each, the watch example runs (``examples/watch-your-own-net.ipynb``): both widgets render, the N(0, 1) run is told as
diverged, the He run's widget changes while the loop trains and answers its layer and view menus while the kernel is
busy, axe finds no serious violation, nothing logs a console error and nothing is fetched from elsewhere. And
``rs.Playground`` plays, steps, changes its view and saves its run from the widget's controls, with axe clean; and
``rs.watch`` on a 64-pixel digits net shows the slice (the two in one notebook: one kernel, one page)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import watch
from notebooks import write_notebook
from notebookservers import jupyterlab, open_notebook, run_all
from widgetchecks import (PLAYGROUND, WIDGET, follows_and_obeys, plays_steps_changes_its_view_and_saves, state,
                          wait)

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "watch-your-own-net.ipynb"
DIGITS_WATCH = """import torch
import reluscope as rs
data = rs.load_dataset("digits")
X, y = torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train)
model = rs.init_model_(rs.build_mlp(64, 16, 3, 10), "he", generator=torch.Generator().manual_seed(0))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
with rs.watch(model, X, y, every=5):
    for step in range(300):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad(); loss.backward(); opt.step()
"""
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def jupyter(request, tmp_path_factory):
    """(app, url, token): JupyterLab or Notebook 7 serving a copy of the example notebook and ``widgets.ipynb``
    (the playground, the digits watch)."""
    root, home = tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("jupyter")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    write_notebook(root / "widgets.ipynb", PLAYGROUND + "pg", DIGITS_WATCH)
    with jupyterlab(root, home, app=request.param) as (url, token):
        yield request.param, url, token


# Notebook 7.6.5's own page throws this once while it loads its keyboard shortcuts' settings, before any cell runs
NOTEBOOK7_LOAD_ERROR = "Cannot read properties of undefined (reading 'schema')"


def run(page, app, url, token, name, errors):
    """Open ``name``, check what the front-end logged while loading, and run all its cells."""
    open_notebook(page, url, token, name, app)
    assert [e for e in errors if not (app == "notebook" and e == NOTEBOOK7_LOAD_ERROR)] == []
    errors.clear()
    run_all(page)


def test_the_example_runs_and_its_widget_follows_and_obeys(jupyter, chromium):
    app, url, token = jupyter
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, outside = watch(page, url)
    run(page, app, url, token, NOTEBOOK.name, errors)
    follows_and_obeys(page)
    assert errors == []
    assert [u for u in outside if not u.startswith((f"blob:{url}/", "data:"))] == []  # anywidget: a blob URL
    page.close()


@pytest.fixture(scope="module")
def widgets(jupyter, chromium):
    """(page, console errors): ``widgets.ipynb`` run, the playground's widget (0) above the digits watch's (1):
    one kernel and one page for the two tests that each check their own widget."""
    app, url, token = jupyter
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, _ = watch(page, url)
    run(page, app, url, token, "widgets.ipynb", errors)
    yield page, errors
    page.close()


def test_the_playground_widget_plays_steps_changes_its_view_and_saves(widgets):
    page, errors = widgets
    plays_steps_changes_its_view_and_saves(page)
    assert errors == []


def test_watch_on_a_digits_net_shows_the_slice(widgets):
    """``rs.watch`` on a 64-pixel digits net: the plane views are the slice through three typical points (the
    points near it, its cells, the three points' images), drawn without a console error."""
    page, errors = widgets
    widget = page.locator(WIDGET).nth(1)
    wait(page, 1, "S.data && S.data.slice && S.step === 300")
    widget.scroll_into_view_if_needed()  # below the playground's: on screen, so what is visible is drawn
    widget.locator("[data-id=v-layer]").select_option("2")
    wait(page, 1, "el.querySelector('[data-id=c-bp]').getAttribute('aria-label')"
                  ".startsWith(\"Layer 2's back-projection of the plane's three points as images\")", timeout=30_000)
    assert state(page, 1, "data.slice.dim") == 64 and len(state(page, 1, "data.slice.through")) == 3
    assert "regions" in widget.locator("[data-id=cells-count]").inner_text()
    assert widget.locator("[data-id=slice-note]").inner_text().startswith("the plane through data points")
    assert not widget.locator("[data-id=slicing]").is_visible()  # the watch takes the auto plane
    assert errors == []
