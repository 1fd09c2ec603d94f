"""The quick study's report in headless Chromium (Debian's, driven by Playwright): it loads offline with no
console error, every image decodes, every section is there, and the controls change the figures."""


import pytest
from conftest import watch

from reluscope.cli import main

SECTIONS = ["task0", "task1", "task2", "cells", "summary"]  # the sheet's order

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_page(chromium, tmp_path_factory):
    """The quick report opened in Chromium; yields (page, console errors, outside requests, tmp dir)."""
    tmp = tmp_path_factory.mktemp("browser")
    assert main(["study", "--quick", "--out", str(tmp / "study")]) == 0
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(10_000)
    errors, outside = watch(page, ("file:", "data:"))
    page.goto((tmp / "study" / "report.html").as_uri())
    page.wait_for_load_state("load")
    yield page, errors, outside, tmp
    page.close()


def test_loads_offline_without_console_errors(browser_page):
    page, errors, outside, tmp = browser_page
    assert errors == [] and outside == []
    page.screenshot(path=str(tmp / "report.png"), full_page=False)
    assert (tmp / "report.png").stat().st_size > 10_000


def test_every_section_is_present_in_order(browser_page):
    page = browser_page[0]
    assert page.eval_on_selector_all("main > section", "els => els.map(e => e.id)") == SECTIONS
    for sid in SECTIONS:
        assert page.locator(f"#{sid} > h2").is_visible()


def test_every_image_is_loaded(browser_page):
    page = browser_page[0]
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert widths and all(w > 0 for w in widths)
    assert page.eval_on_selector_all("math", "m => m.length") > 0


def _viewers_with(page, control):
    return page.locator("figure.viewer").filter(has=page.locator(control)).all()


def test_the_training_step_slider_changes_the_frame(browser_page):
    page = browser_page[0]
    viewers = _viewers_with(page, "input[type=range]")
    assert viewers
    for viewer in viewers:
        slider, img, out = viewer.locator("input[type=range]"), viewer.locator("img"), viewer.locator("output")
        before, label = img.get_attribute("src"), out.text_content()
        slider.focus()
        slider.press("Home")  # a keyboard move fires the input event as a drag would
        assert img.get_attribute("src") != before and out.text_content() != label
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        slider.press("End")
        assert img.get_attribute("src") == before and out.text_content() == label


def test_selectors_and_toggles_change_the_frame(browser_page):
    page = browser_page[0]
    for viewer in _viewers_with(page, "select"):
        select, img = viewer.locator("select").first, viewer.locator("img")
        before, current = img.get_attribute("src"), select.evaluate("s => s.selectedIndex")
        select.select_option(index=0 if current else select.locator("option").count() - 1)
        assert img.get_attribute("src") != before
    for viewer in _viewers_with(page, ".toggle"):
        img = viewer.locator("img")
        before = img.get_attribute("src")
        viewer.locator(".toggle label").filter(has=page.locator("input:not(:checked)")).first.click()
        assert img.get_attribute("src") != before
