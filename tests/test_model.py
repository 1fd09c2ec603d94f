"""The MLP builder and the layer walk that every analysis uses."""

import numpy as np
import pytest
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.model import build_mlp, linear_layers
from reluscope.model.layers import negative_slope


def test_depth_counts_linear_layers_and_last_has_no_activation():
    m = build_mlp(2, 16, 11, 3, activation="relu")
    layers = linear_layers(m)
    assert len(layers) == 11
    assert [l.kind for l in layers] == ["relu"] * 10 + ["identity"]
    assert layers[0].linear.in_features == 2 and layers[-1].linear.out_features == 3
    assert m(torch.zeros(5, 2)).shape == (5, 3)


def test_width_list_and_depth_one():
    m = build_mlp(2, [4, 8], 3, 2, activation="tanh")
    assert [l.linear.out_features for l in linear_layers(m)] == [4, 8, 2]
    assert len(linear_layers(build_mlp(2, 8, 1, 2))) == 1


def test_numpy_widths_are_widths():
    """A width read from numpy (a grid, a table) is an int to the user; the MLP is the same."""
    dims = [(ly.linear.in_features, ly.linear.out_features) for ly in linear_layers(build_mlp(2, np.int64(5), 3))]
    assert dims == [(2, 5), (5, 5), (5, 2)]
    assert [ly.linear.out_features for ly in linear_layers(build_mlp(2, np.array([4, 6]), 3))] == [4, 6, 2]
    with pytest.raises(ReluscopeError, match="whole numbers"):
        build_mlp(2, [4.5, 6], 3)


def test_walk_reproduces_forward_on_a_users_model():
    m = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.2), nn.Linear(5, 5), nn.Linear(5, 2))
    x = torch.randn(7, 2)
    h = x
    for layer in linear_layers(m):
        h = layer.act(layer.linear(h))
    torch.testing.assert_close(h, m(x))
    assert negative_slope(linear_layers(m)[0]) == pytest.approx(0.2)


@pytest.mark.parametrize("bad", [
    nn.Linear(2, 2),
    nn.Sequential(nn.ReLU(), nn.Linear(2, 2)),
    nn.Sequential(nn.Linear(2, 2), nn.Dropout(), nn.Linear(2, 2)),
    nn.Sequential(),
])
def test_walk_rejects_unsupported_models(bad):
    with pytest.raises(ReluscopeError):
        linear_layers(bad)


@pytest.mark.parametrize("act", [nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True), nn.ELU(inplace=True)])
def test_walk_refuses_in_place_activations(act):
    """An in-place activation overwrites z with h (probe would report h as z): one error naming the module."""
    m = nn.Sequential(nn.Linear(2, 8), act, nn.Linear(8, 2))
    with pytest.raises(ReluscopeError, match=r"module 1 \(\w+\) works in place.*inplace=False"):
        linear_layers(m)


def test_walk_refuses_softmax_saying_what_to_change():
    with pytest.raises(ReluscopeError, match="drop it: reluscope reads the logits"):
        linear_layers(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)))


@pytest.mark.parametrize("kwargs,match", [
    (dict(depth=0), "depth"), (dict(width=0), "width"), (dict(activation="swish"), "activation"),
    (dict(width=[3], depth=4), "hidden widths"),
])
def test_builder_rejects_impossible_sizes(kwargs, match):
    with pytest.raises(ReluscopeError, match=match):
        build_mlp(**{"in_dim": 2, "n_classes": 2, **kwargs})


def test_the_names_are_the_registries_keys():
    """``model.names`` (torch-free, what a configuration is checked against) names exactly the registries."""
    from reluscope.model import ACTIVATIONS, INITS
    from reluscope.model.names import ACTIVATION_NAMES, DRAWS_BIAS, INIT_NAMES

    assert tuple(INITS) == INIT_NAMES and tuple(ACTIVATIONS) == ACTIVATION_NAMES
    assert DRAWS_BIAS <= set(INIT_NAMES)


@pytest.mark.parametrize("check", ["pattern_keys", "check_equivalence", "backproject"])
def test_every_geometry_entry_refuses_points_that_are_not_finite_in_the_same_words(check):
    """``as_points`` is the one input check of the geometry: the same neutral line, whichever function is called."""
    from reluscope.geometry.backproject import backproject
    from reluscope.geometry.equivalence import check_equivalence
    from reluscope.geometry.patterns import pattern_keys

    call = {"pattern_keys": pattern_keys, "check_equivalence": check_equivalence, "backproject": backproject}[check]
    model = build_mlp(2, 4, 3, 2)
    for bad in (np.nan, np.inf):
        with pytest.raises(ReluscopeError, match=r"^the points are not all finite \(NaN or inf\)$"):
            call(model, [[bad, 0.0], [1.0, 2.0]])
    with pytest.raises(ReluscopeError, match=r"^expected points of shape \(N, 2\), got \(0, 2\)$"):
        call(model, np.zeros((0, 2)))
