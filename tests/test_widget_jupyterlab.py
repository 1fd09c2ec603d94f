"""The widget in a real JupyterLab: the test starts JupyterLab on 127.0.0.1 (its own token, a temporary root and
Jupyter directories, a free port; stopped afterwards), opens the watch example, runs it in headless Chromium, and
checks that both widgets render, that the He run's widget changes while the loop trains and answers its layer
and view menus while the kernel is busy, that the N(0, 1) run is told as diverged, that axe finds no serious
violation in the widget, and that nothing logs a console error; and that ``rs.Playground`` plays, steps, changes
its view and saves its run from the widget's controls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import watch
from labserver import jupyterlab, run_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "watch-your-own-net.ipynb"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(url, token): JupyterLab serving a copy of the example notebook."""
    import nbformat  # here, not at the top: collecting the suite should not pay its import (~1.5 s)
    from nbformat.v4 import new_code_cell, new_notebook

    root, home = tmp_path_factory.mktemp("lab"), tmp_path_factory.mktemp("jupyter")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    nb = new_notebook(cells=[new_code_cell("import reluscope as rs\n"
                                           "pg = rs.Playground(n_samples=300, depth=3, width=8, runs_dir='runs')\npg")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / "playground.ipynb")
    with jupyterlab(root, home) as served:
        yield served


HOOK = "document.querySelectorAll('.reluscope')[{i}]?.reluscope"


def wait(page, i, condition, timeout=120_000):
    """Wait until ``condition`` (JavaScript, ``S``: the state of the ``i``-th widget on the page) holds."""
    page.wait_for_function(f"(() => {{ const S = {HOOK.format(i=i)}; return S && ({condition}); }})()",
                           timeout=timeout)


def state(page, i, expr):
    return page.evaluate(f"{HOOK.format(i=i)}.{expr}")


def test_the_example_runs_in_jupyterlab_and_its_widget_follows_and_obeys(lab, chromium):
    url, token = lab
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, outside = watch(page, url)
    run_notebook(page, url, token, NOTEBOOK.name)
    # N(0, 1): diverged, and the widget says at which step and layer
    wait(page, 0, "S.status && S.status.startsWith('diverged at step')")
    assert "overflowed" in state(page, 0, "status")
    # He: frames arrive while the loop trains, and its menus answer while the kernel is busy (layer 5,
    # embedded: from the data already sent)
    wait(page, 1, "S.step >= 10")
    widget = page.locator(".reluscope").nth(1)
    widget.locator("[data-id=v-layer]").select_option("5")
    widget.locator("[data-id=v-projection]").select_option("embedded")
    assert state(page, 1, "view.layer") == 5 and state(page, 1, "view.projection") == "embedded"
    first = state(page, 1, "step")
    assert first < 1000, "the loop ended before the menus were tried"
    wait(page, 1, "document.querySelectorAll('.reluscope')[1].querySelector('[data-id=c-bp]')"
                  ".getAttribute('aria-label').startsWith('Layer 5 back-projected (embedded)')", timeout=30_000)
    wait(page, 1, f"S.step > {first}")
    assert "layer 5 carried back" in widget.locator("[data-id=bp-note]").inner_text()
    wait(page, 1, "S.step === 1000")  # the loop is done: its last weights arrive in every view
    widget.locator("[data-id=v-projection]").select_option("nonzero")
    wait(page, 1, "document.querySelectorAll('.reluscope')[1].querySelector('[data-id=c-bp]')"
                  ".getAttribute('aria-label') === 'Layer 5 back-projected (nonzero) at step 1000'", timeout=5_000)
    assert "cells" in widget.locator("[data-id=cells-count]").inner_text() or \
        "regions" in widget.locator("[data-id=cells-count]").inner_text()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document.querySelectorAll('.reluscope')[1],
        {resultTypes: ['violations']})).violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    assert violations == []
    assert errors == []
    assert [u for u in outside if not u.startswith((f"blob:{url}/", "data:"))] == []  # anywidget: a blob URL
    page.close()


def test_the_playground_widget_plays_steps_changes_its_view_and_saves(lab, chromium):
    url, token = lab
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    errors, _ = watch(page, url)
    run_notebook(page, url, token, "playground.ipynb")
    wait(page, 0, "S.data && S.last && S.last.run === S.run")
    widget = page.locator(".reluscope").nth(0)
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
    page.wait_for_function("document.querySelector('.reluscope [data-id=saved]').textContent.includes('→')")
    assert "/runs/" in widget.locator("[data-id=saved]").inner_text()
    assert errors == []
    page.close()
