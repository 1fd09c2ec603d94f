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
from widgetchecks import PLAYGROUND, WIDGET, follows_and_obeys, plays_steps_changes_its_view_and_saves, wait

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


# The playground (widget 0) and a GELU net watched in German while it trains (widget 1), in one cell of one notebook:
# one ``marimo run`` for both, each test checking its own widget.
TWO_WIDGETS = PLAYGROUND + """import torch
from torch import nn
torch.manual_seed(0)
X, y = torch.randn(200, 2), torch.randint(2, (200,))
net = nn.Sequential(nn.Linear(2, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 2))
w = rs.watch(net, X, y, every=5, show=False, lang='de')
mo.output.replace(mo.vstack([mo.ui.anywidget(pg.widget), mo.ui.anywidget(w.widget)]))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
with w:
    for _ in range(40):
        loss = nn.functional.cross_entropy(net(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


@pytest.fixture(scope="module")
def two_widgets(chromium, tmp_path_factory):
    """The page of ``TWO_WIDGETS`` run by marimo (no console error, nothing fetched from elsewhere by the module's
    end)."""
    home = tmp_path_factory.mktemp("marimo")
    notebook = home / "two_widgets.py"
    notebook.write_text("import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    import marimo as mo\n"
                        + "".join(f"    {line}\n" for line in TWO_WIDGETS.splitlines()) + "    return\n")
    with opened(chromium, notebook, home) as page:
        yield page


def test_the_playground_widget_in_marimo(two_widgets):
    plays_steps_changes_its_view_and_saves(two_widgets)


def test_a_gelu_net_is_watched_with_its_geometry_and_the_theory_says_why_it_is_empty(two_widgets):
    """No moment formula for GELU: the statistics panel says so in the widget's language (German here), and the
    frames and the back-projection still come."""
    from reluscope.serve.bundle import catalog

    page = two_widgets
    said = catalog()["texts"]["de"]["note_no_theory"].replace("{{activation}}", "gelu")
    wait(page, 1, "S.step === 40")
    widget = page.locator(WIDGET).nth(1)
    wait(page, 1, f"el.querySelector('[data-id=theory-note]').textContent === {said!r}", timeout=30_000)
    wait(page, 1, "el.querySelector('[data-id=c-bp]').getAttribute('aria-label').includes('40')", timeout=30_000)
    assert widget.locator("[data-id=errors]").inner_text() == ""
