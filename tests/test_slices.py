"""Exact slices through three points in Rⁿ: the fold, the projection, the cells against the 64-D grid and
Regioncam's ``through_points``, the decision boundary, bad planes."""

import copy

import numpy as np
import pytest
import torch
from cell_maps import cell_map, interior_points
from nets import random_net
from test_regions import thinner_than

from reluscope.errors import ReluscopeError
from reluscope.geometry.patterns import extend_keys, pixel_centres, splits
from reluscope.geometry.plane import Plane, auto_indices, near_plane, plane_through
from reluscope.geometry.regions import linear_regions
from reluscope.geometry.slices import predicted_classes, slice_through
from reluscope.model.layers import linear_layers


def points(n=64, count=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, n)), np.arange(count) % 10


def grid_keys(model, plane, n):
    """The pattern key of every pixel centre of the plane's box after every layer, from the ORIGINAL n-D
    network (no fold): the points x(s, t) ∈ Rⁿ pushed through its float64 layers, (L, n²)."""
    h = torch.from_numpy(plane.embed(pixel_centres(plane.box, n)))  # (n², dim)
    keys, out = np.zeros(len(h), dtype=np.uint64), []
    for layer in linear_layers(model):
        z = layer.linear.double()(h)  # (n², width)
        pattern = (z > 0).numpy() if splits(layer) else np.zeros((len(z), 0), dtype=bool)
        keys = extend_keys(keys, pattern, layer.index)
        out.append(keys)
        h = layer.act(z)
    return np.stack(out)


@pytest.mark.parametrize("dim, width, depth, seed", [(64, 16, 3, 0), (64, 32, 4, 1), (10, 24, 5, 2),
                                                     (3, 16, 4, 3)])
def test_slice_cells_match_the_fine_grid_of_the_original_network(dim, width, depth, seed):
    """Every pixel centre's pattern, computed in Rⁿ without the fold, is an exact cell of the slice; a cell the
    grid misses holds no pixel centre, which a convex cell can only do if it is thinner than half a pixel
    diagonal."""
    net = random_net(dim, width, depth, 3, seed=seed)
    X, y = points(dim, seed=seed)
    plane = plane_through(X, (0, 1, 2))
    n = 300
    half_diagonal = 0.5 * np.hypot((plane.box[1] - plane.box[0]) / n, (plane.box[3] - plane.box[2]) / n)
    for regions, keys in zip(linear_regions(net, plane=plane), grid_keys(net, plane, n)):
        exact = set(regions.key.tolist())
        found = set(np.unique(keys).tolist())
        assert len(exact) == len(regions) and found <= exact
        missed = [p for p, k in zip(regions.polygons(), regions.key.tolist()) if k not in found]
        assert all(thinner_than(p, half_diagonal) for p in missed)
        assert len(found) >= 0.8 * len(exact)


@pytest.mark.parametrize("width, depth, seed", [(32, 4, 0), (64, 3, 1), (16, 7, 2)])
def test_slice_counts_equal_regioncams_through_points(width, depth, seed):
    """Regioncam (an independent C++ implementation) on its own plane through the same three points: the
    same number of faces as the last layer's cells here."""
    regioncam = pytest.importorskip("regioncam")
    net = random_net(64, width, depth, 10, seed=seed)
    X, _ = points(seed=seed)
    cam = regioncam.Regioncam.through_points(X[:3].astype(np.float32))
    cam.add(copy.deepcopy(net).float())
    corners = np.asarray(cam.vertex_inputs[:4], dtype=np.float64)  # the square it starts from
    box = (corners[:, 0].min(), corners[:, 0].max(), corners[:, 1].min(), corners[:, 1].max())
    plane = Plane(np.asarray(cam.plane.bias, np.float64), np.asarray(cam.plane.weight, np.float64), box)
    assert len(linear_regions(net, plane=plane)[-1]) == cam.num_faces


def test_the_folded_network_is_the_network_on_the_plane():
    net = random_net(64, 32, 4, 10, seed=4)
    X, _ = points()
    plane = plane_through(X, (5, 6, 7))
    st = np.random.default_rng(1).uniform(-1, 2, size=(500, 2))
    folded = plane.fold(net)
    with torch.no_grad():
        np.testing.assert_allclose(folded(torch.from_numpy(st)).numpy(),
                                   net(torch.from_numpy(plane.embed(st))).numpy(), rtol=1e-10, atol=1e-10)
    assert linear_layers(folded)[0].linear.in_features == 2
    assert linear_layers(net)[0].linear.in_features == 64  # the original is left alone


def test_the_stored_affine_maps_give_the_networks_logits_on_the_plane():
    net = random_net(64, 16, 3, 10, seed=5)
    X, _ = points()
    plane = plane_through(X, (0, 1, 2))
    final = linear_regions(net, plane=plane)[-1]
    inside = interior_points(final, 2)  # (R, 2, 2)
    st = inside.reshape(-1, 2)
    region = np.repeat(np.arange(len(final)), 2)
    with torch.no_grad():
        logits = net(torch.from_numpy(plane.embed(st))).numpy()
    np.testing.assert_allclose(cell_map(final, st, region), logits, rtol=1e-8, atol=1e-8)


def test_projection_puts_the_three_points_at_the_corners_and_measures_the_distance():
    X, _ = points(count=20)
    plane = plane_through(X, (3, 4, 5))
    st, d = plane.project(X[[3, 4, 5]])
    np.testing.assert_allclose(st, [[0, 0], [1, 0], [0, 1]], atol=1e-12)
    np.testing.assert_allclose(d, 0, atol=1e-12)
    normal = np.linalg.svd(plane.basis)[2][2]  # a unit vector orthogonal to both directions
    on = plane.embed([[0.3, -0.7]])
    st, d = plane.project(on + 2.5 * normal)
    np.testing.assert_allclose(st, [[0.3, -0.7]], atol=1e-12)
    np.testing.assert_allclose(d, [2.5], rtol=1e-12)


def test_near_keeps_the_nearest_fraction_and_the_three_points():
    d = np.array([5.0, 0.0, 3.0, 0.0, 1.0, 0.0, 9.0, 2.0, 4.0, 8.0])
    np.testing.assert_array_equal(np.flatnonzero(near_plane(d, 0.4)), [1, 3, 4, 5])
    assert near_plane(d, 0.01).sum() == 3


def test_auto_takes_typical_points_of_three_classes():
    X, y = points(count=300)
    i, j, k = auto_indices(X, y)
    assert [y[i], y[j], y[k]] == [0, 1, 2]
    members = np.flatnonzero(y == 1)
    distance = np.linalg.norm(X[members] - X[members].mean(axis=0), axis=1)
    assert j == members[np.argmin(distance)]
    binary = auto_indices(X, y % 2)
    assert sorted(y[list(binary)] % 2) == [0, 0, 1]


def test_slice_through_gathers_cells_boundary_and_data():
    net = random_net(64, 16, 3, 3, seed=6)
    X, y = points(count=400)
    with torch.no_grad():
        predicted = net(torch.from_numpy(X)).argmax(1).numpy()
    i, j = np.flatnonzero(predicted == predicted[-1])[0], np.flatnonzero(predicted != predicted[-1])[0]
    s = slice_through(net, X, y, (i, j, -1), near=0.1)  # two predicted classes: the boundary crosses the box
    assert s.indices == (i, j, 399) and s.coords.shape == (400, 2) and s.near.sum() == 40
    assert s.counts == [len(layer) for layer in linear_regions(net, plane=s.plane)]
    classes = predicted_classes(net, s.plane, 60)
    assert classes.shape == (60, 60) and len(np.unique(classes)) > 1
    middle = torch.from_numpy(s.plane.embed(s.boundary.mean(axis=1)))  # (S, 64) the segments' midpoints
    with torch.no_grad():
        top = torch.topk(net(middle), 2, dim=1).values  # (S, 2)
    assert len(s.boundary) and torch.allclose(top[:, 0], top[:, 1], rtol=1e-9, atol=1e-9)  # a tie: the boundary


@pytest.mark.parametrize("indices, message", [((0, 0, 1), "must differ"), ((0, 1), "three"),
                                              ((0, 1, 500), "0 … 199"), ((0, 1, 2, 3), "three")])
def test_bad_indices_are_refused(indices, message):
    X, y = points()
    with pytest.raises(ReluscopeError, match=message):
        slice_through(random_net(64, 8, 2, 10), X, y, indices)


def test_collinear_points_span_no_plane():
    X, _ = points(count=10)
    X[2] = X[0] + 3 * (X[1] - X[0])
    with pytest.raises(ReluscopeError, match="do not span a plane"):
        plane_through(X, (0, 1, 2))


def test_a_plane_in_the_wrong_space_is_refused():
    X, _ = points(10, count=10)
    with pytest.raises(ReluscopeError, match="R\\^10 but the model takes 64"):
        linear_regions(random_net(64, 8, 2, 10), plane=plane_through(X, (0, 1, 2)))
