"""The playground's server logic without a socket: settings, the message schema, uploads, the run's thread,
saving, and the outcome sentence."""

import asyncio
import json
import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import reluscope as rs
from reluscope.errors import ReluscopeError
from reluscope.model import INITS
from reluscope.serve.codec import Fixed, decode, envelope
from reluscope.serve.messages import MAX_UPLOAD, VERSION, View, encode, parse
from reluscope.serve.notice import Notice
from reluscope.serve.panels import render, render_slow
from reluscope.serve.saving import save_live_run
from reluscope.serve.scene import Scene
from reluscope.serve.session import SLOW_INTERVAL, Session, marked_layer
from reluscope.serve.settings import BOUNDS, MEANFIELD, Settings
from reluscope.serve.slots import ComputeSlots
from reluscope.serve.trainer import FRAME_INTERVAL, TRAIN_SHARE, Snapshot, Trainer, next_frame, _training as TRAINING
from reluscope.serve.upload import MAX_ROWS, store_upload


def msg(kind, **fields):
    return json.dumps({"v": VERSION, "type": kind, **fields})


def upload(name, data: bytes, **fields):
    return envelope({"v": VERSION, "type": "upload", "name": name, **fields}, [data])


# ---- settings ------------------------------------------------------------------------------------------------
def test_settings_round_trip_and_defaults():
    s = Settings.from_dict({"depth": 11, "init": "normal", "lr": 1, "noise": None})
    assert (s.depth, s.init, s.lr, s.noise, s.width) == (11, "normal", 1.0, None, Settings().width)
    assert Settings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize("bad", [{"depth": 0}, {"depth": 31}, {"width": 1}, {"width": 129}, {"depth": 3.0},
                                 {"depth": True}, {"lr": 0}, {"lr": math.inf}, {"lr": math.nan}, {"seed": -1},
                                 {"init": "he "}, {"dataset": "../etc/passwd.csv"}, {"activation": None},
                                 {"sigma_w2": 100.0}, {"batch_size": 0}, {"n_samples": "1000"}, {"colour": 1}])
def test_settings_refuse_what_is_out_of_range_or_unknown(bad):
    with pytest.raises(ReluscopeError):
        Settings.from_dict(bad)


def test_per_layer_widths_reach_the_model_and_the_library_default_lr():
    s = Settings.from_dict({"widths": [8, 8, 4], "n_samples": 64})
    assert (s.depth, s.width, s.to_dict()["widths"]) == (4, 8, [8, 8, 4])
    assert Settings.from_dict(s.to_dict()) == s and Settings.from_dict({"widths": None}).widths is None
    model, _ = s.build_model(s.load_data(None))
    assert [tuple(m.weight.shape) for m in model if isinstance(m, torch.nn.Linear)] == [(8, 2), (8, 8), (4, 8),
                                                                                        (2, 4)]
    assert s.train_config("spirals").widths == [8, 8, 4] and Settings().lr == rs.TrainConfig().lr


@pytest.mark.parametrize("widths", [[1], [129], [8, 0], [2.0], [True], ["8"], [None], [[8]], [10**40], [10**400],
                                    8, "8,8", {"0": 8}, [8] * 30])
def test_junk_widths_are_refused(widths):
    with pytest.raises(ReluscopeError, match="widths"):
        Settings.from_dict({"widths": widths})


def test_embedded_dimension_is_n_plus_the_lost_ranks():
    """``D_l = n + Σ (d_k − rank W_k)``: max(n, d_1) for full-rank widths that do not grow after layer 1; 6 for
    2→3→6; a layer whose weight has rank 1 adds what it loses. The number the panel shows is the columns the
    back-projected points have before the PCA (``Backprojection.dimension``), and ``n`` in the input view."""
    from reluscope.geometry.backproject import backproject
    from reluscope.serve import panels
    X = np.random.default_rng(0).normal(size=(50, 2))  # (N, 2)

    def dims(net, view="embedded"):
        bp = backproject(net, X, view=view, max_cond=math.inf)  # every rank, a deficient one too
        assert all(bp.dimension(i) == bp.points[i].shape[1] for i in bp.layers)
        return [bp.dimension(i) for i in bp.layers]

    torch.manual_seed(0)
    assert dims(rs.build_mlp(2, [16, 8, 4], 4)) == [16, 16, 16, 16]
    assert dims(rs.build_mlp(2, [16, 8, 4], 4), view="input") == [2, 2, 2, 2]
    low = rs.build_mlp(2, [4, 5], 3)
    with torch.no_grad():
        low[2].weight.copy_(torch.outer(torch.arange(1.0, 6.0), torch.ones(4)))  # (5, 4) of rank 1
    assert dims(low)[:2] == [4, 4 + 5 - 1]
    with pytest.raises(ReluscopeError, match=r"layer must be in \[0, 2\], got 3"):
        backproject(low, X, view="embedded", max_cond=math.inf).dimension(3)
    s = Settings(depth=3, widths=[3, 6], n_samples=100)  # 2→3→6: R^3, then R^6
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene = Scene.build(s, data, model)
    assert [panels.backprojection(scene, model, layer, "embedded")["dimension"] for layer in (1, 2)] == [3, 6]
    assert "dimension" not in panels.backprojection(scene, model, 2, "input")


def test_every_exercise_validates_in_both_languages():
    from dataclasses import fields
    from reluscope.serve.exercises import LANGUAGES, exercises
    names = {f.name for f in fields(Settings)}
    by_lang = {lang: exercises(lang) for lang in LANGUAGES}
    assert [e["id"] for e in by_lang["en"]] == [e["id"] for e in by_lang["de"]] == ["1.2", "1.4", "2.2", "cells"]
    for en, de in zip(by_lang["en"], by_lang["de"]):
        s = Settings.from_dict(en["settings"])
        assert en["settings"] == de["settings"] and set(en["hide"]) | set(en["lock"]) <= names
        assert 1 <= en["view"]["layer"] <= s.depth and s.lr == rs.TrainConfig().lr  # the library's defaults
        assert all(en[k] and de[k] and en[k] != de[k] for k in ("title", "task", "question"))
    assert (Settings.from_dict(by_lang["en"][0]["settings"]).init == "normal"
            and by_lang["en"][0]["settings"]["depth"] == 11)
    assert exercises("fr") == by_lang["en"]


def test_every_init_scheme_is_offered_and_builds():
    data = Settings(n_samples=64).load_data(None)
    for init in INITS:
        model, _ = Settings(init=init, depth=3, width=8).build_model(data)
        assert all(torch.isfinite(p).all() for p in model.parameters())


def test_meanfield_scheme_has_the_slider_variances():
    """W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²): the sample variances match (64·64 weights, 64 biases per layer)."""
    s = Settings(init=MEANFIELD, sigma_w2=3.0, sigma_b2=0.5, depth=6, width=64, n_samples=64)
    model, _ = s.build_model(s.load_data(None))
    hidden = [m for m in model if isinstance(m, torch.nn.Linear)][1:-1]
    w = torch.cat([m.weight.detach().flatten() * math.sqrt(m.in_features) for m in hidden])  # ~ N(0, σ_w²)
    b = torch.cat([m.bias.detach() for m in hidden])
    assert float(w.var()) == pytest.approx(3.0, rel=0.05)
    assert float(b.var()) == pytest.approx(0.5, rel=0.3)


def test_same_settings_give_the_same_model():
    s = Settings(init="lsuv", n_samples=64)
    data = s.load_data(None)
    (a, _), (b, _) = s.build_model(data), s.build_model(data)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


# ---- messages -------------------------------------------------------------------------------------------------
def test_parse_accepts_each_message_type():
    assert parse(msg("settings", settings={"depth": 5})).payload[0].depth == 5
    assert parse(msg("settings", settings={}, tag=7)).payload[1] == 7
    assert parse(msg("control", action="step")).payload == "step"
    assert parse(msg("hello", lang="de")).payload == "de" and parse(msg("export", format="pt")).payload == "pt"
    assert parse(msg("load", run="20260101-run")).payload == "20260101-run"
    for bad in (msg("hello", lang="fr"), msg("hello"), msg("export", format="csv"), msg("export", format=None),
                msg("load", run="a/b"), msg("load", run=".."), msg("load", run="\ud800"), msg("load", run="a\u0000"),
                msg("load", run="a\\b"), msg("load", run=""), msg("load", run=["a"])):
        with pytest.raises(ReluscopeError):
            parse(bad)
    assert parse(msg("view", view={"layer": 3, "projection": "embedded"})).payload == View(3, "embedded")
    assert parse(upload("a.csv", b"x1,x2,label\n")).payload == ("a.csv", "x1,x2,label\n")
    assert parse(msg("save")).type == "save"


@pytest.mark.parametrize("text", [
    "not json", "[]", "null", '"settings"', json.dumps({"type": "save"}), json.dumps({"v": 1, "type": "save"}),
    msg("launch"), msg("save", path="/etc"), msg("control"), msg("control", action="rewind"),
    msg("control", action=["play"]), msg("view", view={"layer": 0}), msg("view", view={"layer": "2"}),
    msg("view", view={"layer": 2, "zoom": 3}), msg("view", view={"projection": "pca"}), msg("view", view=[1]),
    msg("settings", settings=[]), msg("settings", settings={"depth": 1e400}),
    msg("upload", name="a.csv"), msg("upload", name="a.csv", text="x"), upload(1, b""), upload("a.csv", b"\xff\xfe"),
    upload("a.csv", b"x" * (MAX_UPLOAD + 1)), envelope({"v": VERSION, "type": "save"}, [b"x"]), b"\x00\x01",
    b"\xff\xff\xff\x7f{}", envelope({"v": VERSION, "type": "upload", "name": "a"}, [b"x", b"y"]),
    msg("settings", settings={}, tag=-1), msg("settings", settings={}, tag=1.5),
    "[" * 100_000 + "]" * 100_000, "x" * 2_000_000,
])
def test_parse_refuses_malformed_messages(text):
    with pytest.raises(ReluscopeError):
        parse(text)


def test_encode_is_strict_json_with_a_version():
    d = json.loads(encode("frame", a=[1.0, math.nan, math.inf], b={"c": -math.inf}))
    assert d == {"v": VERSION, "type": "frame", "a": [1.0, None, None], "b": {"c": None}}


def test_an_upload_of_a_million_bytes_passes_and_one_more_names_the_file():
    """The limit counts the file's bytes, as the page does (not JSON characters with escaped newlines)."""
    text = ("1,2,0\n" * 200_000)[:MAX_UPLOAD]
    assert parse(upload("big.csv", text.encode())).payload[1] == text
    with pytest.raises(ReluscopeError, match=r"big\.csv: 1,000,001 bytes"):
        parse(upload("dir/big.csv", text.encode() + b"\n"))


def test_arrays_travel_as_aligned_little_endian_buffers():
    rng = np.random.default_rng(0)
    arrays = dict(a=rng.normal(size=(7, 3)).astype("<f4"), b=np.arange(5, dtype=np.uint8), c=rng.normal(size=3))
    frame = encode("frame", x=1.5, nested=[arrays])
    assert isinstance(frame, bytes)
    head = json.loads(frame[4:4 + int.from_bytes(frame[:4], "little")])
    assert [offset % 8 for offset, _ in head["buffers"]] == [0, 0, 0]
    assert head["nested"][0]["a"] == {"buffer": 0, "dtype": "<f4", "shape": [7, 3]}
    back = decode(frame)
    assert back["x"] == 1.5 and all(np.array_equal(back["nested"][0][k], v) for k, v in arrays.items())


def test_fixed_points_are_exact_to_a_65534th_of_their_box_and_keep_nonfinite_rows():
    rng = np.random.default_rng(1)
    p = rng.normal(size=(500, 2)) * [1.0, 1e6]
    p[3, 0], p[7, 1] = np.nan, np.inf
    back = decode(encode("frame", p=Fixed(p)))["p"]
    finite = np.isfinite(p).all(axis=1)
    span = p[finite].max(axis=0) - p[finite].min(axis=0)
    assert np.all(np.abs(back[finite] - p[finite]) <= span / 65534 / 2 * (1 + 1e-9))
    assert np.isnan(back[~finite]).all()


# ---- uploads ---------------------------------------------------------------------------------------------------
def test_upload_is_stored_under_the_servers_name(tmp_path):
    text = "x1,x2,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(40))
    path = store_upload(tmp_path, "../../evil/points.csv", text)
    assert path.parent == tmp_path and path.name == "upload.csv"
    assert Settings(dataset="csv").load_data(str(path)).n_classes == 2


@pytest.mark.parametrize("text", ["", "x1,x2,label\n", "x1,x2,label\n1,2\n", "x1,x2,label\n1,a,0\n2,3,1\n",
                                  "x1,x2,label\n" + "1,2,0\n" * 10, "x1,x2,label\nnan,1,0\n1,1,1\n",
                                  "x1,x2,label\n" + "1,2,0\n" * (MAX_ROWS + 5), "\ud800"])
def test_bad_uploads_are_refused_by_the_users_file_name(tmp_path, text):
    with pytest.raises(ReluscopeError) as e:
        store_upload(tmp_path, "mine.csv", text)
    assert str(tmp_path) not in str(e.value)
    assert not (tmp_path / "upload.csv").exists()


def test_an_upload_without_a_header_says_so_in_the_catalogs_words(tmp_path):
    with pytest.raises(Notice) as e:
        store_upload(tmp_path, "mine.csv", "".join(f"{i},{i},{i % 2}\n" for i in range(10)))
    assert e.value.key == "csv_header" and e.value.values == dict(name="mine.csv", line=1, header="x1,x2,label")


# ---- the run's thread ------------------------------------------------------------------------------------------
def _trainer(settings, offers, ended=None):
    data = settings.load_data(None)
    model, gen = settings.build_model(data)
    return Trainer(1, model, data, settings.train_config(data.name), gen, offer=offers.append,
                   wanted=lambda: True, on_end=ended or (lambda t: None))


def _wait(cond, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_trainer_starts_paused_steps_once_and_stops():
    offers = []
    t = _trainer(Settings(n_samples=64, depth=2, width=4, steps=1000), offers)
    t.start()
    _wait(lambda: offers)
    assert offers[0].step == 0 and offers[0].at_rest
    t.single_step()
    _wait(lambda: offers[-1].step == 1 and offers[-1].at_rest)
    time.sleep(0.1)
    assert t.step == 1
    t.play()
    _wait(lambda: t.step > 5)
    t.stop()
    assert not t._thread.is_alive() and t.result is None


def test_trainer_reports_a_finished_run():
    ended = threading.Event()
    t = _trainer(Settings(n_samples=64, depth=2, width=4, steps=30), [], lambda tr: ended.set())
    t.play()
    t.start()
    assert ended.wait(20)
    assert t.result.metrics["steps_run"] == 30 and t.step == 30 and t.at_rest


def test_compute_slots_hand_turns_out_first_come_first_served():
    """A released slot goes to the longest waiter; a thread that releases and asks again queues behind it."""
    slots, order = ComputeSlots(1), []

    def worker(name):
        with slots:
            order.append(name)

    slots.acquire()
    first = threading.Thread(target=worker, args=("first",))
    first.start()
    _wait(lambda: len(slots._queue) == 1)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    _wait(lambda: len(slots._queue) == 2)
    slots.release()
    slots.acquire()  # behind both waiters
    order.append("again")
    slots.release()
    first.join(5)
    second.join(5)
    assert order == ["first", "second", "again"]
    assert slots._free == 1 and not slots._queue


def test_runs_step_only_in_their_turn_and_take_turns(monkeypatch):
    """With one compute slot, two playing runs both train (neither takes every turn); while the slot is held
    elsewhere (a page drawing) neither steps; a paused run holds no slot; stopping a waiting run ends it."""
    slots = ComputeSlots(1)
    monkeypatch.setattr("reluscope.serve.trainer.SLOTS", slots)
    runs = [_trainer(Settings(n_samples=64, depth=2, width=4, steps=100_000), []) for _ in range(2)]
    for t in runs:
        t.play()
        t.start()
    _wait(lambda: min(t.step for t in runs) > 20)
    with slots:
        time.sleep(0.05)  # a step under way ends; then both wait
        held = [t.step for t in runs]
        time.sleep(0.2)
        assert [t.step for t in runs] == held
    runs[0].pause()
    _wait(lambda: runs[0] not in TRAINING)  # a step it was queued for ends, then it waits in its gate
    paused_at = runs[0].step
    _wait(lambda: runs[1].step > held[1] + 20)  # the one slot goes to the other run alone
    assert runs[0].step == paused_at
    runs[0].play()
    _wait(lambda: runs[0].step > paused_at + 20)
    slots.acquire()
    started = time.monotonic()
    for t in runs:
        threading.Thread(target=t.stop).start()
    time.sleep(0.1)
    slots.release()
    for t in runs:
        t._thread.join(5)
        assert not t._thread.is_alive()
    assert time.monotonic() - started < 5 and slots._free == 1


def test_a_run_takes_no_step_while_its_page_draws_then_trains_before_the_next_frame(monkeypatch):
    """While the page draws (``Trainer.drawing``, holding one of two compute slots) the run ends its step, hands its
    own slot back and takes no other step; after a drawing of t seconds it trains on and offers the next frame no
    sooner than TRAIN_SHARE · t later. Crowded, it trains on while its page draws."""
    slots = ComputeSlots(2)
    monkeypatch.setattr("reluscope.serve.trainer.SLOTS", slots)
    monkeypatch.setattr("reluscope.serve.trainer.TURN", 60.0)  # no turn ends: only the drawing frees its slot
    offers = []
    t = _trainer(Settings(n_samples=64, depth=2, width=4, steps=100_000), [])
    t._offer = lambda snap: offers.append((time.monotonic(), snap.step))
    t.play()
    t.start()
    _wait(lambda: t.step > 20)
    with t.drawing():
        start = time.monotonic()
        with slots:  # the drawing's
            _wait(lambda: not t._holding)  # the run's step under way has ended and its slot is back
            held = t.step
            time.sleep(0.3)
            assert t.step == held and slots._free == 1  # no step, and the run's slot is free
        end = time.monotonic()  # within the drawing the run measures: its t is at least end - start
    _wait(lambda: any(at > end for at, _ in offers))
    at, step = next((at, step) for at, step in offers if at > end)
    assert at >= end + TRAIN_SHARE * (end - start) and step > held
    monkeypatch.setattr("reluscope.serve.trainer.crowding", lambda: 2.0)  # more runs train than there are cores
    with t.drawing():
        held = t.step
        _wait(lambda: t.step > held + 5)  # the slots share the cores out: it trains on
    t.stop()


@pytest.mark.parametrize("step", [0.0013, 0.003, 0.005])
def test_frames_keep_their_clock_when_offered_a_step_late(step):
    """A run offers a frame at the end of the first step that ends once one is due (``next_frame``): steps of
    ``step`` seconds make it up to a step late, and the frames after it keep their clock, 60 a second over a
    simulated second whatever the steps take (one interval plus the lateness apart, 3 ms steps gave 56 and 5 ms
    steps 50). The rule ``next_frame`` is tested here; the trainer's loop calls it as this loop does."""
    due, offers = 0.0, []
    for now in np.arange(1, round(1 / step) + 1) * step:  # the end of each step
        if now >= due:
            offers.append(now)
            due = next_frame(due, now)
    assert len(offers) >= round(1 / FRAME_INTERVAL) - 1
    assert min(np.diff(offers)) >= FRAME_INTERVAL / 2 - 1e-12


def test_after_a_pause_the_next_frame_is_half_an_interval_on():
    """A run that rested (or drew for long) does not offer frames back to back to catch up."""
    assert next_frame(1.0, 1.0 + FRAME_INTERVAL / 3) == 1.0 + FRAME_INTERVAL
    assert next_frame(1.0, 5.0) == 5.0 + FRAME_INTERVAL / 2


def _slow_frames(gap: float, n: int) -> list[int]:
    """The frames (of ``n`` playing ones, every ``gap`` s from step 1 on) that a session draws the slow panels with."""
    async def session():
        return Session(lambda kind, fields: None, Path("."))

    s, t0 = asyncio.run(session()), 100.0
    assert s._with_slow(Snapshot(1, 0, {}, False, True, False), t0)  # a run's first frame has them
    return [i for i in range(1, n) if s._with_slow(Snapshot(1, i, {}, False, True, False), t0 + i * gap)]


@pytest.mark.parametrize("gap, every", [(0.02, 4), (0.025, 3), (0.033, 3), (0.045, 2), (0.07, 2)])
def test_the_slow_panels_come_with_the_frame_nearest_each_twelfth_of_a_second(gap, every):
    """Frames every ``gap`` s take the slow panels every ``every``-th frame once the mean gap is known: the frame
    nearest each ``SLOW_INTERVAL`` (a twelfth of a second), so 10 a second or more while frames come at 30 a second or
    more, and never with two frames in a row."""
    slow = _slow_frames(gap, 61)
    assert set(np.diff(slow[2:])) == {every}
    assert every == 2 or every * gap <= min(SLOW_INTERVAL + gap / 2, 0.1)


def test_crowded_pages_draw_the_slow_panels_less_often(monkeypatch):
    """8 runs training on 2 cores (crowding 4): the interval is 4² × ``SLOW_INTERVAL`` ≈ 1.33 s, the frame nearest
    it every 13th of frames 0.1 s apart."""
    monkeypatch.setattr("reluscope.serve.session.crowding", lambda: 4.0)
    assert _slow_frames(0.1, 41) == [13, 26, 39]


# ---- frames, saving, outcome ---------------------------------------------------------------------------------
def test_frame_of_a_diverging_net_is_strict_json():
    s = Settings(depth=11, width=32, init="normal", n_samples=200)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    with torch.no_grad():
        model[2].weight.mul_(1e38)  # overflows float32 in layer 2
    scene = Scene.build(s, data, model)
    frame = render(scene, model, View(4, "embedded"))
    frame.update(render_slow(scene, model, View(4, "embedded"), grad_out_m2=frame["layers"]["gz_out_m2"], exact=True))
    frame_bytes = encode("frame", **frame)
    json.loads(frame_bytes[4:4 + int.from_bytes(frame_bytes[:4], "little")],
               parse_constant=lambda c: pytest.fail(f"{c} in JSON"))  # strict JSON: no NaN, no Infinity
    d = decode(frame_bytes)
    assert d["layers"]["nonfinite"][1] > 0 and "note" in d["backprojection"] and "note" in d["cells"]


def test_exact_cells_are_the_engine_s_regions_and_past_the_limit_the_grid(monkeypatch):
    """At rest the cells panel sends the exact regions of the truncated net (each polygon once, by its key's
    hue); past ``MAX_EXACT`` it sends the grid image instead, with a note that the exact count passes it; a head larger
    than ``DIRECT_UNITS`` is walked only when the grid finds at most ``GRID_EXACT`` regions."""
    from reluscope.geometry.patterns import grid_regions
    from reluscope.geometry.regions import linear_regions
    from reluscope.serve import panels
    s = Settings(depth=4, width=8, n_samples=100)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene = Scene.build(s, data, model)
    regions = linear_regions(model[:4], scene.box)[-1]
    exact = panels.cells(scene, model, 2, exact=True)
    assert exact["exact"] and exact["count"] == len(regions) > 1 and "hue" not in exact
    assert exact["n_vertices"].sum() == len(exact["vertices"]) and exact["n_vertices"].min() >= 3
    assert np.array_equal(exact["poly_hue"], (regions.key >> np.uint64(48)).astype("<u2"))
    monkeypatch.setattr(panels, "MAX_EXACT", len(regions) - 1)
    grid = panels.cells(scene, model, 2, exact=True)
    keys = grid_regions(model[:4], scene.box, panels.CELL_PIXELS).keys[-1]
    assert not grid["exact"] and grid["count"] == len(np.unique(keys))
    assert grid["note"] == {"key": "cells_exact_many", "values": {"most": len(regions) - 1}}
    assert panels.cells(scene, model, 2, exact=False).keys() == grid.keys() - {"note"}
    monkeypatch.setattr(panels, "DIRECT_UNITS", 0)  # a large head: the grid decides whether to walk
    monkeypatch.setattr(panels, "MAX_EXACT", len(regions))
    assert panels.cells(scene, model, 2, exact=True)["count"] == len(regions)
    monkeypatch.setattr(panels, "GRID_EXACT", grid["count"] - 1)
    walked_not = panels.cells(scene, model, 2, exact=True)
    assert not walked_not["exact"]
    assert walked_not["note"] == {"key": "cells_grid_many",
                                  "values": {"count": grid["count"], "most": grid["count"] - 1}}


def test_the_exact_cells_stop_sooner_behind_more_multiply_adds(monkeypatch):
    """A head sends at most ``MAX_EXACT`` exact polygons (what the page draws) and at most ``EXACT_WORK`` over its
    multiply-adds ``Σ fan_in · fan_out`` (what the walk proves within a frame): 3000 for the 11×32's layer 5, 750
    for a 3×128's layer 2, 11 818 for the 6×16's layer 5, the whole ``MAX_EXACT`` for a first layer alone; past
    that limit the grid image, with the limit in its note."""
    from reluscope.geometry.regions import linear_regions
    from reluscope.serve import panels
    assert panels.exact_limit(((2, 32),) + ((32, 32),) * 4) == 3000  # the 11×32's layer 5
    assert panels.exact_limit(((2, 128), (128, 128))) == 750  # a 3×128's layer 2
    assert panels.exact_limit(((2, 16),) + ((16, 16),) * 4) == 11818  # the 6×16's (its exercise's: 4 716 cells)
    assert panels.exact_limit(((2, 128),)) == panels.MAX_EXACT  # a first layer: lines through the box
    s = Settings(depth=4, width=8, n_samples=100)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene = Scene.build(s, data, model)
    count = len(linear_regions(model[:4], scene.box)[-1])
    monkeypatch.setattr(panels, "EXACT_WORK", count * (2 * 8 + 8 * 8))  # the head: 2 → 8 → 8
    assert panels.cells(scene, model, 2, exact=True)["count"] == count
    monkeypatch.setattr(panels, "EXACT_WORK", count * (2 * 8 + 8 * 8) - 1)
    grid = panels.cells(scene, model, 2, exact=True)
    assert not grid["exact"] and grid["note"] == {"key": "cells_exact_many", "values": {"most": count - 1}}


def test_cells_are_walked_once_per_head_and_afresh_when_its_weights_change(monkeypatch):
    """The cells panel is remembered by the head's weights: the same head again takes no walk (a resting run's
    frames), a weight after the chosen layer changes nothing, a weight inside it draws the panel afresh, equal
    to a first drawing."""
    from reluscope.serve import panels
    s = Settings(depth=4, width=8, n_samples=100)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene = Scene.build(s, data, model)
    walks, walk, me = [], panels.linear_regions, threading.get_ident()  # this test's walks, not another thread's
    monkeypatch.setattr(panels, "linear_regions",
                        lambda *a, **k: (threading.get_ident() == me and walks.append(1)) or walk(*a, **k))
    panels.DRAWN_CELLS.clear()

    def same(a, b):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)

    first = panels.cells(scene, model, 2, exact=True)
    assert len(walks) == 1 and first["exact"]
    again = panels.cells(scene, model, 2, exact=True)
    assert len(walks) == 1 and again is not first and same(again, first)
    with torch.no_grad():
        model[4].weight[0, 0] += 1.0  # layer 3: not in the head of layer 2
    assert same(panels.cells(scene, model, 2, exact=True), first) and len(walks) == 1
    with torch.no_grad():
        model[2].weight[0, 0] += 1.0  # layer 2
    moved = panels.cells(scene, model, 2, exact=True)
    assert len(walks) == 2 and not same(moved, first)
    panels.DRAWN_CELLS.clear()
    assert same(panels.cells(scene, model, 2, exact=True), moved) and len(walks) == 3


def test_frame_layer_stats_match_the_probe_and_theory():
    from reluscope.probe.stats import probe
    from reluscope.probe.theory import predicted_moments
    s = Settings(depth=4, width=8, n_samples=100)
    data = s.load_data(None)
    model, _ = s.build_model(data)
    scene = Scene.build(s, data, model)
    frame = render(scene, model, View())
    slow = render_slow(scene, model, View(), grad_out_m2=frame["layers"]["gz_out_m2"], exact=False)
    X, y = scene.tensors[:2]
    z_var = [r.var for r in probe(model, X, y) if r.quantity == "pre"]
    assert frame["layers"]["z_var"] == pytest.approx(z_var)
    assert slow["theory"]["z_var"] == pytest.approx([m.pre_var for m in predicted_moments(model, scene.input_m2)])


def test_save_mid_run_retrains_to_the_step(tmp_path):
    """A run saved at step 40 of 200 is the run of 40 steps: its model equals the live one at step 40."""
    s = Settings(n_samples=100, depth=3, width=8, steps=200)
    offers = []
    t = _trainer(s, offers)
    t.start()
    for _ in range(40):
        t.single_step()
    _wait(lambda: offers[-1].step == 40 and offers[-1].at_rest)
    path = save_live_run(tmp_path, s, t.data, 40, None)
    t.stop()
    run = rs.load_run(path)
    assert run.config.steps == 40 and run.metrics["steps_run"] == 40 and run.snapshots
    assert all(torch.allclose(run.model.state_dict()[k], v, atol=1e-6) for k, v in offers[-1].state.items())
    assert json.loads((path / "playground.json").read_text())["settings"] == s.to_dict()


def test_a_saved_run_of_the_empty_plane_reruns_from_its_config(tmp_path):
    """The drawn plane's run directory holds its points as ``data.csv``, which ``config.json`` names: ``reluscope
    train`` with the config's settings trains on exactly those points (as a CSV: standardised and split)."""
    from reluscope.cli import main
    from reluscope.data import load_csv
    points = [[-1.0, -1.0, 0], [-1.5, -0.5, 0], [-0.5, -1.5, 0], [-1.2, -1.1, 0],
              [1.0, 1.0, 1], [1.5, 0.5, 1], [0.5, 1.5, 1], [1.1, 1.3, 1]]
    s = Settings(dataset="drawn", depth=2, width=4, points=points)
    path = save_live_run(tmp_path, s, s.load_data(None), 5, None)
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["dataset"] == str((path / "data.csv").resolve())
    X, y = load_csv(cfg["dataset"])
    assert np.column_stack([X, y]).tolist() == points
    assert main(["train", "--dataset", cfg["dataset"], "--depth", str(cfg["depth"]), "--width", str(cfg["width"]),
                 "--init", cfg["init"], "--lr", str(cfg["lr"]), "--steps", str(cfg["steps"]),
                 "--seed", str(cfg["seed"]), "--out", str(tmp_path / "rerun")]) == 0
    rerun = rs.load_run(tmp_path / "rerun")
    assert rerun.metrics["steps_run"] == 5 and len(rerun.data.X_train) + len(rerun.data.X_test) == len(points)
    assert rs.load_run(path).data.X_train.tolist() == [p[:2] for p in points]  # the page's run: the points as drawn


def test_the_meanfield_source_is_a_catalog_key_with_its_values():
    from reluscope.serve.scene import meanfield_theory
    for s, said in ((Settings(init="lecun"), {"key": "mf_effective", "values": {"init": "lecun"}}),
                    (Settings(init=MEANFIELD, sigma_w2=1.5), {"key": "mf_sliders", "values": {}})):
        data = s.load_data(None)
        theory = meanfield_theory(s, s.build_model(data)[0], 1.0)
        assert theory["source"] == said
    assert theory["sigma_w2"] == 1.5


def test_the_meanfield_curve_runs_with_each_layers_own_weights_and_biases():
    """The sheet's N(0, 1) net: layer 1 (fan-in 2) starts at E[z²] ≈ 2·E[x²] and every later layer multiplies by
    its own σ_w,l²/2 ≈ 16, as the measured lengths do; the σ_w² shown is the later layers' ≈ 32 (a mean over all
    layers, 29, would start the curve 14 times too high). PyTorch's default draws biases: σ_b² > 0."""
    from reluscope.probe.stats import probe
    from reluscope.serve.scene import meanfield_theory
    s = Settings(init="normal", depth=11, width=32)
    data = s.load_data(None)
    model = s.build_model(data)[0]
    X = torch.as_tensor(data.X_train, dtype=torch.float32)
    input_m2 = float(X.double().pow(2).mean())
    theory = meanfield_theory(s, model, input_m2)
    lin = [m for m in model if isinstance(m, torch.nn.Linear)]
    w2 = [m.in_features * float(m.weight.detach().double().pow(2).mean()) for m in lin]
    assert theory["q"][0] == pytest.approx(w2[0] * input_m2)
    assert [b / a for a, b in zip(theory["q"], theory["q"][1:])] == pytest.approx([w / 2 for w in w2[1:]])
    assert theory["sigma_w2"] == pytest.approx(np.mean(w2[1:])) and 28 < theory["sigma_w2"] < 36
    measured = [st.m2 for st in probe(model, X) if st.quantity == "pre"]
    assert theory["q"][0] == pytest.approx(measured[0], rel=0.2)  # one layer: the data average, no depth drift
    assert theory["source"] == {"key": "mf_effective", "values": {"init": "normal"}}
    s = Settings(init="torch-default", depth=4, width=16)
    theory = meanfield_theory(s, s.build_model(data)[0], input_m2)
    assert theory["sigma_b2"] > 0.005


def test_marked_layer_is_the_one_the_outcome_names():
    assert marked_layer(dict(status="diverged", diverged_layer="layer 4 (6)"), 11) == 4
    assert marked_layer(dict(status="diverged", diverged_layer="output (loss)"), 11) == 11
    assert marked_layer(dict(status="collapsed", collapsed_layer="layer 9 (16)"), 11) == 9
    assert marked_layer(dict(status="ok", train_accuracy=1.0, test_accuracy=0.9), 3) is None


def test_bounds_cover_the_issue_ranges():
    assert BOUNDS["depth"] == (1, 30) and BOUNDS["width"] == (2, 128)


@pytest.mark.slow  # a fresh interpreter that imports torch and trains: 7 CPU-s
def test_the_server_is_up_once_a_first_run_would_wait_for_no_import(tmp_path):
    """A process's first optimizer imports ``torch._dynamo`` (seconds of CPU, a minute on a crowded machine): the
    server has trained a tiny net and drawn it (``warm.warm_up``) when ``running`` yields, so the first run's first
    step and frames need not wait for that import."""
    code = """if True:
        import sys
        from pathlib import Path
        from reluscope.serve import ServeConfig, running, warm
        assert "torch._dynamo" not in sys.modules
        with running(ServeConfig(port=0, runs_dir=Path(sys.argv[1]))):
            assert warm.warm_up().is_set() and "torch._dynamo" in sys.modules
        """
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
