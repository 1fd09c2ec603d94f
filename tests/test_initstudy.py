"""The init study: the 11-layer claims of Task 1, the study directory, the figures, the CLI."""

import csv
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reluscope.cli import main
from reluscope.probe.stats import QUANTITIES
from reluscope.studies.initstudy import InitStudyConfig, InitStudyResult
from reluscope.studies.initstudyconfig import SCHEMES
from reluscope.studies.initstudy_dir import init_study_to_dir
from reluscope.train import TrainConfig, fit
from reluscope.train.ensemble import train_ensemble


def _config(cfg: InitStudyConfig = InitStudyConfig(), **fields) -> InitStudyConfig:
    """``cfg`` with ``fields`` set: the study's own (depths, schemes, seeds), the others on every run's config."""
    run = {k: fields.pop(k) for k in list(fields) if k in TrainConfig.__dataclass_fields__}
    return replace(cfg, base=replace(cfg.base, **run), **fields)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["spirals", "moons"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_depth_11_normal_fails_and_he_trains(dataset, seed):
    cfg = _config(dataset=dataset, steps=600)  # He reaches ≥ 0.97 by step 300 at lr 0.01
    _, normal = fit(cfg.train_config(11, "normal", seed))
    m = normal.metrics
    assert m["status"] == "diverged" or m["train_accuracy"] <= m["chance_accuracy"] + 0.1
    assert m["unstable_layer_at_init"] is not None  # where the activations blew up (n·Var(W)/2 = 16 per layer)
    assert m["status"] != "diverged" or m["diverged_layer"] is not None
    _, he = fit(cfg.train_config(11, "he", seed))
    assert he.metrics["train_accuracy"] >= 0.95 and he.metrics["unstable_layer_at_init"] is None


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["spirals", "moons"])
def test_depth_3_every_scheme_trains(dataset):
    configs = [_config(dataset=dataset).train_config(3, scheme, 0) for scheme in SCHEMES]
    for scheme, res in zip(SCHEMES, train_ensemble(configs), strict=True):  # each as fit trains it (test_ensemble)
        assert res.metrics["status"] == "ok", scheme


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("s") / "study"
    cfg = _config(InitStudyConfig.quick(), depths=(2, 4), schemes=("normal", "he", "lsuv"), seeds=2, steps=15,
                  eval_every=5)
    return init_study_to_dir(cfg, out), out


def test_study_directory_has_tables_and_figures(study):
    result, out = study
    for name in ("config.json", "runs.csv", "summary.csv", "summary.md", "layer_stats.csv", "curves.csv",
                 "variance_by_layer.png", "training_curves.png", "activation_histograms.png"):
        assert (out / name).is_file(), name
    with (out / "runs.csv").open() as fh:
        runs = list(csv.DictReader(fh))
    assert len(runs) == 2 * 3 * 2 and {"status", "train_accuracy", "unstable_layer_at_init"} <= set(runs[0])
    md = (out / "summary.md").read_text().splitlines()
    assert md[2].startswith("| depth | scheme |") and len(md) == 4 + 2 * 3


def test_layer_stats_are_tidy_with_theory_beside_each_measurement(study):
    result, _ = study
    assert len(result.layer_stats) == 2 * 3 * (2 + 4) * len(QUANTITIES)
    row = result.layer_stats[0]
    assert {"scheme", "depth", "seed", "layer", "quantity", "var", "theory_var", "theory_mean"} <= set(row)
    first = [r for r in result.layer_stats if r["layer"] == 1 and r["quantity"] == "pre" and r["scheme"] == "he"]
    for r in first:  # layer 1 on standardised data: n·E[W²]·E[x²] is the measured variance up to sampling
        assert r["var"] == pytest.approx(r["theory_var"], rel=0.35)


def test_summary_counts_every_run(study):
    result, _ = study
    rows = result.summary()
    statuses = {r["status"] for r in result.runs}
    assert len(rows) == 2 * 3 and all(sum(r[s] for s in statuses) == r["runs"] == 2 for r in rows)
    assert set(result.activations) == {"normal", "he"} and len(result.activations["he"]) == 3  # hidden layers


def test_summary_counts_whatever_statuses_the_runs_have():
    """No fixed list: a status the study has never seen before gets its own column, counted per cell."""
    cfg = InitStudyConfig(depths=(11,), schemes=("lecun", "he"), seeds=3)
    statuses = {"lecun": ["collapsed", "collapsed", "ok"], "he": ["ok", "ok", "frozen"]}
    runs = [dict(scheme=s, depth=11, seed=k, status=status, train_accuracy=0.5, test_accuracy=0.5,
                 collapsed_layer="layer 9 (16)" if status == "collapsed" else None)
            for s, seq in statuses.items() for k, status in enumerate(seq)]
    rows = {r["scheme"]: r for r in InitStudyResult(cfg, runs).summary()}
    assert {k: rows["lecun"][k] for k in ("collapsed", "frozen", "ok")} == dict(collapsed=2, frozen=0, ok=1)
    assert {k: rows["he"][k] for k in ("collapsed", "frozen", "ok")} == dict(collapsed=0, frozen=1, ok=2)
    assert rows["lecun"]["collapsed_layer"] == "layer 9 (16)" and rows["he"]["collapsed_layer"] == ""


def test_displays_hold_the_studys_numbers_and_draw_on_the_given_axes(study):
    result, _ = study
    variance = result.variance(4)
    he = next(b for b in variance.bands if b.label == "he")
    measured = np.array([[r["var"] for r in result.layer_stats if r["scheme"] == "he" and r["depth"] == 4
                          and r["quantity"] == "pre" and r["layer"] == k] for k in range(1, 5)])  # (layers, seeds)
    np.testing.assert_allclose(he.line, np.sqrt(measured[:, 0] * measured[:, 1]))  # geometric mean of 2 seeds
    assert (he.lo <= he.line).all() and (he.line <= he.hi).all()
    accuracy, loss = result.curves()
    assert [b.label.split()[0] for b in accuracy.bands] == ["normal", "he", "lsuv"]  # the study's order
    assert (accuracy.metric, loss.metric) == ("train_accuracy", "train_loss") and accuracy.title == "depth 4, spirals"
    fig, axs = plt.subplots(1, 3)
    assert variance.plot(ax=axs[0]) is axs[0] and accuracy.plot(ax=axs[1]) is axs[1]
    assert result.histograms()[0].plot(ax=axs[2]) is axs[2]
    assert len(axs[0].lines) == 2 * 3  # measured and theory per scheme
    plt.close(fig)


def test_a_scheme_keeps_its_colour_when_shown_alone(study):
    """The report's toggle shows one scheme or all: each in the colour it has among all of the study's."""
    result, _ = study
    every = {b.label: b.style for b in result.variance(4).bands}
    for scheme in result.config.schemes:
        alone = result.variance(4, schemes=(scheme,)).bands
        assert [b.label for b in alone] == [scheme] and alone[0].style == every[scheme]
    assert len({str(style) for style in every.values()}) == len(every)  # colours that tell the schemes apart


def test_a_curve_label_counts_the_runs_that_did_not_end_ok():
    cfg = InitStudyConfig(depths=(11,), schemes=("normal",), seeds=2)
    history = [dict(step=0, train_accuracy=0.5, train_loss=0.7), dict(step=50, train_accuracy=0.9, train_loss=0.2)]
    runs = [dict(scheme="normal", depth=11, seed=0, status="collapsed"),
            dict(scheme="normal", depth=11, seed=1, status="ok")]
    accuracy, _ = InitStudyResult(cfg, runs, histories={("normal", 11, k): history for k in (0, 1)}).curves()
    assert accuracy.bands[0].label == "normal (1/2 collapsed)"
    np.testing.assert_array_equal(accuracy.bands[0].line, [0.5, 0.9])


def test_cli_writes_the_study(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["init-study", "--quick", "--depths", "2,3", "--schemes", "he,normal", "--seeds", "1",
                 "--steps", "5", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("depth 3: he 0/1 ok, normal") and (out / "summary.md").is_file()


def test_cli_linear_study_grows_by_n_var_w_per_layer(tmp_path):
    """Task 1.1 measured: with a = identity and N(0, 1) weights, Var(z) grows by n·Var(W) = width per layer."""
    out = tmp_path / "lin"
    assert main(["init-study", "--quick", "--activation", "identity", "--depths", "4", "--schemes", "normal,lecun",
                 "--seeds", "1", "--steps", "2", "--width", "64", "--n-samples", "2000", "--out", str(out)]) == 0
    with (out / "layer_stats.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["quantity"] == "pre"]
    var = {(r["scheme"], int(r["layer"])): float(r["var"]) for r in rows}
    for layer in (2, 3):  # hidden → hidden: fan-in 64
        assert var["normal", layer] / var["normal", layer - 1] == pytest.approx(64, rel=0.35)
        assert var["lecun", layer] / var["lecun", layer - 1] == pytest.approx(1, rel=0.35)


BAD = {
    "unknown scheme": ["--schemes", "he,magic"],
    "bad depths": ["--depths", "3,eleven"],
    "zero seeds": ["--seeds", "0"],
    "more seeds than there are": ["--seeds", str(2**63)],
    "zero depth": ["--depths", "0"],
    "bad data set": ["--dataset", "nope"],
    "negative lr": ["--lr", "-1"],
    "no depths": ["--depths", ","],
    "a depth twice": ["--depths", "3,3"],
    "a scheme twice": ["--schemes", "he,he"],
    "empty scheme": ["--schemes", ","],
    "unknown activation": ["--activation", "swish"],
}


@pytest.mark.parametrize("args", list(BAD.values()), ids=list(BAD))
def test_cli_bad_arguments_exit_2_with_one_line(args, tmp_path, capsys):
    assert main(["init-study", "--quick", "--out", str(tmp_path / "x"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("reluscope: error:")


def test_cli_refuses_a_non_empty_out_without_force(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["init-study", "--quick", "--seeds", "1", "--out", str(tmp_path)]) == 2


def test_depth_1_has_no_hidden_layer_to_histogram(tmp_path):
    cfg = _config(InitStudyConfig.quick(), depths=(1,), schemes=("normal", "he"), seeds=1, steps=3, n_samples=60)
    result = init_study_to_dir(cfg, tmp_path / "s")
    assert result.activations == {} and not (tmp_path / "s" / "activation_histograms.png").exists()
    assert (tmp_path / "s" / "variance_by_layer.png").is_file() and len(result.runs) == 2


def test_a_net_whose_logits_overflow_gets_nan_gradient_theory_not_a_refusal():
    """N(0, 1) at depth 70 overflows its logits, so the measured output gradient is NaN: the forward theory is
    still drawn and the gradient columns are NaN (the theory refuses a non-finite seed from a caller)."""
    import torch

    from reluscope.model import build_mlp, init_model_
    from reluscope.studies.initstudy import probe_with_theory

    model = init_model_(build_mlp(2, 32, 70, 2), "normal", generator=torch.Generator().manual_seed(0))
    X = np.random.default_rng(0).normal(size=(200, 2))
    rows = {r["quantity"]: r["theory_m2"] for r in probe_with_theory(model, X, np.arange(200) % 2) if r["layer"] == 1}
    assert np.isfinite(rows["pre"]) and np.isnan(rows["grad_pre"]) and np.isnan(rows["grad_post"])
