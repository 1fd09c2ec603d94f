"""Estimates before work: memory against what is available, work against a limit, each refused in one line."""

import pytest

from reluscope.cli.options import MAX_VALUES, parse_values
from reluscope.data import generate
from reluscope.errors import ReluscopeError
from reluscope.limits import MAX_FLOPS, MEMORY_SHARE, available_memory, check_memory, check_work
from reluscope.train import TrainConfig
from reluscope.train.budget import parameters, run_work


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
