"""Trainability sweeps: resumable without retraining, rows as the ensemble trained them, failures recorded,
the CLI (the local backend; tests/test_sweep_ray.py runs the Ray backend)."""

import csv
import sys
from dataclasses import replace

import pytest

import reluscope.studies.sweeptask as task_module
from reluscope.cli import main
from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError
from reluscope.plots.sweep import plot_trainability
from reluscope.studies.store import RunStore, read_rows
from reluscope.studies.sweep import SweepConfig, run_sweep, total_units
from reluscope.train import TrainConfig, train_model
from reluscope.train.ensemble import Member, init_member

BASE = TrainConfig(dataset="moons", n_samples=60, width=8, steps=15, eval_every=5)


def tiny(depths=(2, 3), **kw) -> SweepConfig:
    return SweepConfig(depths=list(depths), sigma_w2=[1.0, 2.0], seeds=2, base=BASE, **kw)


@pytest.fixture
def trained(monkeypatch):
    """Count the networks train_ensemble is asked to train; optionally interrupt the n-th ensemble (Ctrl-C) or
    let it raise."""
    calls = {"members": 0, "ensembles": 0, "kill_at": None, "fail_at": None}
    real = task_module.train_ensemble

    def counting(members, data, **kw):
        calls["ensembles"] += 1
        if calls["ensembles"] == calls["kill_at"]:
            raise KeyboardInterrupt
        if calls["ensembles"] == calls["fail_at"]:
            raise RuntimeError("out of memory")
        calls["members"] += len(members)
        return real(members, data, **kw)

    monkeypatch.setattr(task_module, "train_ensemble", counting)
    return calls


def test_a_resumed_sweep_trains_only_the_missing_runs(tmp_path, trained):
    first = run_sweep(tiny(depths=[2]), tmp_path, draw=False)  # the figure: drawn by the last call
    assert trained["members"] == first.trained == 4 and len(first.rows) == 4
    full = run_sweep(tiny(), tmp_path, draw=False)
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
    with RunStore(tmp_path / "runs.sqlite") as store:
        rows = store.rows()
    assert {r["depth"] for r in rows} == {2} and len(rows) == 4
    assert read_rows(tmp_path / "runs.csv") == rows  # exported on the way out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv", "runs.sqlite", "sweep.json"]
    trained["kill_at"] = None
    result = run_sweep(tiny(), tmp_path, draw=False)
    assert result.trained == 4 and trained["members"] == 8


def test_a_task_that_raises_is_stored_with_its_error_and_the_rerun_retries_it(tmp_path, trained):
    trained["fail_at"] = 1  # the first ensemble (depth 2) raises; depth 3 trains
    result = run_sweep(tiny(), tmp_path)
    assert (result.trained, result.failed) == (4, 4) and len(result.rows) == 8
    failed = [r for r in result.rows if r["status"] == "error"]
    assert {r["depth"] for r in failed} == {2} and {r["error"] for r in failed} == {"RuntimeError: out of memory"}
    assert all(r["train_accuracy"] is None for r in failed) and result.figure.is_file()
    assert total_units(tiny(), tmp_path) == BASE.steps  # what is left: the failed ensemble
    again = run_sweep(tiny(), tmp_path, draw=False)
    assert (again.trained, again.failed) == (4, 0) and trained["members"] == 8
    assert len(again.rows) == 8 and all(r["error"] is None for r in again.rows)


def test_chunks_train_the_same_numbers_as_one_ensemble(tmp_path, trained):
    whole = run_sweep(tiny(depths=[3]), tmp_path / "whole", draw=False).rows
    assert trained["ensembles"] == 1
    chunked = run_sweep(tiny(depths=[3]), tmp_path / "chunked", chunk=3, draw=False).rows
    assert trained["ensembles"] == 3  # 4 runs in chunks of 3 and 1
    for a, b in zip(whole, chunked, strict=True):
        assert (a["seed"], a["sigma_w2"], a["status"], a["steps_run"]) == (b["seed"], b["sigma_w2"], b["status"],
                                                                           b["steps_run"])
        for k in ("train_accuracy", "final_loss", "q_init"):
            assert b[k] == pytest.approx(a[k], rel=1e-5, abs=1e-6)


def test_a_sweep_written_as_runs_csv_only_is_imported_into_the_store(tmp_path, trained):
    run_sweep(tiny(depths=[2]), tmp_path, draw=False)
    (tmp_path / "runs.sqlite").unlink()  # as a sweep was kept before the store: runs.csv alone
    result = run_sweep(tiny(depths=[2]), tmp_path, draw=False)
    assert result.trained == 0 and len(result.rows) == 4 and trained["members"] == 4


def test_progress_is_called_total_units_times_fresh_resumed_and_forced(tmp_path):
    cfg = tiny()
    for force, chunk in ((False, None), (False, None), (True, None), (True, 3)):  # fresh, done, started over
        ticks = []
        want = total_units(cfg, tmp_path, force=force, chunk=chunk)
        run_sweep(cfg, tmp_path, force=force, progress=ticks.append, chunk=chunk, draw=False)
        assert sum(ticks) == want
    assert want == 4 * BASE.steps  # chunks of 3: two ensembles per depth


def test_rows_are_the_runs_trained_alone(tmp_path):
    result = run_sweep(tiny(depths=[3]), tmp_path, draw=False)
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
    run_sweep(tiny(depths=[2]), tmp_path, draw=False)
    other = SweepConfig(depths=[2], sigma_w2=[1.0], seeds=1, base=replace(BASE, lr=0.1))
    with pytest.raises(ReluscopeError, match="other training settings"):
        run_sweep(other, tmp_path, draw=False)
    assert run_sweep(other, tmp_path, force=True, draw=False).trained == 1


def test_trainability_plot_draws_the_critical_line(tmp_path):
    rows = run_sweep(tiny(depths=[2]), tmp_path, draw=False).rows
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
    assert ({(d, w) for _, d, w, *_ in quick.runs()}
            == {(r["depth"], r["sigma_w2"]) for r in read_rows(out / "runs.csv")})


@pytest.mark.parametrize("args, message", [
    (["--depths", "2,x"], "--depths"),
    (["--depths", "2.5"], "whole numbers"),
    (["--sigma-w2", "-1"], "--sigma-w2 must be positive"),
    (["--sigma-w2", "inf"], "--sigma-w2 must be positive"),
    (["--sigma-b2", "nan"], "--sigma-b2 must be 0 or more"),
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
    (["--chunk", "0"], "chunk"),
    (["--address", "auto"], "--backend ray"),
    (["--backend", "ray", "--device", "cuda:1"], "cpu or cuda"),
    (["--backend", "spark"], "--backend"),
])
def test_cli_bad_input_exits_2(tmp_path, capsys, args, message):
    assert main(["sweep", *args, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("name, text", [("sweep.json", "{not json"), ("runs.csv", "a,b\n1,2\n"),
                                        ("runs.csv", "dataset,depth\nmoons,x\n"), ("runs.sqlite", "not sql" * 200)])
def test_a_foreign_file_in_out_is_a_one_line_error_and_force_starts_over(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    with pytest.raises(ReluscopeError, match=f"{name}.*--force"):
        run_sweep(tiny(depths=[2]), tmp_path, draw=False)
    assert run_sweep(tiny(depths=[2]), tmp_path, force=True, draw=False).trained == 4


def test_cli_export_writes_runs_csv_from_the_store(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--export", "--out", str(out)]) == 2
    assert "runs.sqlite is missing" in capsys.readouterr().err
    run_sweep(tiny(depths=[2]), out, draw=False)
    (out / "runs.csv").unlink()
    assert main(["sweep", "--export", "--out", str(out)]) == 0
    with RunStore(out / "runs.sqlite") as store:
        assert read_rows(out / "runs.csv") == store.rows()


def test_the_local_backend_needs_no_ray_and_the_ray_backend_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # every `import ray` now fails, as where Ray is not installed
    args = ["sweep", "--depths", "2", "--sigma-w2", "1", "--seeds", "1", "--steps", "2", "--n-samples", "40",
            "--out", str(tmp_path)]
    assert main(args) == 0
    assert main([*args, "--backend", "ray", "--force"]) == 2
    assert "pip install 'reluscope[ray]'" in capsys.readouterr().err


def test_a_sweep_of_depth_1_only_draws_its_figure(tmp_path):
    result = run_sweep(tiny(depths=[1]), tmp_path)
    assert result.trained == 4 and result.figure.is_file()
