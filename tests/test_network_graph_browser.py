"""The network graph: one node per neuron in a small net, one bar per layer in a wide one; hovering a hidden layer
names its values (those of the frame) and chooses it for the Task 2 and cells views; hovering a neuron or an edge (or
walking to it with the keys) shows its bias or weight, the run's own parameter: the one the page's socket exports."""

import json
import re

import numpy as np
import pytest
from conftest import LIVE_VIEW as HOOK

from reluscope.report.numbers import parse_number
from reluscope.serve.codec import decode

pytestmark = pytest.mark.browser


def hover_column(page, k):
    xs = page.evaluate(f"{HOOK}.netX")
    box = page.locator("[data-id=c-net]").bounding_box()
    width = page.evaluate("document.querySelector('[data-id=c-net]').width")
    page.mouse.move(box["x"] + xs[k] / width * box["width"], box["y"] + 2)  # above the nodes and edges
    page.wait_for_function(f"{HOOK}.netHover === {k} && !{HOOK}.raf")  # chosen, and painted since


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


@pytest.fixture
def exporting_page(live_page):
    """open(hash_, query) -> (page, export): ``export()`` asks the page's socket for the weights as JSON and returns
    its state dict (name -> float64 array), as the page's export gets it."""
    sockets, exports = [], []

    def route(ws):
        server = ws.connect_to_server()
        sockets.append(server)

        def from_server(message):
            if isinstance(message, bytes) and b'"type":"export"' in message[:4096]:
                exports.append(decode(message))
            else:
                ws.send(message)

        server.on_message(from_server)
        ws.on_message(server.send)

    def open_(hash_, query="?lang=en", **kw):
        page = live_page(hash_, query=query, route=route, **kw)

        def export():
            n = len(exports)
            sockets[-1].send(json.dumps({"v": 2, "type": "export", "format": "json"}))
            for _ in range(300):  # the route's handlers run while the page waits
                if len(exports) > n:
                    break
                page.wait_for_timeout(100)
            file = bytes(np.asarray(exports[-1]["file"], dtype=np.uint8))
            return {k: np.array(v, dtype=np.float64) for k, v in json.loads(file)["state_dict"].items()}

        return page, export

    return open_


def rest_after(page, export, steps: int) -> dict:
    """The exported state dict after ``steps`` single steps, once the page's graph holds those same weights."""
    for _ in range(steps):
        page.click("[data-id=stepbtn]")
    page.wait_for_function(f"{HOOK}.step === {steps} && {HOOK}.last.weights && {HOOK}.last.step === {steps}")
    state = export()
    biases = json.dumps([[float(np.float32(v)) for v in state[f"{2 * i}.bias"]] for i in range(len(state) // 2)],
                        separators=(",", ":"))  # as JSON.stringify writes them
    page.wait_for_function(f"JSON.stringify({HOOK}.last.weights.map((w) => Array.from(w.b))) === {biases!r}")
    return state


def node_xy(page, col, unit, towards=None, at=0.0):
    """The page point of node ``unit`` of column ``col``, or a fraction ``at`` along its edge from node ``towards``
    of the column before."""
    geo = page.evaluate(f"{HOOK}.netGeo")
    box = page.locator("[data-id=c-net]").bounding_box()
    size = page.evaluate("[document.querySelector('[data-id=c-net]').width,"
                         " document.querySelector('[data-id=c-net]').height]")
    x, y = geo["xs"][col], geo["ys"][col][unit]
    if towards is not None:
        x0, y0 = geo["xs"][col - 1], geo["ys"][col - 1][towards]
        x, y = x0 + at * (x - x0), y0 + at * (y - y0)
    return box["x"] + x / size[0] * box["width"], box["y"] + y / size[1] * box["height"]


def note_starting(page, text: str) -> str:
    """The graph's note once it starts with ``text`` (it is painted on the next animation frame)."""
    page.wait_for_function(f"document.querySelector('[data-id=net-note]').textContent.startsWith({json.dumps(text)})")
    return page.text_content("[data-id=net-note]")


def shown(note: str, lang: str = "en") -> float:
    """The number a note ends with, as the page's language writes it (the report's way: 1,5 · 10⁻⁶)."""
    return parse_number(re.search(r"(-?[\d.,]+(?:\u202f·\u202f10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)$", note)[1], lang)


def test_hovering_a_neuron_or_an_edge_shows_the_models_parameter(exporting_page):
    page, export = exporting_page("n_samples=300&depth=3&width=4")
    state = rest_after(page, export, 3)  # at rest: the weights the page shows
    b1, w2 = state["0.bias"], state["2.weight"]  # layer 1's biases, layer 2's weights (4, 4)
    assert np.all(b1 != 0)  # trained: no bias is still its initial 0
    assert page.evaluate(f"{HOOK}.last.weights.map((w) => Object.keys(w).sort().join())") == ["W,b"] * 3
    page.mouse.move(*node_xy(page, 1, 3))
    note = note_starting(page, "neuron 4 of layer 1: bias ")
    assert shown(note) == pytest.approx(b1[3], rel=6e-4)
    page.mouse.move(*node_xy(page, 2, 2, towards=1, at=0.35))  # on the edge neuron 2 (layer 1) -> neuron 3 (layer 2)
    note = note_starting(page, "weight from neuron 2 of layer 1 to neuron 3 of layer 2: ")
    assert shown(note) == pytest.approx(w2[2, 1], rel=6e-4)
    assert page.evaluate(f"{HOOK}.view.layer") == 2


def test_the_keys_walk_to_a_weight_and_a_german_page_writes_it_with_the_decimal_comma(exporting_page):
    page, export = exporting_page("n_samples=300&depth=3&width=4", query="?lang=de", locale="de-DE")
    state = rest_after(page, export, 2)
    page.focus("[data-id=c-net]")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Shift+ArrowDown", "Shift+ArrowDown"):
        page.keyboard.press(key)
    note = note_starting(page, "Gewicht von Neuron 2 von Layer 1 zu Neuron 2 von Layer 2: ")
    assert "," in note.rsplit(" ", 1)[1] and shown(note, "de") == pytest.approx(state["2.weight"][1, 1], rel=6e-4)
    page.keyboard.press("ArrowRight")  # the output: its neuron's bias, named by its class
    note = note_starting(page, "Klasse 1: Bias ")
    assert state["4.bias"][1] != 0 and shown(note, "de") == pytest.approx(state["4.bias"][1], rel=6e-4)


def test_a_tap_on_a_tablet_shows_a_neurons_bias(exporting_page):
    page, export = exporting_page("n_samples=300&depth=3&width=4", size=(768, 1024), touch=True)
    state = rest_after(page, export, 2)
    page.locator("[data-id=c-net]").scroll_into_view_if_needed()
    x, y = node_xy(page, 2, 1)
    page.touchscreen.tap(x, y)
    note = note_starting(page, "neuron 2 of layer 2: bias ")
    assert state["2.bias"][1] != 0 and shown(note) == pytest.approx(state["2.bias"][1], rel=6e-4)
