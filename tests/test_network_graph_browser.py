"""The network graph: one node per neuron in a small net, one bar per layer in a wide one; hovering a hidden layer
names its values (those of the frame) and chooses it for the Task 2 and cells views."""

import re

import pytest
from conftest import LIVE_VIEW as HOOK

pytestmark = pytest.mark.browser


def hover_column(page, k):
    xs = page.evaluate(f"{HOOK}.netX")
    box = page.locator("[data-id=c-net]").bounding_box()
    width = page.evaluate("document.querySelector('[data-id=c-net]').width")
    page.mouse.move(box["x"] + xs[k] / width * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(f"{HOOK}.netHover === {k}")


def test_hovering_a_layer_shows_its_values_and_chooses_it(live_page):
    page = live_page("n_samples=300&depth=4&width=8")
    assert len(page.evaluate(f"{HOOK}.netX")) == 5  # input, 3 hidden layers, output
    hover_column(page, 2)
    page.wait_for_function(f"{HOOK}.view.layer === 2")
    assert page.input_value("[data-id=v-layer]") == "2"
    note = page.text_content("[data-id=net-note]")
    layers = page.evaluate(f"{HOOK}.last.layers")
    assert note.startswith("layer 2: 8 neurons")
    var = float(re.search(r"Var z ([-\d.e]+)", note)[1])
    assert var == pytest.approx(layers["z_var"][1], rel=0.06)
    assert note.endswith(f"{round(layers['dead'][1] * 100)} % dead")
    hover_column(page, 4)
    assert page.text_content("[data-id=net-note]") == "output: 2 classes"
    assert page.evaluate(f"{HOOK}.view.layer") == 2  # the output is no layer of the views
