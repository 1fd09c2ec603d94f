"""Exact decision cells against an independent engine: Regioncam (a Rust planar-graph partition, float32),
the per-layer region counts equal on random, He-initialised and trained nets."""

import pytest
import torch
from torch import nn

from reluscope.geometry.box import data_box
from reluscope.geometry.regions import linear_regions
from reluscope.model import build_mlp, init_model_
from reluscope.train import TrainConfig, fit
from regioncam_oracle import regioncam_counts


def biased_net(depth, width, seed, activation):
    """He weights, N(0, 0.5²) biases (float32): the lines cross all over the box."""
    g = torch.Generator().manual_seed(seed)
    net = build_mlp(2, width, depth, 2, activation=activation)
    init_model_(net, "he", generator=g)
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.bias.copy_(0.5 * torch.randn(m.out_features, generator=g))
    return net


@pytest.mark.parametrize("depth, width, seed, activation", [
    (d, w, s, a) for d, w in [(2, 8), (3, 16), (4, 32), (6, 16), (3, 64)] for s in (0, 1)
    for a in ("relu", "leaky_relu")])
def test_counts_equal_regioncam_on_random_nets(depth, width, seed, activation):
    net = biased_net(depth, width, seed, activation)
    box = (-2.5, 2.0, -1.5, 3.0)
    assert [len(r) for r in linear_regions(net, box)] == regioncam_counts(net, box)


@pytest.mark.parametrize("depth, width", [(11, 32), (6, 64), (4, 128), (6, 16)])
def test_counts_equal_regioncam_at_he_init(depth, width):
    """Zero biases: every line of layer 1 runs through the origin (a degenerate arrangement)."""
    net = init_model_(build_mlp(2, width, depth, 2), "he", generator=torch.Generator().manual_seed(0))
    box = (-3.0, 3.0, -3.0, 3.0)
    assert [len(r) for r in linear_regions(net, box)] == regioncam_counts(net, box)


@pytest.mark.slow  # trains six nets
@pytest.mark.parametrize("dataset, depth", [("spirals", 4), ("moons", 3), ("circles", 5), ("xor", 3),
                                            ("checkerboard", 4), ("gaussians", 3)])
def test_counts_equal_regioncam_on_trained_nets(dataset, depth):
    data, result = fit(TrainConfig(dataset=dataset, n_samples=300, depth=depth, width=16, steps=300))
    box = data_box(data.X)
    counts = [len(r) for r in linear_regions(result.model, box)]
    assert counts == regioncam_counts(result.model, box)
    assert counts[-2] > counts[0]  # training made more cells than one layer has


@pytest.mark.slow
def test_counts_equal_regioncam_on_the_trained_11x32_spirals_net():
    data, result = fit(TrainConfig(dataset="spirals", depth=11, width=32, steps=3000))
    box = data_box(data.X)
    counts = [len(r) for r in linear_regions(result.model, box)]
    assert counts == regioncam_counts(result.model, box)
    assert counts[-1] > 20_000
