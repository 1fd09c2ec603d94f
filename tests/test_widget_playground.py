"""``rs.Playground`` in a kernel without a browser: the widget's traits and messages drive the playground's
session as the page's WebSocket does; from Python the settings, a copy of the model, the metrics and a saved run
can be read; closing it leaves no thread behind."""

import threading
import time

import pytest
import torch

import reluscope as rs
from reluscope.errors import ReluscopeError
from reluscope.serve.settings import Settings
from reluscope.serve.trainer import _training as TRAINING

SMALL = dict(n_samples=64, depth=2, width=4, steps=400)


def until(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def ours():
    return [t.name for t in threading.enumerate() if t.name.startswith(("reluscope-playground", "reluscope-run"))]


def front_end(pg, **content):
    """A message from the front-end, as the comm hands it to the widget."""
    pg.widget._handle_custom_msg(content, [])


@pytest.fixture
def pg(tmp_path):
    sent = []
    playground = rs.Playground(runs_dir=tmp_path / "runs", **SMALL)
    playground.widget.on_msg(lambda _w, content, buffers: sent.append(content))
    original = playground.widget.send
    playground.widget.send = lambda content, buffers=None: (sent.append(content), original(content, buffers))
    playground.sent = sent
    yield playground
    playground.close()


def test_the_first_run_is_the_settings_given_and_its_state_is_in_traits(pg):
    w = pg.widget
    until(lambda: w.data is not None)
    assert pg.settings.depth == 2 and w.settings["depth"] == 2 and w.data["tag"] == 0 and w.mode == "playground"
    assert set(w.schema["fields"]) == set(Settings().to_dict())
    assert w.schema["fields"]["lr"]["type"] == "float" and w.schema["fields"]["batch_size"]["nullable"]
    assert isinstance(w.data["train"]["buffer"], bytes) and not w.playing
    assert pg.metrics == {"step": 0, "status": "running", **pg.metrics} and pg.metrics["step"] == 0


def test_play_step_and_a_new_setting_from_the_front_end(pg, tmp_path):
    w = pg.widget
    until(lambda: w.data is not None)
    front_end(pg, type="control", action="step")
    until(lambda: pg.metrics["step"] == 1)
    w.playing = True  # the front-end's play button sets the trait
    until(lambda: pg.metrics["step"] >= 30)
    model = pg.model
    assert isinstance(model, torch.nn.Sequential) and all(torch.isfinite(p).all() for p in model.parameters())
    w.playing = False
    until(lambda: pg._trainer() not in TRAINING)  # the step under way ended: it waits in its gate
    step = pg.metrics["step"]
    path = pg.save(tmp_path / "saved")
    run = rs.load_run(path)
    assert run.metrics["steps_run"] == step and run.config.depth == 2
    assert all(torch.allclose(run.model.state_dict()[k], v, atol=1e-6) for k, v in pg.model.state_dict().items())
    with pytest.raises(ReluscopeError, match="exists"):
        pg.save(path)
    with w.hold_trait_notifications():
        w.request, w.settings = 1, {**w.settings, "depth": 3}
    until(lambda: w.data["tag"] == 1)
    assert pg.settings.depth == 3 and w.data["depth"] == 3
    frames = [m for m in pg.sent if m.get("type") == "frame"]
    assert frames and frames[-1]["layers"]["z_var"] and "buffers" not in w.trait_names()


def test_the_front_ends_save_export_runs_and_load_reach_the_session(pg, tmp_path):
    """The widget's buttons: "save run" is followed by the runs to load (the new one first), "JSON" gets the weights'
    file, and "load" brings the saved run back, resting, with its settings and weights."""
    import json
    w = pg.widget
    until(lambda: w.data is not None)
    for _ in range(3):
        front_end(pg, type="control", action="step")
    until(lambda: pg.metrics["step"] == 3)
    front_end(pg, type="save")
    until(lambda: any(m.get("type") == "runs" for m in pg.sent))
    saved = next(m for m in pg.sent if m.get("type") == "saved")
    assert next(m for m in pg.sent if m.get("type") == "runs")["runs"] == [saved["name"]]
    front_end(pg, type="export", format="json")
    until(lambda: any(m.get("type") == "export" and "file" in m for m in pg.sent))  # the session's, not the request
    export = next(m for m in pg.sent if m.get("type") == "export" and "file" in m)
    assert export["name"] == "reluscope-weights-step3.json" and export["file"]["dtype"] == "|u1"
    weights = pg.model.state_dict()
    with w.hold_trait_notifications():
        w.request, w.settings = 1, {**w.settings, "seed": 5}
    until(lambda: w.data["tag"] == 1 and pg.settings.seed == 5)
    front_end(pg, type="load", run=saved["name"])
    until(lambda: any(m.get("type") == "loaded" for m in pg.sent))
    assert pg.settings.seed == 0 and w.settings["seed"] == 0 and not w.playing
    assert all(torch.equal(pg.model.state_dict()[k], v) for k, v in weights.items())
    assert json.loads((tmp_path / "runs" / saved["name"] / "playground.json").read_text())["step"] == 3


def test_a_bad_message_gets_an_error_and_the_run_goes_on(pg):
    until(lambda: pg.widget.data is not None)
    front_end(pg, type="control", action="rewind")
    front_end(pg, type="upload", name="a.csv")  # no buffer
    until(lambda: len([m for m in pg.sent if m.get("type") == "error"]) == 2)
    front_end(pg, type="control", action="step")
    until(lambda: pg.metrics["step"] == 1)


def test_close_leaves_no_thread_behind(tmp_path):
    before = ours()
    pg = rs.Playground(runs_dir=tmp_path, **SMALL)
    pg.widget.playing = True
    until(lambda: pg.metrics["step"] > 5)
    assert len(ours()) == len(before) + 2
    pg.close()
    pg.close()
    assert ours() == before
    with pytest.raises(ReluscopeError, match="closed"):
        pg.metrics


def test_a_bad_setting_is_refused_before_any_thread_starts():
    before = ours()
    with pytest.raises(ReluscopeError, match="depth"):
        rs.Playground(depth=0)
    with pytest.raises(ReluscopeError, match="widths"):
        rs.Playground(widths=[8, 0])
    with pytest.raises(ReluscopeError, match="lang"):
        rs.Playground(lang="fr")
    assert ours() == before


def test_the_language_reaches_the_view_and_the_exercises(tmp_path):
    pg = rs.Playground(runs_dir=tmp_path, n_samples=64, lang="de")
    try:
        assert pg.widget.lang == "de" and pg.widget.schema["exercises"][0]["title"].startswith("Aufgabe")
    finally:
        pg.close()


def test_per_layer_widths_and_the_exercises_reach_the_widget(tmp_path):
    pg = rs.Playground(runs_dir=tmp_path, n_samples=64, widths=[8, 8, 4])
    try:
        assert [tuple(m.weight.shape) for m in pg.model if isinstance(m, torch.nn.Linear)] == [(8, 2), (8, 8),
                                                                                               (4, 8), (2, 4)]
        assert pg.settings.depth == 4 and [e["id"] for e in pg.widget.schema["exercises"]][0] == "1.2"
    finally:
        pg.close()


def test_digits_are_seen_on_a_slice_and_three_points_move_it(tmp_path):
    """``rs.Playground(dataset="digits")``: the session's slice (the plane through ``auto_indices``), and a
    plane picked by the front-end (the setting ``through``) moves it in the same run."""
    from reluscope.geometry.plane import auto_indices

    pg = rs.Playground(runs_dir=tmp_path, dataset="digits", depth=2, width=8)
    try:
        w = pg.widget
        until(lambda: w.data is not None)
        data = pg._session.scene.data
        assert w.data["slice"]["through"] == list(auto_indices(data.X, data.y)) and w.data["slice"]["dim"] == 64
        assert [tuple(m.weight.shape) for m in pg.model if isinstance(m, torch.nn.Linear)] == [(8, 64), (10, 8)]
        with w.hold_trait_notifications():
            w.request, w.settings = 1, {**w.settings, "through": "3,30,300"}
        until(lambda: w.data["tag"] == 1)
        assert w.data["slice"]["through"] == [3, 30, 300] and w.data["run"] == 1 and pg.settings.through == "3,30,300"
    finally:
        pg.close()
