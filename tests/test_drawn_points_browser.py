"""The class's own points, per-layer widths and the server's exercises, as the page sends and shows them: a click on
the boundary adds a point of the chosen class, shift-click or right-click removes the nearest drawn one, "clear"
removes all; the points live in the link, and a text ``8,8,4`` is sent as the list of widths; the exercise menu lists
the server's exercises and a link ``ex=ID`` opens one with its task, locks and hidden controls. What the page sends is
read on its way to the server (``page.route_web_socket``)."""

import json

import pytest
from conftest import LIVE_VIEW as HOOK

from reluscope.serve.exercises import exercises

pytestmark = pytest.mark.browser


@pytest.fixture
def page_and_sent(live_page):
    """(open(hash) -> page, sent): the settings the page sends, passed on to the server as they are."""
    sent = []

    def route(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if isinstance(message, str):
                msg = json.loads(message)
                if msg.get("type") == "settings":
                    sent.append(msg["settings"])
            server.send(message)

        server.on_message(ws.send)
        ws.on_message(to_server)

    def open_(hash_="n_samples=300&depth=3&width=16"):
        return live_page(hash_, route=route)

    return open_, sent


def click(page, fx, fy, **kw):
    box = page.locator("[data-id=c-points]").bounding_box()
    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    if kw.get("shift"):
        page.keyboard.down("Shift")
    page.mouse.down(button=kw.get("button", "left"))
    page.mouse.up(button=kw.get("button", "left"))
    if kw.get("shift"):
        page.keyboard.up("Shift")


def test_clicks_add_and_remove_points_of_the_chosen_class_and_the_link_keeps_them(page_and_sent):
    open_, sent = page_and_sent
    page = open_()
    assert page.is_visible("[data-id=draw-class]") and page.is_visible("[data-id=s-widths]")
    box = page.evaluate(f"{HOOK}.data.box")
    click(page, 0.25, 0.25)
    page.select_option("[data-id=draw-class]", "1")
    click(page, 0.75, 0.75)
    points = sent[-1]["points"]
    assert [p[2] for p in points] == [0, 1]
    x0, x1, y0, y1 = box  # the first point: a quarter in from the left, a quarter down from the top
    assert points[0][0] == pytest.approx(x0 + 0.25 * (x1 - x0), abs=0.02)
    assert points[0][1] == pytest.approx(y1 - 0.25 * (y1 - y0), abs=0.02)
    page.wait_for_function("location.hash.includes('points=')")
    link = page.url
    click(page, 0.3, 0.3, shift=True)  # the nearest drawn point, the class-0 one, goes
    assert [p[2] for p in sent[-1]["points"]] == [1]
    click(page, 0.1, 0.9, button="right")
    assert sent[-1]["points"] == []
    click(page, 0.5, 0.5)
    page.click("[data-id=clear]")
    assert sent[-1]["points"] == []
    open_(link.split("#", 1)[1])  # the link's points are the new page's first request
    assert sent[-1]["points"] == points


def test_the_empty_plane_waits_for_two_classes_then_trains_on_the_clicks(page_and_sent):
    open_, sent = page_and_sent
    page = open_()
    page.click("[data-id=clear]")  # on a built-in set: the drawn points go, the set stays
    assert sent[-1]["points"] == [] and sent[-1]["dataset"] == "spirals"
    assert page.text_content("[data-id=s-dataset] option[value=drawn]") == "empty plane (draw)"
    page.select_option("[data-id=s-dataset]", "drawn")
    assert sent[-1]["dataset"] == "drawn"
    wait = "Click the plane to add points of at least two classes"
    page.wait_for_function(f"document.querySelector('[data-id=status]').textContent.startsWith({wait!r})")
    assert page.evaluate(f"{HOOK}.data.train_labels.length") == 0
    click(page, 0.3, 0.3)
    page.wait_for_function(f"{HOOK}.data.train_labels.length === 1")
    # the waiting plane's line follows its data message: one class still waits
    page.wait_for_function(f"document.querySelector('[data-id=status]').textContent.startsWith({wait!r})")
    assert page.evaluate(f"{HOOK}.step") == 0
    page.select_option("[data-id=draw-class]", "1")
    click(page, 0.7, 0.7)
    page.wait_for_function(f"{HOOK}.data.train_labels.length === 2 && {HOOK}.step >= 5")  # it trains, by itself
    assert page.evaluate(f"Array.from({HOOK}.data.train_labels)") == [0, 1]
    assert not page.text_content("[data-id=status]").startswith(wait)
    assert "dataset=drawn" in page.url and "points=" in page.url


def test_widths_typed_as_a_list_are_sent_as_one(page_and_sent):
    open_, sent = page_and_sent
    page = open_()
    page.fill("[data-id=s-widths]", "8,8,4")
    page.dispatch_event("[data-id=s-widths]", "change")
    assert sent[-1]["widths"] == [8, 8, 4]
    # the new run's echo rewrites the controls: clear the field once it has come
    page.wait_for_function(f"(() => {{ const S = {HOOK}; "
                           "return S.data && S.data.settings.widths?.join() === '8,8,4'; })()")
    page.fill("[data-id=s-widths]", "")
    page.dispatch_event("[data-id=s-widths]", "change")
    page.wait_for_function(f"(() => {{ const S = {HOOK}; return S.settings.widths === null; }})()")
    assert sent[-1]["widths"] is None


def test_the_menu_offers_the_servers_exercises_and_a_link_opens_one(page_and_sent):
    open_, sent = page_and_sent
    page = open_()
    ex = {e["id"]: e for e in exercises("en")}
    titles = page.evaluate("[...document.querySelectorAll('[data-id=preset] option')].map(o => o.textContent)")
    assert titles == ["—", *(e["title"] for e in ex.values())]
    page.select_option("[data-id=preset]", "1.2")
    assert {k: sent[-1][k] for k in ("depth", "width", "init")} == {"depth": 11, "width": 32, "init": "normal"}
    assert page.text_content("[data-id=task-text]") == ex["1.2"]["task"]
    linked = open_("ex=1.2")
    assert {k: sent[-1][k] for k in ("depth", "init")} == {"depth": 11, "init": "normal"}
    assert linked.text_content("[data-id=question]") == ex["1.2"]["question"]
    assert linked.is_disabled("[data-id=s-init]") and linked.locator("[data-id=s-optimizer]").count() == 0
    assert "chosen" in linked.get_attribute("[data-panel=task1]", "class")
