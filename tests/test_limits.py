"""Estimates before work: memory against what is available, work against a limit, each refused in one line."""

from dataclasses import replace

import pytest

from reluscope.cli.options import MAX_VALUES, parse_values
from reluscope.data import generate
from reluscope.errors import ReluscopeError
from reluscope.limits import MAX_FLOPS, MEMORY_SHARE, available_memory, check_memory, check_work
from reluscope.train import TrainConfig
from reluscope.train.budget import check_run_budget, parameters, run_work


def test_memory_is_measured_and_refused_above_the_share():
    free = available_memory()
    assert 0 < free < 2**63 - 1
    check_memory(0.5 * MEMORY_SHARE * free, "half of it")
    with pytest.raises(ReluscopeError, match="available memory"):
        check_memory(2 * free, "twice it")
    for absurd in (float("nan"), float("inf"), 10**400):
        with pytest.raises(ReluscopeError, match="this machine can give"):
            check_memory(absurd, "an absurd array")


def test_work_over_the_limit_names_it():
    check_work(5, 5, "five")
    with pytest.raises(ReluscopeError, match=r"an estimated 6 .* limit of 5$"):
        check_work(6, 5, "six")
    with pytest.raises(ReluscopeError, match="1e\\+400|over"):
        check_work(10**400, 5, "overflowing")


def test_parameter_count_is_the_mlps():
    from reluscope.model import build_mlp

    for depth, width in [(1, 7), (2, 3), (3, 32), (11, 32)]:
        cfg = TrainConfig(depth=depth, width=width)
        assert parameters(cfg) == sum(p.numel() for p in build_mlp(2, width, depth, 2).parameters())


def test_work_grows_with_steps_and_the_default_run_fits():
    cfg = TrainConfig()
    assert run_work(TrainConfig(steps=2 * cfg.steps)) > 1.9 * run_work(cfg)
    assert run_work(TrainConfig(depth=11)) < MAX_FLOPS / 10
    TrainConfig(depth=11).validate()


@pytest.mark.parametrize("change,match", [
    (dict(width=10**9), "memory"), (dict(n_samples=10**12), "memory"), (dict(depth=10**6), "10000 linear layers"),
    (dict(depth=10**4, width=1, steps=10**4, n_samples=16), "limit"),
    (dict(steps=10**15), "limit"), (dict(snapshots=10**9, steps=10**6, width=256), "memory|limit"),
])
def test_absurd_runs_are_refused_before_anything_is_built(change, match):
    with pytest.raises(ReluscopeError, match=match):
        TrainConfig(**change).validate()


def test_generating_too_many_points_is_refused():
    with pytest.raises(ReluscopeError, match="points of moons"):
        generate("moons", 10**12)


def test_an_axis_of_more_than_max_values_is_refused():
    assert len(parse_values(f"0:1:{MAX_VALUES}", float, "x")) == MAX_VALUES
    for text in (f"0:1:{MAX_VALUES + 1}", "0:1:0", ",".join(["1"] * (MAX_VALUES + 1))):
        with pytest.raises(ReluscopeError, match="--x"):
            parse_values(text, float, "x")


def test_the_digits_first_layer_is_counted_with_its_64_inputs():
    """``P`` counts the first layer as (n + 1)·w: 64 inputs and 10 classes for the digits, as the MLP has them."""
    from reluscope.model import build_mlp

    for depth, width in [(1, 7), (2, 3), (3, 32)]:
        cfg = TrainConfig(dataset="digits", depth=depth, width=width)
        want = sum(p.numel() for p in build_mlp(64, width, depth, 10).parameters())
        assert parameters(cfg, n_classes=10, n_features=64) == want > parameters(cfg)


def test_a_digits_run_over_the_limit_is_refused_once_its_data_are_known(monkeypatch):
    """A run whose 2-D estimate fits but whose 64 inputs, 10 classes and 1797 points do not is refused by ``fit``
    before it builds a model."""
    from reluscope.train import loop

    def built(*args, **kwargs):
        raise AssertionError("the model was built: the run was not refused")

    monkeypatch.setattr(loop, "build_model", built)

    cfg = TrainConfig(dataset="digits", depth=2, width=128, n_samples=1797, steps=1)
    per_step = run_work(replace(cfg, steps=2), 10, n_features=64) - run_work(cfg, 10, n_features=64)
    cfg = replace(cfg, steps=int(MAX_FLOPS / per_step) + 1)  # just over the limit on the digits
    assert run_work(cfg, 10, n_features=64, n_points=1797) > MAX_FLOPS > 2 * run_work(cfg)
    cfg.validate()  # as a configuration alone: 2-D points, two classes
    with pytest.raises(ReluscopeError, match=r"1797 points would take an estimated .* more than the limit"):
        loop.fit(cfg)


def test_an_ensemble_over_the_limit_is_refused_with_its_data_and_all_its_members(monkeypatch):
    """Three digits runs that each fit alone, and whose 2-D estimate fits, but not together on the digits' sizes:
    ``train_ensemble`` refuses them before it draws a member."""
    from reluscope.train import ensemble

    def drawn(*args, **kwargs):
        raise AssertionError("a member was drawn: the ensemble was not refused")

    monkeypatch.setattr(ensemble, "init_member", drawn)
    cfg = TrainConfig(dataset="digits", depth=2, width=128, n_samples=1797, steps=1)
    per_step = run_work(replace(cfg, steps=2), 10, n_features=64) - run_work(cfg, 10, n_features=64)
    cfg = replace(cfg, steps=int(MAX_FLOPS / per_step / 2))  # about half the limit a run on the digits
    assert run_work(cfg, 10, n_features=64, n_points=1797) < MAX_FLOPS < run_work(cfg, 10, 3, n_features=64,
                                                                                   n_points=1797)
    assert run_work(cfg, members=3) < MAX_FLOPS
    members = [replace(cfg, seed=s) for s in range(3)]
    with pytest.raises(ReluscopeError, match=r"3 runs of .* on 1797 points would take an estimated"):
        ensemble.train_ensemble(members)
    check_run_budget(cfg, 10, 64, 1797)  # one alone fits
