"""What the widget tests check in any notebook front-end: the live view's state on its root element, axe on a
widget, the watch example's two widgets, and the playground widget's controls."""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PLAYGROUND = "import reluscope as rs\npg = rs.Playground(n_samples=300, depth=3, width=8, runs_dir='runs')\n"

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
                  " === 'Layer 5 back-projected (nonzero) at step 1000'")
    assert "cells" in widget.locator("[data-id=cells-count]").inner_text() or \
        "regions" in widget.locator("[data-id=cells-count]").inner_text()
    assert serious(page, 1) == []


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
    name = widget.locator("[data-id=saved]").inner_text().rsplit("/", 1)[1]
    with page.expect_download() as caught:  # the weights as a file of the browser's
        widget.locator("[data-id=export-json]").click()
    assert caught.value.suggested_filename == f"reluscope-weights-step{step + 1}.json"
    assert len(json.loads(Path(caught.value.path()).read_text())["state_dict"]) == 6  # 3 layers' weights, biases
    wait(page, 0, f"el.querySelector('[data-id=runs]').value === {name!r}")  # listed: the newest run
    widget.locator("[data-id=load]").click()
    wait(page, 0, f"el.querySelector('[data-id=saved]').textContent"
                  f" === 'loaded {name}, saved at step {step + 1}: paused'")
    assert serious(page, 0) == []
