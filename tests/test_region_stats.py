"""Region statistics: closed forms at initialisation, areas, counts over snapshots."""

from math import comb

import numpy as np
import pytest
import torch

from reluscope.errors import ReluscopeError
from reluscope.geometry.region_stats import counts_at_init, counts_over_training, layer_stats, region_counts
from reluscope.geometry.regions import linear_regions
from reluscope.model import build_mlp, init_model_

BOX = (-3.0, 3.0, -3.0, 3.0)


def test_zero_biases_make_cones_from_the_origin():
    """Without biases n lines through the origin (in general position) cut the plane into exactly 2n cones."""
    rows = counts_at_init([2], [4, 8, 16], box=BOX, seeds=2, bias_std=0.0)
    assert [r.count_mean for r in rows] == [8.0, 16.0, 32.0]
    assert all(r.count_std == 0.0 for r in rows)


def test_one_hidden_layer_at_most_zaslavsky():
    for row in counts_at_init([2], [4, 8], box=BOX, seeds=3, bias_std=0.5):
        assert row.neurons == row.width
        assert 1 <= row.count_mean <= 1 + row.width + comb(row.width, 2)


def test_init_rows_cover_every_depth_and_width():
    rows = counts_at_init([2, 3], [4, 6], box=BOX, seeds=1)
    assert [(r.depth, r.width, r.neurons) for r in rows] == [(2, 4, 4), (2, 6, 6), (3, 4, 8), (3, 6, 12)]
    with pytest.raises(ReluscopeError):
        counts_at_init([1], [4])


def test_layer_stats_mean_area_is_box_over_count():
    torch.manual_seed(0)
    model = build_mlp(2, 8, 4, 2)
    stats = layer_stats(linear_regions(model, BOX))
    for s in stats:
        assert s.mean_area == pytest.approx(36.0 / s.count, rel=1e-9)
        assert 0 < s.median_area <= 36.0


def test_counts_over_training_match_each_snapshot():
    models = {}
    for step in (0, 10, 20):
        models[step] = init_model_(build_mlp(2, 6, 3, 2), "he", generator=torch.Generator().manual_seed(step),
                                   bias=0.1)
    counts = counts_over_training(models.__getitem__, [0, 10, 20], BOX)
    assert counts.shape == (3, 3)
    for row, step in zip(counts, (0, 10, 20)):
        assert list(row) == region_counts(models[step], BOX)
    grid = counts_over_training(models.__getitem__, [0, 10, 20], BOX, grid=64)
    assert np.all(grid <= counts)
    with pytest.raises(ReluscopeError):
        counts_over_training(models.__getitem__, [], BOX)


def test_nonfinite_parameters_are_refused():
    model = build_mlp(2, 4, 2, 2)
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(ReluscopeError, match="non-finite"):
        linear_regions(model, BOX)
