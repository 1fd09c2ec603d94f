"""The page's weights, out and back in: "JSON" and "PyTorch" download the current weights as the server names them
(with the step), equal to the parameters the page's socket sent and to those of the same run saved; a run that
"save run" wrote is listed at once, and loading it back sets the page's settings, its link and its weights (a
hovered bias is the saved model's), resting. A link can hide or lock the buttons, and an exercise has no load menu."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import LIVE_VIEW as HOOK
from test_network_graph_browser import node_xy, note_starting, shown

import reluscope as rs

pytestmark = pytest.mark.browser

SMALL = "n_samples=300&depth=3&width=4"


def rest_at(page, steps: int) -> None:
    """``steps`` single steps, until the graph holds the resting run's weights of that step."""
    for _ in range(steps):
        page.click("[data-id=stepbtn]")
    page.wait_for_function(f"{HOOK}.step === {steps} && {HOOK}.last.weights && {HOOK}.last.step === {steps}")


def download(page, button: str) -> tuple[str, Path]:
    """Click ``button``; the file name the browser was given and where the download lies."""
    with page.expect_download() as caught:
        page.click(f"[data-id={button}]")
    return caught.value.suggested_filename, Path(caught.value.path())


def save_run(page) -> Path:
    """Click "save run"; the run directory the page names."""
    page.click("[data-id=save]")
    page.wait_for_function("document.querySelector('[data-id=saved]').textContent.includes('→')")
    return Path(page.text_content("[data-id=saved]").split("→ ", 1)[1])


def test_the_weights_download_as_json_and_as_a_state_dict(live_page):
    page = live_page(SMALL)
    rest_at(page, 3)
    name, as_json = download(page, "export-json")
    assert name == "reluscope-weights-step3.json"
    assert page.text_content("[data-id=saved]") == "downloaded reluscope-weights-step3.json"
    state = {k: torch.tensor(v, dtype=torch.float32) for k, v in json.loads(as_json.read_text())["state_dict"].items()}
    sent = page.evaluate(f"{HOOK}.last.weights.map((w) => ({{W: Array.from(w.W), b: Array.from(w.b)}}))")
    assert list(state) == [f"{2 * i}.{p}" for i in range(3) for p in ("weight", "bias")]
    for i, layer in enumerate(sent):  # the socket's float32 numbers, exactly
        assert state[f"{2 * i}.weight"].flatten().tolist() == layer["W"]
        assert state[f"{2 * i}.bias"].tolist() == layer["b"]
    name, as_pt = download(page, "export-pt")
    assert name == "reluscope-weights-step3.pt"
    loaded = torch.load(as_pt, weights_only=True)
    assert list(loaded) == list(state)
    saved = rs.load_run(save_run(page)).model.state_dict()  # the same run retrained to step 3: the same numbers
    for k, v in saved.items():
        assert loaded[k].shape == v.shape and torch.equal(loaded[k], v) and torch.equal(state[k], v)


def test_a_saved_run_loads_back_with_its_settings_and_weights(live_page):
    page = live_page(SMALL + "&seed=3&lr=0.05")
    rest_at(page, 4)
    run = save_run(page)
    page.wait_for_function(f"document.querySelector('[data-id=runs]').value === {run.name!r}")  # listed, newest
    assert not page.is_disabled("[data-id=load]")
    page.fill("[data-id=s-seed]", "7")  # another run: other settings, other weights
    page.dispatch_event("[data-id=s-seed]", "change")
    page.wait_for_function(f"{HOOK}.data.settings.seed === 7 && {HOOK}.last?.run === {HOOK}.run")
    page.select_option("[data-id=s-init]", "lecun")
    page.wait_for_function(f"{HOOK}.data.settings.init === 'lecun' && {HOOK}.last?.run === {HOOK}.run")
    page.select_option("[data-id=runs]", run.name)
    page.click("[data-id=load]")
    page.wait_for_function("document.querySelector('[data-id=saved]').textContent.startsWith('loaded ')")
    assert page.text_content("[data-id=saved]") == f"loaded {run.name}, saved at step 4: paused"
    saved = json.loads((run / "playground.json").read_text())["settings"]
    assert page.evaluate(f"{HOOK}.data.settings") == saved
    assert (page.input_value("[data-id=s-seed]"), page.input_value("[data-id=s-init]"),
            page.input_value("[data-id=s-lr]")) == ("3", "he", "0.05")
    assert "seed=3" in page.url and "init=he" in page.url
    assert page.get_attribute("[data-id=play]", "aria-pressed") == "false"
    page.wait_for_function(f"{HOOK}.last?.weights && {HOOK}.last.run === {HOOK}.run")
    state = rs.load_run(run).model.state_dict()
    page.mouse.move(*node_xy(page, 2, 1))
    note = note_starting(page, "neuron 2 of layer 2: bias ")
    assert state["2.bias"][1] != 0 and shown(note) == pytest.approx(float(state["2.bias"][1]), rel=6e-4)
    biases = page.evaluate(f"{HOOK}.last.weights.map((w) => Array.from(w.b))")
    assert biases == [state[f"{2 * i}.bias"].tolist() for i in range(3)]  # every one, exactly


def test_a_link_hides_or_locks_the_weights_buttons_and_an_exercise_has_no_load_menu(live_page):
    page = live_page(SMALL + "&hide=export")
    assert page.locator("[data-id=export-json]").count() == 0 and page.locator("[data-id=runs]").count() == 0
    page = live_page(SMALL + "&lock=export")
    assert page.is_disabled("[data-id=export-json]") and page.is_disabled("[data-id=export-pt]")
    assert page.is_visible("[data-id=export-pt]") and page.locator("[data-id=load]").count() == 0
    page = live_page(SMALL + "&task=Look")  # a task alone changes no control: the page keeps its load menu
    assert page.locator("[data-id=runs]").count() == 1
    page = live_page(SMALL + '&hide=x"],export&lock=a\\b')  # a key no control has: nothing (the module checks
    assert page.locator("[data-id=export-json]").count() == 0  # that no page logged an error)


def test_a_german_page_names_the_buttons_and_itself_in_german(live_page):
    """The buttons' names and the page's title (the server's HTML already, by ``?lang=`` or the browser's first
    language) from the catalog."""
    page = live_page(SMALL, query="?lang=de", locale="de-DE")
    assert page.get_attribute("[data-id=export-json]", "aria-label") == "Die aktuellen Gewichte als JSON herunterladen"
    assert page.get_attribute("[data-id=load]", "title").startswith("Den gewählten Lauf laden")
    assert page.evaluate("document.querySelector('[data-control=load] label').firstChild.textContent") \
        == "gespeicherter Lauf "
    base = page.url.split("?")[0]
    for query, accept, lang, title in (("?lang=de", "en-US", "de", "reluscope Spielwiese"),
                                       ("", "de-DE,de;q=0.9,en;q=0.8", "de", "reluscope Spielwiese"),
                                       ("", "fr-FR,de;q=0.5", "en", "reluscope playground"),
                                       ("?lang=en", "de-DE", "en", "reluscope playground")):
        html = page.request.get(base + query, headers={"Accept-Language": accept}).text()
        assert f'<html lang="{lang}">' in html and f"<title>{title}</title>" in html
    assert page.evaluate("[document.title, document.documentElement.lang]") == ["reluscope Spielwiese", "de"]
    assert "(gemessen an den Gewichten und Biastermen aus dem Schema „he“, gemittelt" in page.text_content(
        "[data-id=mf-text]")  # the key
