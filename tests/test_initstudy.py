"""The init study: the 11-layer claims of Task 1, the study directory, the figures, the CLI."""

import csv

import matplotlib.pyplot as plt
import pytest

from reluscope.cli import main
from reluscope.plots.initstudy import plot_activation_histogram, plot_training_curves, plot_variance_by_layer
from reluscope.probe.stats import QUANTITIES
from reluscope.studies.initstudy import SCHEMES, InitStudyConfig, run_init_study
from reluscope.train import fit

@pytest.mark.parametrize("dataset", ["spirals", "moons"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_depth_11_normal_fails_and_he_trains(dataset, seed):
    cfg = InitStudyConfig(dataset=dataset, steps=600)  # He reaches ≥ 0.97 by step 300 at lr 0.01
    _, normal = fit(cfg.train_config(11, "normal", seed))
    m = normal.metrics
    assert m["status"] == "diverged" or m["train_accuracy"] <= m["chance_accuracy"] + 0.1
    assert m["unstable_layer_at_init"] is not None  # where the activations blew up (n·Var(W)/2 = 16 per layer)
    assert m["status"] != "diverged" or m["diverged_layer"] is not None
    _, he = fit(cfg.train_config(11, "he", seed))
    assert he.metrics["train_accuracy"] >= 0.95 and he.metrics["unstable_layer_at_init"] is None


@pytest.mark.parametrize("dataset", ["spirals", "moons"])
def test_depth_3_every_scheme_trains(dataset):
    for scheme in SCHEMES:
        _, res = fit(InitStudyConfig(dataset=dataset).train_config(3, scheme, 0))
        assert res.metrics["status"] == "ok", scheme


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("s") / "study"
    cfg = InitStudyConfig.quick(depths=(2, 4), schemes=("normal", "he", "lsuv"), seeds=2, steps=15, eval_every=5)
    return run_init_study(cfg, out), out


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
    assert len(rows) == 2 * 3 and all(r["ok"] + r["stalled"] + r["diverged"] == 2 for r in rows)
    assert set(result.activations) == {"normal", "he"} and len(result.activations["he"]) == 3  # hidden layers


def test_plot_functions_draw_on_the_given_axes(study):
    result, _ = study
    fig, axs = plt.subplots(1, 3)
    assert plot_variance_by_layer(result, 4, ax=axs[0]) is axs[0]
    assert plot_training_curves(result, 2, ax=axs[1]) is axs[1]
    assert plot_activation_histogram(result.activations["normal"], ax=axs[2]) is axs[2]
    assert len(axs[0].lines) == 2 * 3  # measured and theory per scheme
    plt.close(fig)


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
    cfg = InitStudyConfig.quick(depths=(1,), schemes=("normal", "he"), seeds=1, steps=3, n_samples=60)
    result = run_init_study(cfg, tmp_path / "s")
    assert result.activations == {} and not (tmp_path / "s" / "activation_histograms.png").exists()
    assert (tmp_path / "s" / "variance_by_layer.png").is_file() and len(result.runs) == 2
