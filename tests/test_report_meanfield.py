"""The report's mean-field section: a small trainability sweep, its figure, its table's numbers taken from the
sweep and its theory columns from the closed forms for ReLU."""

import io
import math
from dataclasses import replace

import pytest
from PIL import Image as PILImage

from reluscope.data import load_dataset
from reluscope.errors import ReluscopeError
from reluscope.probe.meanfield import MeanField as MeanField_theory
from reluscope.report.config import StudyConfig
from reluscope.report.document import Image, Table
from reluscope.report.numbers import number, parse_number
from reluscope.report.meanfield import DATASET, MeanField, sweep_config
from reluscope.report.stage import StudyContext
from reluscope.report.texts import catalog
from reluscope.studies import sweep
from reluscope.studies.sweep import run_sweep


def _context(lang="en", seed=0):
    cfg = StudyConfig(quick=True, seed=seed, lang=lang)
    data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=seed)
    ticks = []
    return StudyContext(cfg, data, lambda n=1: ticks.append(n)), ticks


@pytest.fixture(scope="module", params=["en", "de"])
def built(request):
    ctx, ticks = _context(request.param)
    return ctx, MeanField().build(ctx), ticks


def _table(part) -> Table:
    [table] = [blk for blk in part.section.blocks if isinstance(blk, Table)]
    return table


def test_units_reported_are_the_stages_units(built):
    ctx, _, ticks = built
    assert sum(ticks) == MeanField().units(ctx.budget)
    assert MeanField().runs(ctx.budget) == []  # the sweep trains its own nets


def test_the_figure_is_there_and_fills_the_text_column(built):
    ctx, part, _ = built
    assert part.section.id == "meanfield"
    assert part.section.title == catalog("meanfield")[ctx.cfg.lang]["title"]
    [image] = [blk for blk in part.section.blocks if isinstance(blk, Image)]
    assert PILImage.open(io.BytesIO(image.png)).size[0] >= 720


def test_the_numbers_are_the_sweeps(built, tmp_path):
    """The same sweep run on its own gives the table's accuracies and lengths at init."""
    ctx, part, _ = built
    b, lang = ctx.budget, ctx.cfg.lang
    result = run_sweep(sweep_config(b, ctx.cfg.seed), tmp_path, draw=False)  # the section draws its own figure
    assert result.figure is None and not (tmp_path / "trainability.png").exists()
    rows = result.rows
    table = _table(part)
    depths = sorted(b.sweep_depths)
    assert len(table.rows) == len(b.sweep_sigma_w2) and len(rows) == len(b.sweep_sigma_w2) * len(depths)
    for line in table.rows:
        mine = {r["depth"]: r for r in rows if number(r["sigma_w2"], "g", lang) == line[0]}
        assert line[3] == number(mine[depths[-1]]["q_init"], ".3g", lang)
        assert [cell.split()[0] for cell in line[5:]] == [number(mine[d]["train_accuracy"], ".3f", lang)
                                                          for d in depths]
    deepest = {r["sigma_w2"]: r for r in rows if r["depth"] == depths[-1]}
    for s in (min(b.sweep_sigma_w2), 2.0, max(b.sweep_sigma_w2)):  # the answer's three nets
        assert f"**{number(deepest[s]['train_accuracy'], '.3f', lang)}**" in part.section.answer


def test_the_theory_columns_are_relu_closed_forms(built):
    """χ₁ = σ_w²/2, 6ξ_∇ = 6/|ln(σ_w²/2)| (∞ at 2), q_L = σ_w² q_in (σ_w²/2)^(L−1)."""
    ctx, part, _ = built
    b, depth = ctx.budget, max(ctx.budget.sweep_depths)
    X = load_dataset(DATASET, b.sweep_points, random_state=ctx.cfg.seed).X_train
    q_in = float((X.astype("float32") ** 2).mean())  # E[x²] of the sweep's training points
    lang = ctx.cfg.lang
    for line in _table(part).rows:
        s = parse_number(line[0], lang)
        assert line[1] == number(s / 2, ".3g", lang)
        assert line[2] == ("∞" if s == 2 else number(6 / abs(math.log(s / 2)), ".3g", lang))
        # shown to 3 digits
        assert parse_number(line[4], lang) == pytest.approx(s * q_in * (s / 2) ** (depth - 1), rel=6e-3)


def test_a_sweep_task_that_fails_is_one_error(monkeypatch):
    def boom(task, progress):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(sweep, "train_task", boom)
    ctx, _ = _context()
    with pytest.raises(ReluscopeError, match="mean-field sweep failed: RuntimeError: out of memory"):
        MeanField().build(ctx)


def test_the_question_is_the_sheets_words():
    """The introduction to Task 1 as the sheet's Task 1 quotes it, word for word."""
    quote, sheet = (" ".join(catalog("sheet")["de"][key].split()) for key in ("task1_intro", "task1"))
    assert "Von den Gradienten haben wir hier noch gar nicht gesprochen." in quote
    assert quote.split("*Aufgabe 1, Einleitung:* ")[1] in sheet


@pytest.mark.slow
def test_the_trainable_band_moves_with_the_learning_rate(tmp_path):
    """L = 6ξ_∇ is a rule of thumb, not a limit: at depth 20 (10 seeds, the report's sweep otherwise), σ_w² = 3
    trains at lr 10⁻³ (at least 8 of 10 nets) and not at lr 0.1 (none; most diverge), and σ_w² = 1, whose 6ξ_∇
    is 8.7 layers, trains at lr 0.01 (at least 7 of 10)."""
    b = StudyConfig().budget

    def trained(lr, sigma_w2):
        cfg = sweep_config(b, 0)
        cfg = replace(cfg, depths=[20], sigma_w2=[sigma_w2], seeds=10, base=replace(cfg.base, lr=lr))
        rows = run_sweep(cfg, tmp_path / f"{lr}-{sigma_w2}", draw=False).rows
        assert len(rows) == 10
        return sum(r["status"] == "ok" for r in rows), sum(r["status"] == "diverged" for r in rows)

    assert MeanField_theory("relu", 1.0).trainable_depth() < 20
    assert trained(1e-3, 3.0)[0] >= 8
    ok, diverged = trained(1e-1, 3.0)
    assert ok == 0 and diverged >= 5
    assert trained(1e-2, 1.0)[0] >= 7
