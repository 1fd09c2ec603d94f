"""The playground's server over real WebSockets on 127.0.0.1: sessions train independently, the limit answers
"busy", a foreign Origin is refused, idle sessions are closed, and a seeded battery of malformed messages and
uploads gets one error each while another session keeps training."""

import contextlib
import json
import logging
import random
import time
from dataclasses import fields
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from reluscope.serve import ServeConfig, running
from reluscope.serve.codec import decode, envelope
from reluscope.serve.messages import MAX_UPLOAD, VERSION
from reluscope.serve.settings import Settings

FUZZ_CASES = 600
BAD_SETTINGS = ([("depth", v) for v in (0, 31, 3.5, "3", True, None, 10**30)]
                + [("width", v) for v in (1, 129, -5, "8")] + [("lr", v) for v in (0, -1, 11, 1e400, "0.1", None)]
                + [("seed", v) for v in (-1, 2**32, 1.5)] + [("init", v) for v in ("he ", "HE", "", None, 3)]
                + [("dataset", v) for v in ("../x.csv", "/etc/passwd", "moon", 1)]
                + [("noise", v) for v in (-0.1, 4, "0.1")] + [("sigma_w2", v) for v in (0, 17, -1)]
                + [("batch_size", v) for v in (0, 5001, 2.5)] + [("steps", v) for v in (0, 100_001)]
                + [("widths", v) for v in ([0], [129], [8] * 30, "8,8", [2.5], [True], [None], 8, [10**40], [[8]], {})]
                + [("points", v) for v in ([[0, 0]], [[0, 0, 8]], [[11, 0, 0]], [[10**40, 0, 0]], [[0, 0, 10**40]],
                                           [[0, 0, 1]] * 201, [[0, 0, True]], [[None, 0, 0]], [0, 0, 1], "0,0,1")]
                + [("through", v) for v in ("1,2", "1,1,2", "a,b,c", "-1,2,3", "1,2,3,4", "AUTO", "", 7, None,
                                            [1, 2, 3], "1,2,10000001", "١,٢,٣")]
                + [("activation", "gelu"), ("optimizer", "lbfgs"), ("unknown", 1), ("__class__", 1)])
# what every field must survive: magnitudes up to 1e308 and 10**400, text that is no UTF-8 (a lone surrogate, as a
# JSON \\udce9 escape decodes), over-long names; none is a valid value of any field
EXTREMES = [10**40, -(10**40), 10**400, -(10**400), 1e308, -1e308, 1.7976931348623157e308, "caf\udce9",
            "\udcff" * 300, "\ud800", "x" * 300, "x" * 5000, "n" * 256 + ".csv"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    with running(ServeConfig(port=0, runs_dir=runs, max_sessions=3)) as url:
        yield url.replace("http://", "ws://") + "ws", runs


def send(ws, kind, **fields):
    ws.send(json.dumps({"v": VERSION, "type": kind, **fields}))


def until(ws, pred, timeout=30.0):
    """Messages up to and including the first for which ``pred`` holds."""
    seen, deadline = [], time.monotonic() + timeout
    while True:
        m = decode(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        seen.append(m)
        if pred(m):
            return seen


@contextlib.contextmanager
def started(url, additional_headers=None, **settings):
    """A session whose first run (paused at step 0) has drawn its first frame and panels. Its client takes every
    message as it comes, as a page does (``max_queue=None``): a playing run's frames that the test leaves unread
    would otherwise stop the client reading, and its close wait ``close_timeout`` (10 s) for the server's reply."""
    with connect(url, additional_headers=additional_headers, max_queue=None) as ws:
        assert decode(ws.recv(timeout=10))["type"] == "hello"
        send(ws, "settings", settings={"n_samples": 200, "depth": 3, "width": 8, **settings})
        until(ws, lambda m: m["type"] == "panels")
        yield ws


def test_two_sessions_train_independently(server):
    url, _ = server
    with started(url) as a, started(url, seed=1) as b:
        send(a, "control", action="play")
        frames = until(a, lambda m: m["type"] == "frame" and m["step"] >= 10)
        assert frames[-1]["playing"]
        send(b, "control", action="step")
        m = until(b, lambda m: m["type"] == "panels" and m["step"] == 1)[-1]
        assert m["cells"]["exact"]  # b rests at step 1 with exact cells
        time.sleep(0.3)
        send(b, "view", view={"layer": 2, "projection": "embedded"})
        m = until(b, lambda m: m["type"] == "frame" and m["view"]["layer"] == 2)[-1]
        assert m["step"] == 1 and m["backprojection"]["layer"] == 2 and m["backprojection"]["projection"] == "embedded"
        assert m["backprojection"]["dimension"] == 8  # n + Σ (d_k − rank W_k) = 2 + (8 − 2) + (8 − 8)


def training_panels(ws, count: int) -> list[dict]:
    """The next ``count`` ``panels`` messages drawn for a frame of a playing run."""
    out, last = [], None
    while len(out) < count:
        m = decode(ws.recv(timeout=30))
        if m["type"] == "frame":
            last = m
        elif m["type"] == "panels" and last is not None and last["step"] == m["step"] and last["playing"]:
            out.append(m)
    return out


@pytest.mark.parametrize("live_exact, live_cpu", [(3000, 1.0), (0, 1.0), (3000, 0.0)])  # 1 s: never too slow
def test_the_cells_stay_exact_while_training_unless_they_are_too_many(server, monkeypatch, live_exact, live_cpu):
    """A layer with at most ``LIVE_EXACT`` cells, whose slow panels take at most ``LIVE_CPU`` s, is drawn as exact
    polygons while the run trains; past either the panels fall back to the grid image once an exact drawing was
    too large or too slow."""
    monkeypatch.setattr("reluscope.serve.session.LIVE_EXACT", live_exact)
    monkeypatch.setattr("reluscope.serve.session.LIVE_CPU", live_cpu)
    url, _ = server
    with started(url) as ws:
        send(ws, "control", action="play")
        cells = [p["cells"] for p in training_panels(ws, 4)]
    assert all(c["count"] > 0 for c in cells)
    live = live_exact > 0 and live_cpu > 0
    assert [c["exact"] for c in cells[1:]] == [live] * 3, cells


def test_per_layer_widths_reach_the_model(server):
    url, _ = server
    with started(url, widths=[6, 5, 4]) as ws:
        send(ws, "settings", settings={"n_samples": 200, "widths": [7, 3]}, tag=2)
        data = until(ws, lambda m: m["type"] == "data")[-1]
        assert data["settings"]["widths"] == [7, 3] and data["settings"]["depth"] == 3
        frame = until(ws, lambda m: m["type"] == "frame" and m["run"] == data["run"])[-1]
        assert len(frame["layers"]["dead"]) == 2  # the hidden layers' only: the logits have no kink


def test_beyond_the_limit_a_page_is_told_busy(server):
    url, _ = server
    with started(url), started(url), started(url):
        with connect(url) as extra:
            m = decode(extra.recv(timeout=10))
            assert m["type"] == "busy" and "busy" in m["message"]
    with started(url):  # the three closed: room again
        pass


def test_a_foreign_origin_is_refused(server):
    url, _ = server
    with pytest.raises(Exception):
        with connect(url, origin="http://evil.example") as ws:
            ws.recv(timeout=5)


def test_drawn_points_join_the_running_training_without_a_restart(server, tmp_path):
    """A point sent while the run trains: the same run goes on (its step grows past where it was), its data
    message holds the point, the next frames are measured on it, a saved run keeps it; junk changes nothing."""
    import numpy as np
    import reluscope as rs
    url, _ = server
    with started(url, n_samples=100, steps=100_000) as ws:
        send(ws, "control", action="play")
        first = until(ws, lambda m: m["type"] == "frame" and m["step"] >= 5)[-1]
        send(ws, "settings", settings={"n_samples": 100, "depth": 3, "width": 8, "steps": 100_000,
                                       "points": [[0.25, -1.5, 1], [9.5, 9.5, 0]]}, tag=3)
        data = until(ws, lambda m: m["type"] == "data")[-1]
        assert data["run"] == first["run"] and data["settings"]["points"] == [[0.25, -1.5, 1], [9.5, 9.5, 0]]
        train, labels = np.asarray(data["train"]), np.asarray(data["train_labels"])
        assert train[-2:].tolist() == [[0.25, -1.5], [9.5, 9.5]] and labels[-2:].tolist() == [1, 0]
        later = until(ws, lambda m: m["type"] == "frame" and m["step"] > first["step"] + 5)[-1]
        assert later["run"] == first["run"] and later["playing"]
        for junk in ([[0.0, 0.0, 2]], [[0.0, 0.0]], [[10.5, 0.0, 0]], [[1e400, 0.0, 0]], [[10**40, 0, 0]],
                     [[0.0, 0.0, -1]], [[0.0, 0.0, 1.0]], [[0.0, 0.0, 1]] * 201, "0,0,1", [["0", 0, 1]]):
            send(ws, "settings", settings={"n_samples": 100, "depth": 3, "width": 8, "steps": 100_000,
                                           "points": junk}, tag=4)
            assert "point" in until(ws, lambda m: m["type"] == "error")[-1]["message"]
        send(ws, "control", action="pause")
        send(ws, "save")
        saved = until(ws, lambda m: m["type"] == "saved")[-1]
    run = rs.load_run(Path(saved["path"]))
    assert run.data.X_train[-2:].tolist() == [[0.25, -1.5], [9.5, 9.5]]
    assert json.loads((Path(saved["path"]) / "playground.json").read_text())["settings"]["points"][0] == [0.25, -1.5, 1]


def test_the_empty_plane_waits_for_points_of_two_classes_then_trains_on_them(server):
    """The drawn plane: no points or one class, no run, one line (a catalog key) saying what to do, and play is
    answered with it; a point of a second class starts the run, playing, on exactly the drawn points; a saved run
    keeps them and loads back; down to one class again, it waits again."""
    import numpy as np
    import reluscope as rs
    url, _ = server
    a, b = [-1.0, -1.0, 0], [1.0, 0.5, 1]
    with connect(url) as ws:
        assert decode(ws.recv(timeout=10))["type"] == "hello"
        send(ws, "settings", settings={"dataset": "drawn", "depth": 3, "width": 8, "steps": 100_000})
        seen = until(ws, lambda m: m["type"] == "status")
        data, status = seen[-2], seen[-1]
        assert data["type"] == "data" and len(data["train_labels"]) == 0
        x0, x1, y0, y1 = data["box"]
        assert x0 <= -3 and x1 >= 3 and y0 <= -3 and y1 >= 3
        assert status["key"] == "wait_points" and status["metrics"]["status"] == "waiting"
        send(ws, "control", action="play")
        assert until(ws, lambda m: m["type"] in ("status", "error"))[-1]["key"] == "wait_points"
        send(ws, "settings", settings={"dataset": "drawn", "depth": 3, "width": 8, "steps": 100_000, "points": [a]})
        assert until(ws, lambda m: m["type"] in ("status", "frame"))[-1]["type"] == "status"
        send(ws, "settings", settings={"dataset": "drawn", "depth": 3, "width": 8, "steps": 100_000,
                                       "points": [a, b]})
        data = until(ws, lambda m: m["type"] == "data")[-1]
        assert np.asarray(data["train"]).tolist() == [a[:2], b[:2]] and data["playing"]
        frame = until(ws, lambda m: m["type"] == "frame" and m["step"] >= 5)[-1]
        assert frame["run"] == data["run"] and frame["playing"]
        send(ws, "control", action="pause")
        send(ws, "save")
        saved = until(ws, lambda m: m["type"] == "saved")[-1]
        send(ws, "settings", settings={"dataset": "drawn", "depth": 3, "width": 8, "steps": 100_000, "points": [b]})
        assert until(ws, lambda m: m["type"] == "status")[-1]["key"] == "wait_points"
        send(ws, "load", run=saved["name"])
        loaded = until(ws, lambda m: m["type"] == "data")[-1]
        assert loaded["settings"]["points"] == [a, b] and np.asarray(loaded["train"]).tolist() == [a[:2], b[:2]]
    assert rs.load_run(Path(saved["path"])).data.X_train.tolist() == [a[:2], b[:2]]


def test_the_hello_carries_the_exercises_in_the_pages_language(server):
    url, _ = server
    with connect(url) as ws:
        hello = decode(ws.recv(timeout=10))
        assert hello["lang"] == "en" and hello["exercises"][0]["id"] == "1.2"
        assert hello["exercises"][0]["title"].startswith("Task 1.2")
        send(ws, "hello", lang="de")
        assert until(ws, lambda m: m["type"] == "exercises")[-1]["exercises"][1]["title"].startswith("Aufgabe 1.4")
        send(ws, "hello", lang="xx")
        assert "lang" in until(ws, lambda m: m["type"] == "error")[-1]["message"]
    with connect(url + "?lang=de") as ws:
        hello = decode(ws.recv(timeout=10))
        assert hello["lang"] == "de" and hello["exercises"][0]["question"].startswith("Um welchen Faktor")


def test_exported_weights_are_the_models_parameters(server):
    """JSON and a PyTorch state dict of a run resting at step 3: both equal the parameters of the same run
    retrained to step 3 by "save run" (the same seed gives the same numbers)."""
    import io
    import numpy as np
    import torch
    import reluscope as rs
    url, _ = server
    with started(url, widths=[5, 3]) as ws:
        for _ in range(3):
            send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 3)
        send(ws, "export", format="json")
        as_json = until(ws, lambda m: m["type"] == "export")[-1]
        send(ws, "export", format="pt")
        as_pt = until(ws, lambda m: m["type"] == "export")[-1]
        send(ws, "save")
        saved = until(ws, lambda m: m["type"] == "saved")[-1]
    assert (as_json["step"], as_json["name"], as_pt["name"]) == (3, "reluscope-weights-step3.json",
                                                                  "reluscope-weights-step3.pt")
    state = json.loads(bytes(np.asarray(as_json["file"], dtype=np.uint8)))["state_dict"]
    loaded = torch.load(io.BytesIO(bytes(np.asarray(as_pt["file"], dtype=np.uint8))), weights_only=True)
    reference = rs.load_run(Path(saved["path"])).model.state_dict()
    assert list(state) == list(loaded) == list(reference)
    for name, value in reference.items():
        assert torch.equal(loaded[name], value)
        assert torch.equal(torch.tensor(state[name], dtype=torch.float32), value)
    assert reference["2.weight"].shape == (3, 5)


def test_a_saved_run_loads_back_into_a_page(server):
    """A run saved at step 4 with widths and a drawn point, listed first in the ``runs`` that follow its ``saved``
    and in another page's, loaded by its name there: the same settings, resting, its weights those of the run
    directory; names outside the runs directory, of no saved run or of a damaged one are refused (a catalog key for
    the two a page can meet) and change nothing: the page's run goes on resting where it was."""
    import numpy as np
    import torch
    import reluscope as rs
    url, runs = server
    with started(url, widths=[6, 4], points=[[0.5, 0.5, 1]]) as ws:
        for _ in range(4):
            send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 4)
        send(ws, "save")
        seen = until(ws, lambda m: m["type"] == "runs")
        saved, listed = [m for m in seen if m["type"] == "saved"][-1], seen[-1]["runs"]
    assert listed[0] == saved["name"] and len(listed) == len(set(listed))
    (runs / "not-a-run").mkdir(exist_ok=True)
    damaged = runs / "damaged-run"
    damaged.mkdir(exist_ok=True)
    (damaged / "playground.json").write_text('{"settings": {"depth": 3}, "step": 2}')  # and no run files
    with started(url, depth=2) as ws:
        send(ws, "runs")
        names = until(ws, lambda m: m["type"] == "runs")[-1]["runs"]
        assert saved["name"] in names and "damaged-run" in names and "not-a-run" not in names
        for bad, key in (("../" + saved["name"], None), ("nothing-here", "load_missing"),
                         ("not-a-run", "load_missing"), ("damaged-run", "load_broken"), ("..", None), ("", None),
                         ("x" * 201, None), ("a/b", None), (None, None), (3, None), ([saved["name"]], None)):
            send(ws, "load", run=bad)
            error = until(ws, lambda m: m["type"] == "error")[-1]
            assert error["message"] and error.get("key") == key
        send(ws, "control", action="step")
        assert until(ws, lambda m: m["type"] in ("frame", "data"))[-1]["type"] == "frame"  # the same run, resting
        send(ws, "load", run=saved["name"])
        data = until(ws, lambda m: m["type"] == "data")[-1]
        loaded = until(ws, lambda m: m["type"] == "loaded")[-1]
        assert loaded == {"v": VERSION, "type": "loaded", "name": saved["name"], "step": 4}
        assert data["settings"]["widths"] == [6, 4] and data["settings"]["points"] == [[0.5, 0.5, 1]]
        assert not data["playing"]
        state = exported(ws)
        for _ in range(2):  # on from the loaded weights; saved, it is retrained from them
            send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 2)
        later = exported(ws)
        send(ws, "save")
        resaved = until(ws, lambda m: m["type"] == "saved")[-1]
    for name, value in rs.load_run(Path(saved["path"])).model.state_dict().items():
        assert torch.equal(torch.tensor(state[name], dtype=torch.float32), value)
    for name, value in rs.load_run(Path(resaved["path"])).model.state_dict().items():
        assert torch.equal(torch.tensor(later[name], dtype=torch.float32), value)
        assert not torch.equal(torch.tensor(state[name], dtype=torch.float32), value)  # two steps on
    assert json.loads((Path(resaved["path"]) / "playground.json").read_text())["loaded"]


def exported(ws) -> dict:
    """The session's current weights, as its JSON export has them."""
    import numpy as np
    send(ws, "export", format="json")
    file = until(ws, lambda m: m["type"] == "export")[-1]["file"]
    return json.loads(bytes(np.asarray(file, dtype=np.uint8)))["state_dict"]


def test_a_shared_playground_asks_for_its_token_and_limits_each_client(tmp_path):
    """A token set forces the shared mode on 127.0.0.1: the page and the socket without the right token are refused
    (HTTP 403, the socket closed before it opens), with it they are served; one address holds at most
    ``max_sessions_per_client`` sessions, and one more is told why in a ``busy`` message."""
    from urllib.error import HTTPError
    from urllib.request import urlopen
    config = ServeConfig(port=0, runs_dir=tmp_path, token="s3cret-Token", max_sessions_per_client=1)
    with running(config) as link:
        assert link.endswith("/?token=s3cret-Token")
        base = link.split("?")[0]
        assert b"reluscope playground" in urlopen(link, timeout=10).read()
        for bad in (base, base + "?token=", base + "?token=s3cret-Toke", base + "?token=S3CRET-TOKEN"):
            with pytest.raises(HTTPError) as refused:
                urlopen(bad, timeout=10)
            assert refused.value.code == 403 and b"token" in refused.value.read()
        ws_url = base.replace("http://", "ws://") + "ws"
        for bad in (ws_url, ws_url + "?token=wrong"):
            with pytest.raises(InvalidStatus) as refused:
                connect(bad)
            assert refused.value.response.status_code == 403
        with urlopen(link, timeout=10) as page:  # the page's cookie lets its socket in without the query
            cookie = page.headers["set-cookie"].split(";")[0]
        assert cookie == "reluscope-token=s3cret-Token"
        with pytest.raises(InvalidStatus):
            connect(ws_url, additional_headers={"Cookie": "reluscope-token=wrong"})
        with started(ws_url, additional_headers={"Cookie": cookie}):
            with connect(ws_url + "?token=s3cret-Token") as extra:
                m = decode(extra.recv(timeout=10))
                assert m["type"] == "busy" and "close one to open another" in m["message"]
        deadline = time.monotonic() + 30  # the first closed: the address has room again, once the server has seen it
        while first_reply(ws_url + "?token=s3cret-Token") == "busy":
            assert time.monotonic() < deadline
            time.sleep(0.1)


def first_reply(url) -> str:
    with connect(url) as ws:
        return decode(ws.recv(timeout=10))["type"]


def test_a_token_beyond_this_machine_is_generated():
    config = ServeConfig(host="0.0.0.0").validate()
    assert config.shared and len(config.token) >= 32
    assert ServeConfig(host="0.0.0.0").validate().token != config.token
    assert not ServeConfig().validate().shared


@pytest.mark.parametrize("token", ["", "a b", "x&y=z", "é", "x" * 201])
def test_a_token_that_cannot_travel_in_a_link_is_refused(token, tmp_path):
    from reluscope.errors import ReluscopeError
    with pytest.raises(ReluscopeError, match="token"):
        ServeConfig(runs_dir=tmp_path, token=token).validate()


def test_an_idle_session_is_closed(tmp_path):
    with running(ServeConfig(port=0, runs_dir=tmp_path, idle_timeout=0.5)) as url, \
            connect(url.replace("http://", "ws://") + "ws") as ws:
        send(ws, "settings", settings={"n_samples": 200, "depth": 3, "width": 8})  # the last input: then silence
        seen = until(ws, lambda m: m["type"] == "error", timeout=30)  # whether its first frame came first or not
        m = seen[-1]
        assert seen[0]["type"] == "hello"
        assert "without input" in m["message"]
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)


def malformed(rng: random.Random) -> str | bytes:
    """One message that the schema must refuse (never a valid one: each is a broken copy of a valid message)."""
    good = {"settings": {"settings": {"depth": 3}}, "control": {"action": "play"},
            "view": {"view": {"layer": 1, "projection": "input"}}, "upload": {"name": "a.csv"}, "save": {},
            "export": {"format": "json"}, "hello": {"lang": "de"}, "load": {"run": "nothing"}, "runs": {}}
    bad_values = [None, True, -1, 0, 1e400, "x" * 300, [], {}, [1, 2], {"a": 1}, "NaN", -1e308, 3.5, "", "\u0000"]
    csvs = ["", "x1,x2,label\n", "x1,x2,label\n1,2\n", "x1,x2,label\n1,b,0\n", "x1,x2,label\n" + "1,2,0\n" * 20,
            "x1,x2,label\ninf,1,0\n2,2,1\n", "\x00\x01\x02", "x1;x2;label\n1;2;0\n3;4;1\n"]
    kind = rng.choice(list(good))
    d = {"v": VERSION, "type": kind, **json.loads(json.dumps(good[kind]))}
    case = rng.randrange(12)
    if case == 0:
        return rng.choice([b"\x00\xff", "", "{", "[1, 2", "null", "42", '"save"', "{'v': 1}", "[" * 5000])
    if case == 1:
        d["v"] = rng.choice([0, VERSION - 1, VERSION + 1, str(VERSION), None, 1.5])
    elif case == 2:
        d["type"] = rng.choice(["", "Settings", "shutdown", None, 7, ["save"]])
    elif case == 3:
        finite = [v for v in bad_values if v != 1e400]  # an envelope's header is strict JSON
        d[rng.choice(["path", "file", "extra", "__proto__"])] = rng.choice(finite if kind == "upload" else bad_values)
    elif case == 4 and kind not in ("save", "runs"):
        del d[next(iter(good[kind]))]
    elif case == 5:
        field, value = rng.choice(BAD_SETTINGS)
        d.update(type="settings", settings={field: value})
    elif case == 6:
        d.update(type="view", view=rng.choice([{"layer": rng.choice(bad_values + [31])}, {"projection": "pca"},
                                                 {"layer": 1, "zoom": 2}, "layer"]))
    elif case == 7:
        d.update(type="control", action=rng.choice(bad_values + ["PLAY", "stop", "rewind"]))
    elif case == 8:
        d.update(type="upload", name="f.csv")
        return envelope(d, [rng.choice(csvs).encode()])
    elif case == 9:
        d.update(type="upload", name=rng.choice([None, 3, "f.csv"]))
        return envelope(d, rng.choice([[], [b"x" * (MAX_UPLOAD + 1)], [b"\xff"], [b"a", b"b"]]))
    elif case == 10:  # every setting, each class (a list's items too)
        name, value = rng.choice([f.name for f in fields(Settings)]), rng.choice(EXTREMES)
        inner = {"widths": [8, value], "points": [[0.5, value, 0]]}.get(name, value)
        d.update(type="settings", settings={name: inner if rng.random() < 0.5 else value})
    else:  # every other field, each class (an upload's name with a CSV that must be refused anyway)
        d.update(rng.choice([{"type": "view", "view": {"layer": rng.choice(EXTREMES), "projection": "input"}},
                             {"type": "view", "view": {"layer": 1, "projection": rng.choice(EXTREMES)}},
                             {"type": "control", "action": rng.choice(EXTREMES)},
                             {"type": "export", "format": rng.choice(EXTREMES + ["csv", "JSON", None, ["pt"]])},
                             {"type": "hello", "lang": rng.choice(EXTREMES + ["DE", "de-DE", "", None, ["de"]])},
                             {"type": "load", "run": rng.choice(EXTREMES + ["..", "/etc", "../runs", None, 7])},
                             {"type": "upload", "name": rng.choice(EXTREMES)},
                             {"type": rng.choice(EXTREMES)}, {"v": rng.choice(EXTREMES)}]))
        if d["type"] == "upload":
            return envelope(d, [rng.choice(csvs).encode()])
    if kind == "upload" and case in (1, 2, 3):
        return envelope(d, [b"x1,x2,label\n"])
    return json.dumps(d)


def test_fuzzed_messages_get_one_error_each_and_harm_no_one(server, caplog):
    """600 seeded malformed messages and uploads: each gets exactly one error, a refusal that names the problem
    (never "the server could not do that", never a traceback in the log); the fuzzed session still works
    afterwards, and a session training beside it never stops."""
    url, _ = server
    caplog.set_level(logging.ERROR, logger="reluscope.serve")
    rng = random.Random(12)
    with started(url) as victim, started(url) as fuzz:
        send(victim, "control", action="play")
        until(victim, lambda m: m["type"] == "frame" and m["step"] > 0)
        for _ in range(FUZZ_CASES):
            fuzz.send(malformed(rng))
        replies = [decode(fuzz.recv(timeout=60)) for _ in range(FUZZ_CASES)]
        assert all(m["type"] == "error" for m in replies)  # one error each, nothing else (no run started)
        unforeseen = [m["message"] for m in replies if m["message"].startswith("the server could not")]
        assert not unforeseen and not caplog.records, (unforeseen[:3], caplog.text[-2000:])
        send(fuzz, "settings", settings={"n_samples": 200, "depth": 2})
        assert until(fuzz, lambda m: m["type"] in ("data", "error"))[-1]["type"] == "data"
        step = until(victim, lambda m: m["type"] == "frame")[-1]["step"]
        later = until(victim, lambda m: m["type"] == "frame" and m["step"] > step)[-1]
        assert later["playing"]
    with started(url) as ws:  # a message beyond the frame limit closes that socket only
        with pytest.raises((ConnectionClosed, OSError)):
            ws.send("x" * (20 * MAX_UPLOAD))
            until(ws, lambda m: False, timeout=10)
    with started(url):
        pass


def test_save_run_writes_a_run_directory(server):
    import reluscope as rs
    url, runs = server
    with started(url) as ws:
        send(ws, "save")
        assert "nothing trained" in until(ws, lambda m: m["type"] == "error")[-1]["message"]
        for _ in range(5):
            send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 5)
        send(ws, "save")
        saved = until(ws, lambda m: m["type"] == "saved")[-1]
    run = rs.load_run(Path(saved["path"]))
    assert Path(saved["path"]).parent == runs and run.metrics["steps_run"] == 5


@pytest.mark.slow
def test_the_command_warns_off_loopback_serves_and_stops_on_ctrl_c(tmp_path):
    """127.0.0.2 is not this machine's usual name, so the command warns (without exposing anything)."""
    import signal
    import subprocess
    import sys
    from urllib.error import HTTPError
    from urllib.request import urlopen
    # SIGINT acts as Ctrl-C in the server even when the suite runs in the background (children inherit it ignored)
    proc = subprocess.Popen([sys.executable, "-m", "reluscope", "serve", "--port", "0", "--host", "127.0.0.2",
                             "--runs-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().startswith("warning: listening on 127.0.0.2")
        line = proc.stdout.readline()
        assert line.startswith("reluscope playground at http://127.0.0.2:"), line
        url = line.split(" at ", 1)[1].split()[0]
        assert "?token=" in url and b"reluscope playground" in urlopen(url, timeout=10).read()
        with pytest.raises(HTTPError, match="403"):
            urlopen(url.split("?")[0], timeout=10)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0  # generous: a loaded 2-core machine shuts uvicorn down slowly
        assert "stopping" in proc.stdout.read()
    finally:
        proc.kill()


def test_the_command_refuses_a_bad_port():
    from reluscope.cli import main
    assert main(["serve", "--port", "70000"]) == 2


def test_a_failing_save_is_an_error_and_the_session_goes_on(tmp_path):
    blocked = tmp_path / "runs"
    with running(ServeConfig(port=0, runs_dir=blocked)) as url, started(url.replace("http://", "ws://") + "ws") as ws:
        blocked.write_text("a file where the runs directory should be")
        send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 1)
        send(ws, "save")
        assert until(ws, lambda m: m["type"] in ("saved", "error"))[-1]["type"] == "error"
        send(ws, "control", action="step")
        assert until(ws, lambda m: m["type"] == "frame" and m["step"] == 2)
