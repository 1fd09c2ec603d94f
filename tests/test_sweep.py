"""Trainability sweeps: resumable without retraining, rows as the ensemble trained them, the CLI."""

import csv
from dataclasses import replace

import pytest

import reluscope.studies.sweep as sweep_module
from reluscope.cli import main
from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError
from reluscope.plots.sweep import plot_trainability
from reluscope.studies.sweep import SweepConfig, read_rows, run_sweep, total_units
from reluscope.train import TrainConfig, train_model
from reluscope.train.ensemble import Member, init_member

BASE = TrainConfig(dataset="moons", n_samples=60, width=8, steps=15, eval_every=5)


def tiny(depths=(2, 3), **kw) -> SweepConfig:
    return SweepConfig(depths=list(depths), sigma_w2=[1.0, 2.0], seeds=2, base=BASE, **kw)


@pytest.fixture
def trained(monkeypatch):
    """Count the networks train_ensemble is asked to train; optionally fail on the n-th ensemble (a kill)."""
    calls = {"members": 0, "ensembles": 0, "kill_at": None}
    real = sweep_module.train_ensemble

    def counting(members, data, **kw):
        calls["ensembles"] += 1
        if calls["ensembles"] == calls["kill_at"]:
            raise KeyboardInterrupt
        calls["members"] += len(members)
        return real(members, data, **kw)

    monkeypatch.setattr(sweep_module, "train_ensemble", counting)
    return calls


def test_a_resumed_sweep_trains_only_the_missing_runs(tmp_path, trained):
    first = run_sweep(tiny(depths=[2]), tmp_path)
    assert trained["members"] == first.trained == 4 and len(first.rows) == 4
    full = run_sweep(tiny(), tmp_path)
    assert trained["members"] == 8 and full.trained == 4 and len(full.rows) == 8
    again = run_sweep(tiny(), tmp_path)
    assert trained["members"] == 8 and again.trained == 0
    keys = [(r["depth"], r["sigma_w2"], r["seed"]) for r in again.rows]
    assert len(set(keys)) == 8
    assert [r for r in again.rows if r["depth"] == 2] == first.rows  # finished runs are kept as they were
    assert (tmp_path / "trainability.png").stat().st_size > 0


def test_a_killed_sweep_keeps_the_finished_ensembles(tmp_path, trained):
    trained["kill_at"] = 2  # the second ensemble (depth 3) is interrupted
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny(), tmp_path)
    rows = read_rows(tmp_path / "runs.csv")
    assert {r["depth"] for r in rows} == {2} and len(rows) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv", "sweep.json"]  # no temporary file left
    trained["kill_at"] = None
    result = run_sweep(tiny(), tmp_path)
    assert result.trained == 4 and trained["members"] == 8


def test_progress_is_called_total_units_times_fresh_resumed_and_forced(tmp_path):
    cfg = tiny()
    for force in (False, False, True):  # a fresh sweep, the same again (nothing to train), started over
        ticks = []
        want = total_units(cfg, tmp_path, force=force)
        run_sweep(cfg, tmp_path, force=force, progress=ticks.append)
        assert len(ticks) == want
    assert want == 2 * BASE.steps  # one ensemble per depth


def test_rows_are_the_runs_trained_alone(tmp_path):
    result = run_sweep(tiny(depths=[3]), tmp_path)
    row = next(r for r in result.rows if r["sigma_w2"] == 2.0 and r["seed"] == 1)
    member = Member(replace(BASE, depth=3, seed=1), sigma_w2=2.0, sigma_b2=0.0)
    data = load_dataset("moons", BASE.n_samples, random_state=BASE.seed)
    model, gen = init_member(member, data.n_classes)
    solo = train_model(model, data, member.config, generator=gen)
    assert row["train_accuracy"] == pytest.approx(solo.metrics["train_accuracy"], abs=1e-6)
    assert row["status"] == solo.metrics["status"]
    with (tmp_path / "runs.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 4


def test_other_training_settings_in_the_same_directory_are_refused(tmp_path):
    run_sweep(tiny(depths=[2]), tmp_path)
    other = SweepConfig(depths=[2], sigma_w2=[1.0], seeds=1, base=replace(BASE, lr=0.1))
    with pytest.raises(ReluscopeError, match="other training settings"):
        run_sweep(other, tmp_path)
    assert run_sweep(other, tmp_path, force=True).trained == 1


def test_trainability_plot_draws_the_critical_line(tmp_path):
    rows = run_sweep(tiny(depths=[2]), tmp_path).rows
    ax = plot_trainability(rows, activation="relu")
    assert any(list(line.get_xdata()) == [2.0, 2.0] for line in ax.lines)


def test_cli_quick_sweep_and_resume(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--quick", "--steps", "5", "--n-samples", "40", "--out", str(out)]) == 0
    assert "9 runs trained, 0 resumed" in capsys.readouterr().out
    assert main(["sweep", "--quick", "--steps", "5", "--n-samples", "40", "--out", str(out)]) == 0
    assert "0 runs trained, 9 resumed" in capsys.readouterr().out
    assert (out / "trainability.png").is_file()
    quick = SweepConfig.quick()
    assert {(d, w) for _, d, w, *_ in quick.runs()} == {(r["depth"], r["sigma_w2"]) for r in read_rows(out / "runs.csv")}


@pytest.mark.parametrize("args, message", [
    (["--depths", "2,x"], "--depths"),
    (["--depths", "2.5"], "whole numbers"),
    (["--sigma-w2", "-1"], "σ_w²"),
    (["--sigma-w2", "inf"], "σ_w²"),
    (["--sigma-b2", "nan"], "σ_b²"),
    (["--sigma-w2", "1:2"], "start:stop:count"),
    (["--datasets", "nope"], "unknown data set"),
    (["--seeds", "0"], "seeds"),
    (["--depths", "nan"], "whole numbers"),
    (["--depths", "inf"], "whole numbers"),
    (["--depths", ","], "no values"),
    (["--depths", "2,2"], "twice"),
    (["--sigma-w2", "1,1.0"], "twice"),
    (["--datasets", "moons,moons"], "twice"),
    (["--lr", "inf"], "lr"),
])
def test_cli_bad_input_exits_2(tmp_path, capsys, args, message):
    assert main(["sweep", *args, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("name, text", [("sweep.json", "{not json"), ("runs.csv", "a,b\n1,2\n"),
                                        ("runs.csv", "dataset,depth\nmoons,x\n")])
def test_a_foreign_file_in_out_is_a_one_line_error_and_force_starts_over(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    with pytest.raises(ReluscopeError, match=f"{name}.*--force"):
        run_sweep(tiny(depths=[2]), tmp_path)
    assert run_sweep(tiny(depths=[2]), tmp_path, force=True).trained == 4


def test_a_sweep_of_depth_1_only_draws_its_figure(tmp_path):
    result = run_sweep(tiny(depths=[1]), tmp_path)
    assert result.trained == 4 and result.figure.is_file()
