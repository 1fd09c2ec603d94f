"""The widget in real notebook front-ends: JupyterLab 4, Notebook 7 and marimo, each started by the test on
127.0.0.1 (its own token, temporary directories, a free port; stopped afterwards) and driven in headless Chromium.

In each, the watch example runs (``examples/watch-your-own-net.ipynb``; in marimo its twin
``watch-your-own-net-marimo.py``): both widgets render, the N(0, 1) run is told as diverged, the He run's widget
changes while the loop trains and answers its layer and view menus while the kernel is busy, axe finds no serious
violation, nothing logs a console error and nothing is fetched from elsewhere. And ``rs.Playground`` plays, steps,
changes its view and saves its run from the widget's controls, with axe clean; and ``rs.watch`` on a 64-pixel digits
net shows the slice."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import watch
from nbformat.v4 import new_code_cell, new_notebook
from notebookservers import jupyterlab, marimo, open_notebook, run_all

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOK = EXAMPLES / "watch-your-own-net.ipynb"
MARIMO = EXAMPLES / "watch-your-own-net-marimo.py"
PLAYGROUND = "import reluscope as rs\npg = rs.Playground(n_samples=300, depth=3, width=8, runs_dir='runs')\n"
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
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def jupyter(request, tmp_path_factory):
    """(app, url, token): JupyterLab or Notebook 7 serving a copy of the example notebook and a playground's."""
    root, home = tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("jupyter")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    nb = new_notebook(cells=[new_code_cell(PLAYGROUND + "pg")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / "playground.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell(DIGITS_WATCH)], metadata=nb.metadata), root / "digits.ipynb")
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


# the live view's state on its root element; marimo puts each widget in a shadow root, which Playwright's
# locators enter (``document.querySelectorAll`` does not)
WIDGET = ".reluscope"


def wait(page, i, condition, timeout=120_000):
    """Wait until ``condition`` (JavaScript, ``S``: the state of the ``i``-th widget on the page) holds."""
    handle = page.locator(WIDGET).nth(i).element_handle(timeout=timeout)
    page.wait_for_function(f"el => {{ const S = el.reluscope; return S && ({condition}); }}", arg=handle,
                           timeout=timeout)


def state(page, i, expr):
    return page.locator(WIDGET).nth(i).evaluate(f"el => el.reluscope.{expr}")


def serious(page, i) -> list[str]:
    """axe's serious and critical violations inside the ``i``-th widget."""
    page.add_script_tag(path=str(AXE))
    return page.locator(WIDGET).nth(i).evaluate("""async el => (await axe.run(el, {resultTypes: ['violations']}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")


def test_the_example_runs_and_its_widget_follows_and_obeys(jupyter, chromium):
    app, url, token = jupyter
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, outside = watch(page, url)
    run(page, app, url, token, NOTEBOOK.name, errors)
    follows_and_obeys(page)
    assert errors == []
    assert [u for u in outside if not u.startswith((f"blob:{url}/", "data:"))] == []  # anywidget: a blob URL
    page.close()


def test_the_marimo_example_runs_and_its_widget_follows_and_obeys(chromium, tmp_path):
    with marimo(MARIMO, tmp_path) as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        errors, outside = watch(page, url.split("/?")[0])
        page.goto(url)
        follows_and_obeys(page)
        assert errors == []
        assert [u for u in outside if not u.startswith(("blob:", "data:"))] == []
        page.close()


def follows_and_obeys(page):
    """The example's two widgets: N(0, 1) diverged, He followed while its loop runs, its menus answered."""
    # N(0, 1): diverged, and the widget says at which step and layer
    wait(page, 0, "S.status && S.status.startsWith('diverged at step')")
    assert "overflowed" in state(page, 0, "status")
    # He: frames arrive while the loop trains, and its menus answer while the kernel is busy (layer 5,
    # embedded: from the data already sent)
    wait(page, 1, "S.step >= 10")
    widget = page.locator(WIDGET).nth(1)
    widget.locator("[data-id=v-layer]").select_option("5")
    widget.locator("[data-id=v-projection]").select_option("embedded")
    assert state(page, 1, "view.layer") == 5 and state(page, 1, "view.projection") == "embedded"
    first = state(page, 1, "step")
    assert first < 1000, "the loop ended before the menus were tried"
    wait(page, 1, "el.querySelector('[data-id=c-bp]').getAttribute('aria-label')"
                  ".startsWith('Layer 5 back-projected (embedded)')", timeout=30_000)
    wait(page, 1, f"S.step > {first}")
    assert "layer 5 carried back" in widget.locator("[data-id=bp-note]").inner_text()
    wait(page, 1, "S.step === 1000")  # the loop is done: its last weights arrive in every view
    widget.locator("[data-id=v-projection]").select_option("nonzero")
    wait(page, 1, "el.querySelector('[data-id=c-bp]').getAttribute('aria-label')"
                  " === 'Layer 5 back-projected (nonzero) at step 1000'", timeout=5_000)
    assert "cells" in widget.locator("[data-id=cells-count]").inner_text() or \
        "regions" in widget.locator("[data-id=cells-count]").inner_text()
    assert serious(page, 1) == []


def test_the_playground_widget_plays_steps_changes_its_view_and_saves(jupyter, chromium):
    app, url, token = jupyter
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, _ = watch(page, url)
    run(page, app, url, token, "playground.ipynb", errors)
    plays_steps_changes_its_view_and_saves(page)
    assert errors == []
    page.close()


def test_the_playground_widget_in_marimo(chromium, tmp_path):
    notebook = tmp_path / "playground.py"
    notebook.write_text("import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    import marimo as mo\n"
                        + "".join(f"    {line}\n" for line in PLAYGROUND.splitlines())
                        + "    mo.ui.anywidget(pg.widget)\n    return\n")
    with marimo(notebook, tmp_path) as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        errors, _ = watch(page, url.split("/?")[0])
        page.goto(url)
        plays_steps_changes_its_view_and_saves(page)
        assert errors == []
        page.close()


def plays_steps_changes_its_view_and_saves(page):
    wait(page, 0, "S.data && S.last && S.last.run === S.run")
    widget = page.locator(WIDGET).nth(0)
    widget.locator("[data-id=play]").click()
    wait(page, 0, "S.step >= 20")
    widget.locator("[data-id=play]").click()
    wait(page, 0, "!S.playing && !S.last.playing")  # the run itself has paused: its resting frame arrived
    step = state(page, 0, "step")
    widget.locator("[data-id=stepbtn]").click()
    wait(page, 0, f"S.step === {step + 1}")
    widget.locator("[data-id=v-layer]").select_option("2")
    wait(page, 0, "S.last.view.layer === 2 && S.last.cells && S.last.cells.layer === 2")
    widget.locator("[data-id=save]").click()
    wait(page, 0, "el.querySelector('[data-id=saved]').textContent.includes('→')")
    assert "/runs/" in widget.locator("[data-id=saved]").inner_text()
    assert serious(page, 0) == []


def test_watch_on_a_digits_net_shows_the_slice(jupyter, chromium):
    """``rs.watch`` on a 64-pixel digits net: the plane views are the slice through three typical points (the
    points near it, its cells, the three points' images), drawn without a console error."""
    app, url, token = jupyter
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, _ = watch(page, url)
    run(page, app, url, token, "digits.ipynb", errors)
    wait(page, 0, "S.data && S.data.slice && S.step === 300")
    widget = page.locator(WIDGET).nth(0)
    widget.locator("[data-id=v-layer]").select_option("2")
    wait(page, 0, "el.querySelector('[data-id=c-bp]').getAttribute('aria-label')"
                  ".startsWith(\"Layer 2's back-projection of the plane's three points as images\")", timeout=30_000)
    assert state(page, 0, "data.slice.dim") == 64 and len(state(page, 0, "data.slice.through")) == 3
    assert "regions" in widget.locator("[data-id=cells-count]").inner_text()
    assert widget.locator("[data-id=slice-note]").inner_text().startswith("the plane through data points")
    assert not widget.locator("[data-id=slicing]").is_visible()  # the watch takes the auto plane
    assert errors == []
    page.close()
