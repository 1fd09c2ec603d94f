"""Snapshots by count (``snapshots = K``) or by period (``snapshot_every = N``): one predicate decides."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reluscope.cli import main
from reluscope.errors import ReluscopeError
from reluscope.train import TrainConfig
from reluscope.train.rundir import load_run


@given(steps=st.integers(1, 400), k=st.integers(1, 500))
def test_count_gives_k_evenly_spaced_steps_plus_zero(steps, k):
    cfg = TrainConfig(steps=steps, snapshots=k)
    kept = [s for s in range(steps + 1) if cfg.is_snapshot_step(s)]
    assert kept[0] == 0 and kept[-1] == steps
    assert len(kept) == min(k, steps) + 1 == cfg.n_snapshots
    gaps = {b - a for a, b in zip(kept, kept[1:])}
    assert max(gaps) - min(gaps) <= 1  # evenly spaced up to rounding


@given(steps=st.integers(1, 400), every=st.integers(1, 500))
def test_period_keeps_multiples_and_the_last(steps, every):
    cfg = TrainConfig(steps=steps, snapshot_every=every)
    kept = [s for s in range(steps + 1) if cfg.is_snapshot_step(s)]
    assert kept == sorted({*range(0, steps + 1, every), steps})
    assert len(kept) == cfg.n_snapshots


def test_no_snapshots_by_default():
    cfg = TrainConfig(steps=10)
    assert cfg.n_snapshots == 0 and not any(cfg.is_snapshot_step(s) for s in range(11))


def test_count_and_period_together_are_refused():
    with pytest.raises(ReluscopeError, match="not both"):
        TrainConfig(snapshots=3, snapshot_every=5).validate()


def test_old_config_without_the_count_still_loads():
    cfg = TrainConfig.from_dict({"dataset": "moons", "steps": 40, "snapshot_every": 20})
    assert cfg.snapshots == 0 and [s for s in range(41) if cfg.is_snapshot_step(s)] == [0, 20, 40]


def test_cli_snapshots_5_keeps_5_to_7(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--steps", "300", "--width", "4", "--snapshots", "5",
                 "--out", str(out)]) == 0
    steps = sorted(load_run(out).snapshots)
    assert 5 <= len(steps) <= 7
    assert steps == [0, 60, 120, 180, 240, 300]


def test_cli_snapshot_every(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--steps", "25", "--width", "4", "--snapshot-every", "10",
                 "--out", str(out)]) == 0
    assert sorted(load_run(out).snapshots) == [0, 10, 20, 25]


def test_a_step_without_a_snapshot_is_refused_listing_the_kept_steps(tmp_path):
    from reluscope.studies.training import train_to_dir
    from reluscope.train import fit

    cfg = TrainConfig(dataset="xor", n_samples=100, steps=10, snapshot_every=5)
    run = train_to_dir(cfg, tmp_path / "run")
    _, result = fit(cfg)
    for holder in (run, result):
        with pytest.raises(ReluscopeError, match=r"^no snapshot at step 7; kept: 0, 5, 10$"):
            holder.model_at(7)
    _, bare = fit(TrainConfig(dataset="xor", n_samples=100, steps=3))
    with pytest.raises(ReluscopeError, match=r"kept: none \(train with snapshots= or snapshot_every=\)"):
        bare.model_at(0)
