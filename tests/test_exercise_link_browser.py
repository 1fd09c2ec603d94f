"""An exercise in a link: the URL fixes settings, hides controls (``hide=lr,optimizer``: gone from the page), locks
them (``lock=depth``: shown, disabled, out of the keyboard's reach), marks a panel (``view=cells``) and shows a task;
"copy link" gives a link that opens the same state."""

import contextlib
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import watch

from reluscope.serve import ServeConfig, running

pytestmark = pytest.mark.browser

HOOK = "document.querySelector('.reluscope')?.reluscope"
LINK = "n_samples=300&depth=4&width=16&lr=0.02&hide=lr,optimizer&lock=depth&view=cells&task=Watch+the+cells"


@pytest.fixture(scope="module")
def open_page(chromium, tmp_path_factory):
    with running(ServeConfig(port=0, runs_dir=tmp_path_factory.mktemp("runs"))) as url:

        @contextlib.contextmanager
        def opened(hash_):
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            errors, outside = watch(page, url.rstrip("/"))
            page.goto(f"{url}?lang=en#{hash_}")
            page.wait_for_function(f"(() => {{ const S = {HOOK}; return S && S.data && S.last && S.last.run === S.run; }})()")
            yield page
            assert errors == [] and outside == []
            page.close()

        yield opened


def tab_walk(page, presses=80) -> list[dict]:
    """The element the keyboard's Tab reaches, press by press: its data-id, whether it is disabled."""
    page.focus("body")
    reached = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => { const e = document.activeElement;
            return {id: e.dataset ? e.dataset.id || e.tagName : e.tagName, disabled: !!e.disabled}; }"""))
    return reached


def test_hidden_and_locked_controls_offer_no_way_to_change_them(open_page):
    with open_page(LINK) as page:
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


def test_copy_link_gives_the_current_state_with_its_exercise(open_page):
    with open_page(LINK) as page:
        page.select_option("[data-id=v-projection]", "embedded")
        page.click("[data-id=copylink]")
        link = page.input_value("[data-id=link]")
        assert page.is_visible("[data-id=link]")
    query = dict(parse_qsl(urlsplit(link).fragment))
    assert query["projection"] == "embedded" and query["lock"] == "depth" and query["hide"] == "lr,optimizer"
    assert query["depth"] == "4" and query["task"] == "Watch the cells"
    with open_page(urlsplit(link).fragment) as page:
        assert page.evaluate(f"{HOOK}.view.projection") == "embedded" and page.is_disabled("[data-id=s-depth]")
        assert page.locator("[data-id=s-lr]").count() == 0
