"""``rs.watch`` on a user's own net and loop: its statistics are the probe's on the same weights, the hook is gone
after the block (also after an exception or a KeyboardInterrupt) and its thread has ended, other models are
refused with one clear error, inputs of more than two dimensions are seen on a slice (1-D ones keep the
statistics and say why each geometry panel is off), and a blow-up is told in the library's words."""

import threading
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import reluscope as rs
from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import VIEWS
from reluscope.geometry.slices import slice_through
from reluscope.probe.stats import probe
from reluscope.probe.theory import predicted_moments
from reluscope.serve.codec import decode
from reluscope.serve.messages import encode
from reluscope.serve.notice import said
from reluscope.widget.watch import Watch, Watcher


def spirals(n=300, depth=4, width=16, init="he", seed=0):
    data = rs.load_dataset("spirals", n, random_state=seed)
    X, y = torch.as_tensor(data.X_train, dtype=torch.float32), torch.as_tensor(data.y_train)
    model = rs.init_model_(rs.build_mlp(2, width, depth, 2), init, generator=torch.Generator().manual_seed(seed))
    return model, X, y


def watched(model, X, y, every=1):
    """A ``Watcher`` whose messages (decoded as the front-end gets them) collect in a list."""
    sent = []
    w = Watcher(model, X, y, every=every, emit=lambda kind, f: sent.append(decode(encode(kind, **f))),
                set_data=lambda d: sent.append(decode(encode("data", **d))))
    return w, sent


def train(model, X, y, steps, lr=0.05):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def of(sent, kind):
    return [m for m in sent if m["type"] == kind]


def test_statistics_equal_the_probe_and_the_theory_on_the_same_weights():
    model, X, y = spirals()
    w, sent = watched(model, X, y)
    w.start()
    train(model, X, y, 30)
    w.stop()
    last = of(sent, "frame")[-1]
    assert last["step"] == 30 == w.step
    rows = probe(model, X, y)
    for name, quantity in (("z", "pre"), ("h", "post"), ("gz", "grad_pre")):
        for stat in ("mean", "var", "m2"):
            assert last["layers"][f"{name}_{stat}"] == pytest.approx([getattr(r, stat) for r in rows
                                                                        if r.quantity == quantity], rel=1e-6)
    assert last["layers"]["dead"] == [r.frac_dead for r in rows if r.quantity == "pre"][:-1]  # hidden layers only
    theory = predicted_moments(model, float(X.double().pow(2).mean()), grad_out_m2=last["layers"]["gz_out_m2"])
    assert last["theory"]["z_var"] == pytest.approx([m.pre_var for m in theory], rel=1e-9)


def test_a_net_with_frozen_layers_is_drawn_with_the_probes_gradients():
    model, X, y = spirals()
    model[0].requires_grad_(False)  # the first layer frozen, the rest trains
    w, sent = watched(model, X, y, every=100)
    w.start()
    train(model, X, y, 3)
    w.stop()
    assert not of(sent, "error") and of(sent, "frame")[-1]["step"] == 3
    gz = [r.m2 for r in probe(model, X, y) if r.quantity == "grad_pre"]
    assert of(sent, "frame")[-1]["layers"]["gz_m2"] == pytest.approx(gz, rel=1e-6)


@pytest.mark.parametrize("act", [nn.GELU, nn.SiLU, nn.ELU, nn.Sigmoid])
def test_a_net_the_theory_has_no_formula_for_gets_its_frames_and_geometry_and_says_why(act):
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(200, 2, generator=gen), torch.randint(2, (200,), generator=gen)
    model = nn.Sequential(nn.Linear(2, 8), act(), nn.Linear(8, 8), act(), nn.Linear(8, 2))
    w, sent = watched(model, X, y, every=100)
    w.start()
    train(model, X, y, 3)
    w.stop()
    frames = of(sent, "frame")
    assert not of(sent, "error") and frames[-1]["step"] == 3  # step 0 may be dropped for the newer: no race on it
    kind = act.__name__.lower()
    assert frames[-1]["theory"]["note"] == said("note_no_theory", activation=kind)
    assert len(frames[-1]["theory"]["z_var"]) == 0 and len(frames[-1]["layers"]["z_var"]) == 3
    last = [m for m in of(sent, "geometry") if m["step"] == 3]
    assert sorted(m["projection"] for m in last) == sorted(VIEWS)
    assert all(b["points"].shape == (len(X), 2) for m in last for b in m["backprojections"])


def test_every_nth_training_pass_is_sampled_and_evaluation_passes_are_not():
    model, X, y = spirals()
    w, sent = watched(model, X, y, every=5)
    w.start()
    for _ in range(12):
        train(model, X, y, 1)
        with torch.no_grad():
            model(X)  # an evaluation pass: not a training step
    w.stop()
    steps = [m["step"] for m in of(sent, "frame")]
    # the worker draws the newest sample, so a busy machine may skip one; never one that is not a 5th step
    assert w.step == 12 and steps[-1] == 12 and steps == sorted(set(steps)) and set(steps) <= {0, 5, 10, 12}


def test_the_last_weights_arrive_in_every_view_with_every_layer_and_its_cells():
    model, X, y = spirals(depth=3)
    w, sent = watched(model, X, y, every=100)
    w.start()
    train(model, X, y, 5)
    w.stop()
    last = [m for m in of(sent, "geometry") if m["step"] == 5]
    assert sorted(m["projection"] for m in last) == sorted(VIEWS)
    for m in last:
        assert [b["layer"] for b in m["backprojections"]] == [1, 2, 3] and len(m["residuals"]["act_from_bp"]) == 3
        assert [c["layer"] for c in m["cells"]] == [1, 2, 3] and all(c["count"] >= 1 for c in m["cells"])
        assert m["backprojections"][0]["points"].shape == (len(X), 2)


def _hooks(model):
    return len(model._forward_pre_hooks) + len(model._forward_hooks)


def _watch_threads():
    return [t for t in threading.enumerate() if t.name == "reluscope-watch"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_the_hook_and_the_thread_are_gone_after_the_block_also_after_an_exception(error):
    model, X, y = spirals()
    before = _hooks(model)
    with Watch(model, X, y, every=2, show=False) as w:
        train(model, X, y, 4)
        assert _hooks(model) == before + 1
    assert _hooks(model) == before and not _watch_threads() and w.step == 4
    with pytest.raises(error):
        with Watch(model, X, y, every=2, show=False):
            train(model, X, y, 3)
            raise error("the user's loop stopped")
    assert _hooks(model) == before and not _watch_threads()
    train(model, X, y, 2)  # the model trains on as before


def test_outside_a_notebook_showing_warns_once_and_show_false_is_silent():
    model, X, y = spirals()
    with pytest.warns(UserWarning, match=r"not in a notebook, so nothing is shown; run the loop in a Jupyter") as seen:
        with Watch(model, X, y, every=2, show=True):
            train(model, X, y, 2)
    assert len(seen) == 1 and seen[0].filename == __file__  # the user's own line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Watch(model, X, y, every=2, show=False):
            train(model, X, y, 2)


@pytest.mark.parametrize("model,why", [
    (nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.1), nn.Linear(8, 2)), "Dropout"),
    (nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), "does not follow a Linear"),
    (nn.Linear(2, 2), "expected an nn.Sequential"),
    (nn.Sequential(nn.Sequential(nn.Linear(2, 2))), "Sequential"),
])
def test_a_model_that_is_not_a_linear_activation_stack_is_refused(model, why):
    with pytest.raises(ReluscopeError, match=why):
        rs.watch(model, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), show=False)


@pytest.mark.parametrize("X,y,every,why", [
    (torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), 1, r"X must be \(N, 2\)"),
    (torch.zeros(4, 2), torch.zeros(5, dtype=torch.long), 1, r"y must be \(N,\)"),
    (torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), 0, "every must be"),
    ("points", torch.zeros(4, dtype=torch.long), 1, "X must be an array"),
    (torch.zeros(4, 2), torch.tensor([0, 1, 2, 1]), 1,
     r"y holds class 2, but the model's logits hold classes 0 … 1 only"),
    (torch.zeros(4, 2), torch.zeros(4), 1, "y must hold integer class indices, got float32"),
])
def test_bad_data_or_period_is_refused(X, y, every, why):
    model, _, _ = spirals()
    with pytest.raises(ReluscopeError, match=why):
        rs.watch(model, X, y, every=every, show=False)


def test_inputs_of_one_dimension_keep_the_statistics_and_each_geometry_panel_says_why_it_is_off():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(200, 1, generator=gen)
    y = (X[:, 0] > 0).long()
    model = rs.init_model_(rs.build_mlp(1, 16, 3, 2), "he", generator=gen)
    w, sent = watched(model, X, y)
    w.start()
    train(model, X, y, 3)
    w.stop()
    data, frame = of(sent, "data")[0], of(sent, "frame")[-1]
    assert set(data["off"]) == {"boundary", "backprojection", "cells"} and "slice" not in data
    assert all(why == {"key": "note_one_dimension", "values": {}} for why in data["off"].values())  # the page says it
    assert len(frame["layers"]["z_var"]) == 3 and "boundary" not in frame and not of(sent, "geometry")


@pytest.mark.parametrize("dim", [64, 3])
def test_inputs_of_more_dimensions_are_seen_on_the_slice_through_three_typical_points(dim):
    """A 64-pixel digits net (and a 3-D one): the plane views are the slice through ``auto_indices``; the cells
    after the block equal ``slice_through``'s on the same weights, the points arrive at their plane coordinates,
    the back-projection is the three points' images (a note where the inputs are no square images)."""
    data = rs.load_dataset("digits")
    X = torch.as_tensor(data.X_train[:400, :dim], dtype=torch.float32)
    y = torch.as_tensor(data.y_train[:400])
    model = rs.init_model_(rs.build_mlp(dim, 16, 3, 10), "he", generator=torch.Generator().manual_seed(0))
    w, sent = watched(model, X, y)
    w.start()
    train(model, X, y, 3)
    w.stop()
    cut = slice_through(model, X.double().numpy(), y.numpy(), "auto")
    data_msg, last = of(sent, "data")[0], of(sent, "geometry")[-1]
    assert data_msg["off"] == {} and data_msg["slice"]["through"] == list(cut.indices)
    np.testing.assert_allclose(np.asarray(data_msg["train"]).reshape(-1, 2), cut.coords, atol=1e-5)
    assert data_msg["box"] == list(cut.plane.box) and "boundary" in of(sent, "frame")[-1]
    for cells, layer in zip(last["cells"], cut.layers, strict=True):  # the grid's count can only miss cells
        assert not cells["exact"] and 1 <= cells["count"] <= len(layer)
        assert set(np.unique(cells["hue"]).tolist()) <= set((layer.key >> np.uint64(48)).tolist())
    assert [b["layer"] for b in last["backprojections"]] == [1, 2, 3]
    if dim == 64:
        assert all(b["images"] and b["shape"] == [8, 8] and len(b["residual"]) == 3 for b in last["backprojections"])
    else:
        assert all(b["note"] == said("note_no_images", n=3) for b in last["backprojections"])


@pytest.mark.parametrize("lang,start,word", [("en", "diverged at step ", "overflowed"),
                                             ("de", "divergiert in Schritt ", "läuft über")])
def test_a_run_that_blows_up_is_told_in_the_librarys_words(lang, start, word):
    model, X, y = spirals(depth=11, width=32, init="normal")
    w, sent = watched(model, X, y)
    w.start()
    with np.errstate(all="ignore"):
        train(model, X, y, 6, lr=0.5)
    w.stop()
    status = of(sent, "status")
    assert len(status) == 1 and status[0]["sentences"][lang].startswith(start)  # every language: the widget picks
    assert word in status[0]["sentences"][lang] and 1 <= status[0]["layer"] <= 11


def test_the_widget_carries_the_points_as_bytes_and_the_frames_as_messages():
    model, X, y = spirals()
    w = Watch(model, X, y, show=False)
    data = w.widget.data
    assert data["type"] == "data" and isinstance(data["train"]["buffer"], bytes)
    assert np.frombuffer(data["train"]["buffer"], "<f4").reshape(data["train"]["shape"]) == pytest.approx(X.numpy())
    assert w.widget.mode == "watch" and "frame" not in w.widget.trait_names()


def test_the_language_is_the_one_asked_for_or_the_browsers():
    model, X, y = spirals()
    assert rs.watch(model, X, y, show=False, lang="de").widget.lang == "de"
    assert rs.watch(model, X, y, show=False).widget.lang is None
    with pytest.raises(ReluscopeError, match="lang"):
        rs.watch(model, X, y, show=False, lang="fr")


def test_a_step_that_cannot_be_drawn_is_told_in_the_catalogs_words_and_the_loop_goes_on(monkeypatch):
    """The widget's error carries the catalog key ``draw_failed`` with the step and the error, which the page writes
    in its language; the user's loop is not stopped."""
    model, X, y = spirals()
    w, sent = watched(model, X, y)

    def broken(*args, **kwargs):
        raise RuntimeError("no canvas")

    monkeypatch.setattr(w, "_draw", broken)
    w.start()
    train(model, X, y, 3)
    w.stop()
    errors = of(sent, "error")
    assert errors and errors[0]["key"] == "draw_failed"
    assert errors[0]["values"]["error"] == "RuntimeError: no canvas" and 0 <= errors[0]["values"]["step"] <= 3
    assert w.step == 3
