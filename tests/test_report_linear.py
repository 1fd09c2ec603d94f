"""The report's linear net (Task 1.1 measured): under N(0, 1) every layer multiplies the variance by its fan-in
(2 in layer 1, the width after), under LeCun it stays flat; the section states the numbers it measured."""

import numpy as np
import pytest

from reluscope.data import load_dataset
from reluscope.report.config import StudyConfig
from reluscope.report.document import Image, Table
from reluscope.report.numbers import number, parse_number
from reluscope.report.linear import LinearNet, growth, input_variance, layer_variances, measurements, probe_linear
from reluscope.report.stage import StudyContext
from reluscope.report.texts import catalog


def _context(seed=0, lang="en"):
    cfg = StudyConfig(quick=True, seed=seed, lang=lang)
    data = load_dataset(cfg.base.dataset, cfg.base.n_samples, noise=cfg.base.noise, random_state=seed)
    ticks = []
    return StudyContext(cfg, data, lambda n=1: ticks.append(n)), ticks


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_multiplies_the_variance_by_the_fan_in_and_lecun_keeps_it(seed):
    ctx, _ = _context(seed)
    rows, var_x = probe_linear(ctx), input_variance(ctx)
    b = ctx.budget
    normal, lecun = layer_variances(rows, "normal"), layer_variances(rows, "lecun")
    assert len(normal) == len(lecun) == b.deep
    g = growth(normal, var_x)
    assert 1.0 < g[0] < 3.0  # two inputs: n·Var(W) = 2
    hidden = g[1:-1]  # fan-in = width; the 2-unit output layer fluctuates more
    assert np.all((hidden > b.run.width / 2) & (hidden < b.run.width * 2))
    assert 0.75 * b.run.width < np.exp(np.log(hidden).mean()) < 1.25 * b.run.width
    assert np.all((lecun[:-1] / var_x > 0.5) & (lecun[:-1] / var_x < 2.0))  # n·Var(W) = 1: flat


def test_growth_is_each_layer_against_the_one_before():
    assert growth(np.array([2.0, 64.0, 128.0]), 1.0).tolist() == [2.0, 32.0, 2.0]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_section_shows_what_it_measured_and_reports_its_units(lang):
    ctx, ticks = _context(lang=lang)
    part = LinearNet().build(ctx)
    assert sum(ticks) == LinearNet().units(ctx.budget)
    assert LinearNet().runs(ctx.budget) == []  # nothing is trained
    section = part.section
    assert section.id == "task1-linear"
    assert section.title == catalog("linear")[lang]["title"]
    [image] = [blk for blk in section.blocks if isinstance(blk, Image)]
    assert image.png.startswith(b"\x89PNG")
    [table] = [blk for blk in section.blocks if isinstance(blk, Table)]
    values = measurements(probe_linear(_context(lang=lang)[0]), input_variance(ctx))  # the same nets again
    factors = [parse_number(row[4], lang) for row in table.rows[1:]]  # N(0, 1): the growth column, no input row
    assert table.rows[1][4] == number(values["first"], ".3g", lang)
    assert factors == pytest.approx(growth(layer_variances(probe_linear(ctx), "normal"), input_variance(ctx)), rel=5e-3)
    assert all(f"**{number(values[k], '.3g', lang)}**" in section.answer for k in ("hidden", "first"))
    assert [row[0] for row in part.summary] == ["1.1", "1.1"]


def test_the_question_is_the_sheets_words():
    """Task 1.1 as the sheet's Task 1 quotes it, word for word."""
    quote, sheet = (" ".join(catalog("sheet")["de"][key].split()) for key in ("task1_linear", "task1"))
    assert "Angenomen, $a(x) = x$" in quote and quote.split("*Aufgabe 1.1:* ")[1] in sheet
