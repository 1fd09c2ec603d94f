"""Every command under a seeded fuzz battery (``fuzzcases``): whatever the input, exit 0 or exit 2 with one line
``reluscope: error: …`` on stderr — no traceback, no warning, no hang.

The first ``FAST`` random cases run in the normal suite; the rest (``slow``) bring them to ``TOTAL``. The grid
(``grid_cases``: every option of every command at every value of ``EXTREMES`` — path bytes that are not UTF-8,
magnitudes up to 1e308 and 10**400, names past NAME_MAX and PATH_MAX; ``--out`` at one magnitude of each kind of
name) is one test per command; those of ``GRID_SLOW``, whose valid rows draw every figure and animation, are marked
``slow`` (``make test`` runs them).
Each case runs in this process under a ``TIMEOUT``-second alarm, in a scratch working directory.
"""

import gc

import pytest

from fuzzcases import COMMANDS, case, grid_cases, make_env, run_case

FAST, TOTAL, CHUNK = 120, 1200, 40  # 40 cases: 2–3 CPU-s
GRID_SLOW = {"backproject", "init-study", "regions", "sweep"}  # 1–8 CPU-s each, drawing whole outputs
TIMEOUT = 60.0  # seconds: the valid parts are tiny, so only a job that should have been refused comes near


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory.mktemp("fuzz"))


def _short(argv: list[str]) -> str:
    return " ".join(repr(a) if len(a) < 80 else f"<{len(a)} chars: {a[:20]!r}…>" for a in argv)


def _battery(env, cases: dict[str, list[str]], monkeypatch) -> None:
    work = env.tmp / "cwd"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)  # '.', '..' and relative paths land in the scratch directory
    gc.collect()  # an earlier test's garbage (an unclosed file) warns now, not in one of these cases
    failures = [f"case {i}: reluscope {_short(argv)}\n  {problem}"
                for i, argv in cases.items() if (problem := run_case(argv, TIMEOUT))]
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)


@pytest.mark.parametrize("start", range(0, FAST, CHUNK))
def test_fuzz_battery(env, monkeypatch, start):
    _battery(env, {i: case(i, env) for i in range(start, start + CHUNK)}, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("start", range(FAST, TOTAL, CHUNK))
def test_fuzz_battery_slow(env, monkeypatch, start):
    _battery(env, {i: case(i, env) for i in range(start, start + CHUNK)}, monkeypatch)


@pytest.mark.parametrize("command", [pytest.param(c, marks=pytest.mark.slow) if c in GRID_SLOW else c
                                     for c in sorted(COMMANDS)])
def test_every_option_survives_every_extreme(env, monkeypatch, command):
    grid = {f"grid {i}": argv for i, argv in enumerate(grid_cases(env)) if argv[0] == command}
    assert grid
    _battery(env, grid, monkeypatch)
