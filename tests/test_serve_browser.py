"""The playground in headless Chromium (Debian's, driven by Playwright) against a server on 127.0.0.1: play,
divergence, He, the layer selector, the URL, save run, a CSV upload, two tabs — and no console errors."""

import contextlib
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import watch

import reluscope as rs
from reluscope.serve import ServeConfig, running

SMALL = "n_samples=300&depth=3&width=16"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """(new_page, runs_dir): new_page(hash) opens the playground and waits for its first frame."""
    runs = tmp_path_factory.mktemp("runs")
    with running(ServeConfig(port=0, runs_dir=runs)) as url:

        @contextlib.contextmanager
        def new_page(hash_=SMALL):
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            errors, outside = watch(page, url.rstrip("/"))
            page.goto(f"{url}#{hash_}")
            first_frame(page)
            yield page
            assert errors == [] and outside == []
            page.close()

        yield new_page, runs


HOOK = "document.querySelector('.reluscope')?.reluscope"  # the live view's state, kept on its root element


def state(page, expr):
    return page.evaluate(f"{HOOK}.{expr}")


def wait(page, condition):
    """Wait until ``condition`` (JavaScript, with ``S`` the live view's state) holds and the page has painted
    since (no paint is pending: its canvases show that state)."""
    page.wait_for_function(f"(() => {{ const S = {HOOK}; return S && ({condition}) && !S.raf; }})()")


def first_frame(page):
    wait(page, "S.data && S.last && S.last.run === S.run")


def canvas(page, cid):
    return page.evaluate(f"document.querySelector('[data-id={cid}]').toDataURL()")


def the(name):
    """The selector of the live view's element ``name`` (its data-id)."""
    return f"[data-id={name}]"


def test_play_moves_the_step_the_loss_and_the_boundary(browser):
    new_page, _ = browser
    with new_page() as page:
        before, loss = canvas(page, "c-boundary"), page.inner_text(the("scores"))
        page.click(the("play"))
        wait(page, "S.step >= 40")
        page.click(the("play"))
        wait(page, "!S.playing")
        assert int(page.inner_text(the("step"))) >= 40
        assert page.inner_text(the("scores")) != loss and canvas(page, "c-boundary") != before


def test_task_1_2_diverges_and_names_the_layer(browser):
    new_page, _ = browser
    with new_page(SMALL) as page:
        page.select_option(the("preset"), "1.2")
        wait(page, "S.settings.depth === 11 && S.step === 0")
        first_frame(page)
        page.click(the("play"))
        page.wait_for_function("document.querySelector('[data-id=status]').textContent.includes('diverged')")
        text = page.inner_text(the("status"))
        assert "diverged at step" in text and ("layer" in text or "output" in text)
        assert 1 <= state(page, "marked") <= 11 and "bad" in page.get_attribute(the("status"), "class")


def test_task_1_4_he_trains(browser):
    new_page, _ = browser
    with new_page(SMALL) as page:
        page.select_option(the("preset"), "1.4")
        wait(page, "S.settings.init === 'he' && S.settings.depth === 11")
        first_frame(page)
        page.click(the("play"))
        wait(page, "S.step >= 150")
        hist = state(page, "hist")
        assert "diverged" not in page.inner_text(the("status"))
        assert hist[-1]["train_loss"] < 0.9 * hist[0]["train_loss"]


def test_layer_selector_changes_task_2_and_cells(browser):
    new_page, _ = browser
    with new_page(SMALL + "&layer=1") as page:
        wait(page, "S.last.cells && S.last.cells.exact")
        bp, cells = canvas(page, "c-bp"), canvas(page, "c-cells")
        page.select_option(the("v-layer"), "2")
        wait(page, "S.last.view.layer === 2 && S.last.cells.layer === 2")
        assert canvas(page, "c-bp") != bp and canvas(page, "c-cells") != cells
        assert "layer=2" in page.url


EVERY = dict(dataset="moons", noise="0.15", n_samples="400", depth="7", width="24", activation="tanh",
             init="mean-field", sigma_w2="1.5", sigma_b2="0.1", optimizer="adam", lr="0.01", batch_size="64",
             steps="500", seed="3")


def test_the_url_restores_every_control(browser):
    new_page, _ = browser
    hash_ = "&".join(f"{k}={v}" for k, v in EVERY.items()) + "&layer=4&projection=nonzero"
    with new_page(hash_) as page:
        for _ in range(2):  # as opened, and after a reload
            shown = {k: page.input_value(the(f"s-{k}")) for k in EVERY}
            assert shown == EVERY
            assert (page.input_value(the("v-layer")), page.input_value(the("v-projection"))) == ("4", "nonzero")
            assert state(page, "data.settings.sigma_w2") == 1.5 and state(page, "data.settings.batch_size") == 64
            page.reload()
            first_frame(page)
        page.eval_on_selector(the("s-width"), "el => { el.value = '40'; el.dispatchEvent(new Event('change')); }")
        wait(page, "S.data.settings.width === 40")
        link = page.url
    with new_page(urlsplit(link).fragment) as page:
        assert page.input_value(the("s-width")) == "40"
        assert dict(parse_qsl(urlsplit(page.url).fragment, keep_blank_values=True))["init"] == "mean-field"


def test_save_run_writes_what_load_run_reads(browser):
    new_page, runs = browser
    with new_page() as page:
        for _ in range(3):
            page.click(the("stepbtn"))
        wait(page, "S.step === 3")
        page.click(the("save"))
        page.wait_for_function("document.querySelector('[data-id=saved]').textContent.includes('→')")
        path = Path(page.inner_text(the("saved")).split("→", 1)[1].strip())
    run = rs.load_run(path)
    assert path.parent == runs and run.metrics["steps_run"] == 3 and run.config.depth == 3


def test_a_dropped_csv_trains(browser, tmp_path):
    new_page, _ = browser
    csv = tmp_path / "ring.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i % 9},{(i * 7) % 11},{int(i % 9 > 4)}\n" for i in range(60)))
    with new_page() as page:
        page.set_input_files(the("upload"), str(csv))
        wait(page, "S.data.name === 'ring.csv'")
        assert page.input_value(the("s-dataset")) == "csv" and "ring.csv" in page.inner_text(the("dataname"))
        page.set_input_files(the("upload"), {"name": "bad.csv", "mimeType": "text/csv",
                                             "buffer": b"x1,x2,label\n1,2\n"})
        page.wait_for_function("document.querySelector('[data-id=errors]').textContent.includes('bad.csv')")
        dropped = page.evaluate_handle("""() => { const dt = new DataTransfer();
            dt.items.add(new File([document.defaultView.__csv], 'dropped.csv', {type: 'text/csv'})); return dt; }"""
                                       .replace("document.defaultView.__csv", json.dumps(csv.read_text())))
        page.dispatch_event(the("drop"), "drop", {"dataTransfer": dropped})
        wait(page, "S.data.name === 'dropped.csv'")


def test_two_tabs_train_independently(browser):
    new_page, _ = browser
    with new_page() as a, new_page(SMALL + "&seed=5") as b:
        a.click(the("play"))
        wait(a, "S.step >= 20")
        assert state(b, "step") == 0 and not state(b, "playing") and state(b, "settings.seed") == 5
        b.click(the("stepbtn"))
        wait(b, "S.step === 1")
        assert state(a, "playing") and json.loads(json.dumps(state(a, "settings.seed"))) == 0


def test_a_link_with_a_bad_setting_starts_from_the_defaults(browser):
    new_page, _ = browser
    with new_page("depth=abc&width=9999") as page:
        assert state(page, "data.settings.depth") == 3
        assert "depth: enter a whole number" in page.inner_text(the("errors"))  # the catalog's words


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page, context="document"):
    """axe-core's serious and critical findings in ``context`` (a JS expression), one line each."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(f"""async () => (await axe.run({context}, {{resultTypes: ['violations']}})).violations
        .filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")


def test_axe_finds_no_serious_violation_and_the_controls_are_named(browser):
    new_page, _ = browser
    with new_page() as page:
        assert axe_violations(page) == []
        names = {b: page.get_attribute(the(b), "aria-label") for b in ("reset", "play", "stepbtn")}
        assert names == {"reset": "Reset to step 0", "play": "Play", "stepbtn": "+1 step"}
        assert page.get_attribute(the("play"), "aria-pressed") == "false"
        assert page.get_attribute(the("status"), "role") == "status"
        label = page.get_attribute(the("c-bp"), "aria-label")
        assert page.get_attribute(the("c-bp"), "role") == "img" and "Layer 1" in label and "step 0" in label
        page.click(the("play"))
        assert page.get_attribute(the("play"), "aria-pressed") == "true"
        wait(page, "S.step >= 5")
        page.click(the("play"))
        assert page.get_attribute(the("play"), "aria-pressed") == "false"
        wait(page, "!S.playing")
        time.sleep(0.3)  # the last frame of the run drawn
        assert page.get_attribute(the("c-bp"), "aria-label") != label  # the label follows the step


def test_a_double_click_on_play_plays_then_pauses(browser):
    new_page, _ = browser
    with new_page() as page:
        page.dblclick(the("play"))
        wait(page, "!S.playing")
        step, since, deadline = state(page, "step"), time.monotonic(), time.monotonic() + 30
        while time.monotonic() - since < 1 and time.monotonic() < deadline:  # a step it took may still come
            time.sleep(0.1)
            if state(page, "step") != step:
                step, since = state(page, "step"), time.monotonic()
        assert time.monotonic() - since >= 1, "the run went on stepping"
        assert page.get_attribute(the("play"), "aria-pressed") == "false"


def test_a_panel_with_a_note_clears_its_canvas(browser):
    """After switching to tanh the cells panel says why it is off, and the ReLU cells are gone."""
    new_page, _ = browser
    with new_page() as page:
        wait(page, "S.last.cells && S.last.cells.count > 1")
        relu = canvas(page, "c-cells")
        page.select_option(the("s-activation"), "tanh")
        wait(page, "S.data.settings.activation === 'tanh' && S.last && S.last.cells && S.last.cells.note")
        deadline = time.monotonic() + 30  # the repaint waits for the next animation frame
        while canvas(page, "c-cells") == relu and time.monotonic() < deadline:
            time.sleep(0.05)
        assert canvas(page, "c-cells") != relu and "piecewise linear" in page.inner_text(the("cells-note"))


def test_an_edit_made_during_a_restart_is_kept(browser):
    """Two quick edits: the first run's echo must not put the first edit's values back over the second."""
    new_page, _ = browser
    with new_page() as page:
        page.eval_on_selector(the("s-width"), "el => { el.value = '20'; el.dispatchEvent(new Event('change')); }")
        page.eval_on_selector(the("s-seed"), "el => { el.value = '7'; el.dispatchEvent(new Event('change')); }")
        wait(page, "S.data.settings.seed === 7")
        assert page.input_value(the("s-width")) == "20" and page.input_value(the("s-seed")) == "7"


def test_a_lost_connection_is_shown_and_a_click_says_so(chromium, tmp_path):
    """The server closes an idle page: the page says so and dims, and a click tells it is not sent."""
    with running(ServeConfig(port=0, runs_dir=tmp_path, idle_timeout=2.0)) as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        errors, _ = watch(page, url.rstrip("/"))
        page.goto(f"{url}#{SMALL}")
        first_frame(page)
        page.wait_for_selector(".reluscope.offline", timeout=20_000)
        assert "disconnected" in page.inner_text(the("busy"))
        page.click(the("stepbtn"), force=True)
        page.wait_for_function("document.querySelector('[data-id=errors]').textContent.includes('disconnected')")
        assert errors == []
        page.close()


def test_ranges_of_long_histories_need_no_spread(browser):
    """A long ``rs.watch`` history passes 130k values, where ``Math.max(...values)`` throws a RangeError."""
    new_page, _ = browser
    with new_page() as page:
        lo_hi = page.evaluate("""async () => { const m = await import('./static/liveview.js');
            const values = Array.from({length: 300000}, (_, i) => i % 7 === 0 ? NaN : i);
            return m.extent(values); }""")
        assert lo_hi == [1, 299998]  # 299999 = 7 · 42857: NaN
