"""The playground on inputs of more than two dimensions (the 64-pixel digits) over a real WebSocket: the plane
views are a slice through three data points. The cells the page gets equal ``slice_through``'s on the same
weights, the points arrive at their plane coordinates once per plane, three picked points move the plane
without restarting the run, and a bad plane is refused (with a key of the page's catalog) and changes nothing;
the empty plane to draw on is 2-D and never sliced."""

from pathlib import Path

import numpy as np
import pytest
from test_serve_socket import send, started, until

from reluscope.geometry.slices import slice_through
from reluscope.serve import ServeConfig, running
from reluscope.serve.notice import Notice
from reluscope.serve.scene import plane_view
from reluscope.serve.settings import MAX_INDEX, Settings

DIGITS = {"dataset": "digits", "depth": 3, "width": 8, "seed": 3}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with running(ServeConfig(port=0, runs_dir=tmp_path_factory.mktemp("runs"))) as base:
        yield base.replace("http://", "ws://") + "ws"


def reference(through="auto", **settings):
    """The run's data and its freshly initialised model (the same seed gives the same weights), and the slice
    the library computes on them."""
    s = Settings.from_dict({**DIGITS, **settings})
    data = s.load_data(None)
    model, _ = s.build_model(data)
    return data, model, slice_through(model, data.X, data.y, through)


def assert_same_cells(cells, layer):
    """The page's exact cells of ``layer`` are the library's slice's: count, colours (pattern keys), vertices."""
    assert cells["exact"] and cells["layer"] == layer.layer and cells["count"] == len(layer)
    assert np.array_equal(np.asarray(cells["poly_hue"]), (layer.key >> np.uint64(48)).astype(np.uint16))
    assert np.array_equal(np.asarray(cells["n_vertices"]), layer.n_vertices)
    np.testing.assert_allclose(np.asarray(cells["vertices"]).reshape(-1, 2), np.concatenate(layer.polygons()),
                               atol=1e-5)


def test_the_slice_panels_cells_and_points_equal_the_librarys_slice(url):
    data, model, cut = reference()
    with started(url, **DIGITS) as ws:
        send(ws, "settings", settings=DIGITS, tag=2)
        msg = until(ws, lambda m: m["type"] == "data")[-1]
        assert msg["slice"]["through"] == list(cut.indices) and msg["slice"]["dim"] == 64
        assert msg["box"] == list(cut.plane.box)
        coords = np.concatenate([np.asarray(msg["train"]), np.asarray(msg["test"])]).reshape(-1, 2)
        np.testing.assert_allclose(coords, cut.coords, atol=1e-5)
        assert np.array_equal(np.asarray(msg["slice"]["near"]).astype(bool), cut.near)
        frame = until(ws, lambda m: m["type"] == "frame" and m["run"] == msg["run"])[-1]
        assert "points" not in frame and "train" not in frame  # the points travel once per plane
        bp = frame["backprojection"]  # the three points' images in the input view
        assert bp["images"] and bp["indices"] == list(cut.indices) and bp["shape"] == [8, 8]
        np.testing.assert_allclose(np.asarray(bp["inputs"]).reshape(3, 64), data.X[list(cut.indices)], atol=1e-5)
        for layer in (1, 3):
            send(ws, "view", view={"layer": layer, "projection": "input"})
            panels = until(ws, lambda m: m["type"] == "panels" and m["view"]["layer"] == layer)[-1]
            assert_same_cells(panels["cells"], cut.layers[layer - 1])


def test_three_picked_points_move_the_plane_and_the_run_goes_on(url):
    picked = (5, 700, 1500)  # train, train, test
    _, _, cut = reference(picked)
    with started(url, **DIGITS, steps=100_000) as ws:
        send(ws, "settings", settings={**DIGITS, "steps": 100_000}, tag=2)
        first = until(ws, lambda m: m["type"] == "data")[-1]
        send(ws, "view", view={"layer": 2, "projection": "input"})
        send(ws, "settings", settings={**DIGITS, "steps": 100_000, "through": "5, 700,1500"}, tag=3)
        msg = until(ws, lambda m: m["type"] == "data")[-1]
        assert msg["run"] == first["run"] and msg["tag"] == 3  # the same run, on a new plane
        assert msg["slice"]["through"] == list(picked) and msg["settings"]["through"] == "5,700,1500"
        panels = until(ws, lambda m: m["type"] == "panels" and m["step"] == 0 and m["view"]["layer"] == 2)[-1]
        assert_same_cells(panels["cells"], cut.layers[1])


BAD_PLANES = [("1797,1,2", "0 … 1796"), ("4,4,9", "different"), ("1,2", "three"), ("a,b,c", "three"),
              ("-1,2,3", "three"), ("1,2,3,4", "three"), (7, "three"), (None, "three"), ("AUTO", "three")]
PLANE_KEYS = {"1797,1,2": ("plane_indices", {"last": 1796})}  # beyond the data; the rest: not a plane's form


def test_a_bad_plane_gets_an_error_and_changes_nothing(url):
    with started(url, **DIGITS) as ws:
        send(ws, "settings", settings=DIGITS, tag=2)
        before = until(ws, lambda m: m["type"] == "data")[-1]
        for through, why in BAD_PLANES:
            send(ws, "settings", settings={**DIGITS, "through": through}, tag=3)
            reply = until(ws, lambda m: m["type"] in ("error", "data"))[-1]
            assert reply["type"] == "error" and why in reply["message"], (through, reply)
            key, values = PLANE_KEYS.get(through, ("setting_through", {"most": MAX_INDEX}))
            assert (reply["key"], reply["values"]) == (key, values), (through, reply)  # for the page's own words
        send(ws, "control", action="step")  # the run before goes on, on its plane
        frame = until(ws, lambda m: m["type"] in ("frame", "data") and m.get("step") == 1)[-1]
        assert frame["type"] == "frame" and frame["run"] == before["run"]


def test_a_2d_data_set_has_no_slice_and_digits_take_no_drawn_points(url):
    with started(url, through="1,2,3") as ws:  # a plane on 2-D data: nothing to slice, the setting is kept
        send(ws, "settings", settings={"n_samples": 200, "through": "1,2,3"}, tag=2)
        msg = until(ws, lambda m: m["type"] == "data")[-1]
        assert "slice" not in msg and msg["settings"]["through"] == "1,2,3"
        send(ws, "settings", settings={**DIGITS, "points": [[0.0, 0.0, 1]]}, tag=3)
        assert "plane only" in until(ws, lambda m: m["type"] in ("error", "data"))[-1]["message"]


def test_the_empty_plane_is_2d_whatever_plane_is_asked_for(url):
    """The drawn plane's data are its points, in two dimensions: no slice, ``through`` kept but unused, and the
    network graph's weights come with the panels."""
    points = [[-1.0, -1.0, 0], [-1.0, 1.0, 0], [1.0, -1.0, 1], [1.0, 1.0, 1]]
    with started(url) as ws:
        send(ws, "settings", settings={"dataset": "drawn", "points": points, "through": "0,1,2"}, tag=2)
        msg = until(ws, lambda m: m["type"] == "data")[-1]
        assert "slice" not in msg and msg["settings"]["through"] == "0,1,2"
        assert np.asarray(msg["train"]).reshape(-1, 2).tolist() == [p[:2] for p in points]
        frame = until(ws, lambda m: m["type"] == "frame" and m["run"] == msg["run"])[-1]
        panels = until(ws, lambda m: m["type"] == "panels" and m["run"] == msg["run"])[-1]
        assert "images" not in frame["backprojection"] and "points" in frame["backprojection"]
        assert len(panels["weights"]) == Settings().depth and "note" not in panels["cells"]


def test_three_points_that_span_no_plane_are_refused_with_a_key():
    X = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [0.0, 1.0, 0.0]])  # the first three on a line
    with pytest.raises(Notice) as refused:
        plane_view(X, np.array([0, 0, 1, 1]), (0, 1, 2))
    assert refused.value.key == "plane_flat" and "span" in str(refused.value)
    with pytest.raises(Notice) as beyond:
        plane_view(X, np.array([0, 0, 1, 1]), (0, 1, 4))
    assert beyond.value.key == "plane_indices" and beyond.value.values == {"last": 3}


def test_the_page_s_plane_is_the_slice_s_plane_and_data():
    """The playground's plane (``plane_view``) is ``slice_through``'s: the same indices, coordinates and points
    near it, so the page's plane views and a saved run's slice agree."""
    from reluscope.geometry.slices import slice_through
    from reluscope.model import build_mlp

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)), np.arange(60) % 3
    for through in ("auto", (4, 17, 30)):
        seen, cut = plane_view(X, y, through), slice_through(build_mlp(5, 8, 2, 3), X, y, through)
        assert seen.indices == cut.indices and np.array_equal(seen.near, cut.near)
        np.testing.assert_array_equal(seen.coords, cut.coords)
        np.testing.assert_array_equal(seen.distance, cut.distance)


def test_a_dropped_csv_of_three_features_is_seen_on_a_slice(url, tmp_path):
    """An uploaded ``x1, x2, x3, label`` CSV trains, its plane views on the slice: the cells the page gets equal
    ``slice_through``'s for the same weights (the run's data read back as the session read it)."""
    from reluscope.data import load_dataset
    from reluscope.serve.codec import envelope
    from reluscope.serve.messages import VERSION

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    text = "x1,x2,x3,label\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f},{int(a * b > c)}\n" for a, b, c in X)
    with started(url) as ws:
        ws.send(envelope({"v": VERSION, "type": "upload", "name": "three.csv"}, [text.encode()]))
        msg = until(ws, lambda m: m["type"] in ("data", "error"))[-1]
        assert msg["type"] == "data" and msg["slice"]["dim"] == 3 and msg["name"] == "three.csv"
        panels = until(ws, lambda m: m["type"] == "panels" and m["run"] == msg["run"])[-1]
    (tmp_path / "three.csv").write_text(text)
    s = Settings.from_dict({**msg["settings"], "dataset": "csv"})
    data = load_dataset(str(tmp_path / "three.csv"), random_state=s.seed)
    model, _ = s.build_model(data)
    cut = slice_through(model, data.X, data.y, "auto")
    assert msg["slice"]["through"] == list(cut.indices)
    assert_same_cells(panels["cells"], cut.layers[0])


def test_a_saved_digits_run_keeps_its_plane_and_loads_back_on_it(url):
    with started(url, **DIGITS, through="5,700,1500") as ws:
        send(ws, "control", action="step")
        until(ws, lambda m: m["type"] == "frame" and m["step"] == 1)
        send(ws, "save")
        saved = until(ws, lambda m: m["type"] in ("saved", "error"))[-1]
        assert saved["type"] == "saved", saved
        send(ws, "settings", settings=DIGITS, tag=5)
        assert until(ws, lambda m: m["type"] == "data")[-1]["slice"]["through"] != [5, 700, 1500]
        send(ws, "load", run=saved["name"])
        data = until(ws, lambda m: m["type"] == "data")[-1]
        assert data["slice"]["through"] == [5, 700, 1500] and data["settings"]["through"] == "5,700,1500"
    assert (Path(saved["path"]) / "decision_boundary.png").stat().st_size > 1000  # the slice, drawn
