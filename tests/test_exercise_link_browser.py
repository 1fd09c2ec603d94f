"""An exercise in a link: the URL fixes settings, hides controls (``hide=lr,optimizer``: gone from the page), locks
them (``lock=depth``: shown, disabled, out of the keyboard's reach), marks a panel (``view=cells``) and shows a task;
"copy link" gives a link that opens the same state."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import LIVE_VIEW as HOOK

pytestmark = pytest.mark.browser

LINK = "n_samples=300&depth=4&width=16&lr=0.02&hide=lr,optimizer&lock=depth&view=cells&task=Watch+the+cells"


def tab_walk(page, presses=80) -> list[dict]:
    """The element the keyboard's Tab reaches, press by press: its data-id, whether it is disabled."""
    page.focus("body")
    reached = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => { const e = document.activeElement;
            return {id: e.dataset ? e.dataset.id || e.tagName : e.tagName, disabled: !!e.disabled}; }"""))
    return reached


def test_hidden_and_locked_controls_offer_no_way_to_change_them(live_page):
    page = live_page(LINK)
    assert page.locator("[data-id=s-lr]").count() == 0 and page.locator("[data-id=s-optimizer]").count() == 0
    assert page.is_disabled("[data-id=s-depth]") and page.is_visible("[data-id=s-depth]")
    assert page.locator("[data-id=preset]").count() == 0  # a menu of exercises would change them
    assert page.text_content("[data-id=task-text]") == "Watch the cells" and page.is_visible("[data-id=task]")
    assert "chosen" in page.get_attribute("[data-panel=cells]", "class")
    settings = page.evaluate(f"{HOOK}.data.settings")
    assert settings["depth"] == 4 and settings["lr"] == 0.02  # the hidden value is the link's
    reached = {r["id"] for r in tab_walk(page)}
    assert not reached & {"s-depth", "s-lr", "s-optimizer"}
    assert {"play", "s-width", "s-dataset", "v-layer", "copylink"} <= reached
    page.fill("[data-id=s-width]", "12")  # a change of another control keeps the hidden and the locked values
    page.dispatch_event("[data-id=s-width]", "change")
    page.wait_for_function(f"{HOOK}.data.settings.width === 12")
    assert page.evaluate(f"{HOOK}.data.settings.lr") == 0.02 and page.evaluate(f"{HOOK}.data.depth") == 4


def test_copy_link_gives_the_current_state_with_its_exercise(live_page):
    page = live_page(LINK)
    page.select_option("[data-id=v-projection]", "embedded")
    page.click("[data-id=copylink]")
    link = page.input_value("[data-id=link]")
    assert page.is_visible("[data-id=link]")
    query = dict(parse_qsl(urlsplit(link).fragment))
    assert query["projection"] == "embedded" and query["lock"] == "depth" and query["hide"] == "lr,optimizer"
    assert query["depth"] == "4" and query["task"] == "Watch the cells"
    page = live_page(urlsplit(link).fragment)
    assert page.evaluate(f"{HOOK}.view.projection") == "embedded" and page.is_disabled("[data-id=s-depth]")
    assert page.locator("[data-id=s-lr]").count() == 0
