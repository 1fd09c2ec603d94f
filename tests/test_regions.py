"""Exact decision cells against closed forms (Zaslavsky, hand counts), torch's own forward pass, and the grid."""

import copy
from math import comb

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from torch import nn

from cell_maps import cell_map, interior_points
from reluscope.errors import ReluscopeError
from reluscope.geometry.box import check_box, data_box
from reluscope.geometry.patterns import extend_keys, grid_regions, pattern_keys, pixel_centres
from reluscope.geometry.regions import TooManyRegions, decision_segments, linear_regions

BOX = (-2.0, 2.0, -2.0, 2.0)


def lines_net(normals, offsets, *, activation=nn.ReLU) -> nn.Sequential:
    """One hidden layer whose unit k is zero on the line x·normals[k] + offsets[k] = 0."""
    normals = torch.as_tensor(np.asarray(normals, dtype=np.float64), dtype=torch.float32)
    net = nn.Sequential(nn.Linear(2, len(normals)), activation(), nn.Linear(len(normals), 2))
    with torch.no_grad():
        net[0].weight.copy_(normals)
        net[0].bias.copy_(torch.as_tensor(offsets, dtype=torch.float32))
    return net


def random_net(depth, width, seed, *, activation=nn.ReLU, n_classes=2) -> nn.Sequential:
    torch.manual_seed(seed)
    dims = [2] + [width] * (depth - 1)
    mods = []
    for a, b in zip(dims[:-1], dims[1:]):
        mods += [nn.Linear(a, b), activation()]
    net = nn.Sequential(*mods, nn.Linear(dims[-1], n_classes))
    with torch.no_grad():  # He weights, biases of the inputs' size: the lines cross all over the box
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, (2.0 / m.in_features) ** 0.5)
                m.bias.normal_(0.0, 0.5)
    return net


def torch_layer_outputs(net, X):
    """Each layer's output (after its activation) with torch's own modules, float64: list of (N, width)."""
    net64 = [m.double() for m in copy.deepcopy(net)]
    h, outs = torch.as_tensor(X, dtype=torch.float64), []
    for i, m in enumerate(net64):
        h = m(h)
        last_of_layer = i + 1 == len(net64) or isinstance(net64[i + 1], nn.Linear)
        if last_of_layer:
            outs.append(h.detach().numpy())
    return outs


def box_area(box):
    return (box[1] - box[0]) * (box[3] - box[2])


@pytest.mark.parametrize("n", [1, 2, 5, 12])
@pytest.mark.parametrize("activation", [nn.ReLU, nn.LeakyReLU])
def test_lines_in_general_position_give_zaslavsky_count(n, activation):
    rng = np.random.default_rng(n)
    # directions spread over half a turn, lines through points near the origin: all crossings inside the box
    angle = np.pi * (np.arange(n) + rng.uniform(0.2, 0.8, n)) / n
    normals = np.column_stack([np.cos(angle), np.sin(angle)])  # (n, 2)
    points = rng.uniform(-0.1, 0.1, (n, 2))
    offsets = -(normals * points).sum(1)
    crossings = [np.linalg.solve(normals[[i, j]], -offsets[[i, j]]) for i in range(n) for j in range(i)]
    assert all(np.abs(p).max() < 1.5 for p in crossings)  # precondition: every pair meets in the box
    net = lines_net(normals, offsets, activation=activation)
    layers = linear_regions(net, BOX)
    assert len(layers[0]) == 1 + n + comb(n, 2)
    assert len(layers[1]) == len(layers[0])  # the logits layer cuts nothing


@pytest.mark.parametrize("normals, offsets, expected", [
    ([[1, 0], [1, 0], [1, 0]], [-1.0, 0.0, 1.0], 4),  # three parallel lines
    ([[1, 0], [1, 0], [0, 1]], [-1.0, 1.0, 0.3], 6),  # two parallel lines and one across them
    ([[1, 0.5], [1, -0.5]], [-2.5, -2.5], 3),  # two lines meeting at (2.5, 0), outside the box
    ([[1, 0], [0, 1]], [-3.0, 5.0], 1),  # both lines miss the box
    ([[1, 1], [1, -1]], [0.0, 0.0], 4),  # the box's diagonals, through its corners
    ([[1, 0], [0, 1], [1, 1]], [0.0, 0.0, 0.0], 6),  # three concurrent lines: not 7
    ([[1, 0], [1, 0]], [-0.5, -0.5], 2),  # the same line twice
    ([[1, 1]], [-4.0], 1),  # a line touching the box in one corner only
])
def test_degenerate_arrangements_give_the_hand_count(normals, offsets, expected):
    layers = linear_regions(lines_net(normals, offsets), BOX)
    assert len(layers[0]) == expected
    assert np.all(layers[0].areas() > 1e-3)


def random_cases():
    return [(3, 8, 0, nn.ReLU), (4, 12, 1, nn.LeakyReLU), (6, 10, 2, nn.ReLU)]


@pytest.mark.parametrize("depth, width, seed, activation", random_cases())
def test_areas_add_up_to_the_box(depth, width, seed, activation):
    for regions in linear_regions(random_net(depth, width, seed, activation=activation), BOX):
        areas = regions.areas()
        assert np.all(areas > 0)
        assert areas.sum() == pytest.approx(box_area(BOX), rel=1e-9)


@pytest.mark.parametrize("depth, width, seed, activation", random_cases())
def test_each_region_reproduces_the_network_at_interior_points(depth, width, seed, activation):
    net = random_net(depth, width, seed, activation=activation)
    rng = np.random.default_rng(seed)
    for regions in linear_regions(net, BOX):
        X = interior_points(regions, 3, rng=rng).reshape(-1, 2)  # (3R, 2)
        region = np.repeat(np.arange(len(regions)), 3)
        want = torch_layer_outputs(net, X)[regions.layer - 1]  # (3R, width)
        np.testing.assert_allclose(cell_map(regions, X, region), want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
        # the stored pattern is the sign of the pre-activation there, and its key is the points' key
        assert np.array_equal(regions.key[region], pattern_keys(net, X)[regions.layer - 1])


def inradius(polygon):
    """Radius of the largest disk inside a convex polygon (k, 2), counter-clockwise: an LP."""
    edges = np.roll(polygon, -1, axis=0) - polygon
    normals = np.column_stack([edges[:, 1], -edges[:, 0]]) / np.linalg.norm(edges, axis=1)[:, None]  # outward
    # maximise r subject to n·p + r ≤ n·v for every edge
    res = linprog([0, 0, -1], A_ub=np.column_stack([normals, np.ones(len(normals))]),
                  b_ub=(normals * polygon).sum(1), bounds=[(None, None)] * 2 + [(0, None)])
    return res.x[2]


def thinner_than(polygon, r) -> bool:
    """``inradius(polygon) < r``, the LP solved only where a bound cannot tell: for a convex polygon of area A
    and perimeter P, the disk of radius ρ inside it has every edge at distance ≥ ρ from its centre c, so
    A = ½ Σ |e_i| dist(c, e_i) ≥ ½ ρ P, that is ρ ≤ 2A/P (a thin sliver's bound is far below a pixel)."""
    x, y = polygon[:, 0], polygon[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))  # shoelace
    perimeter = np.linalg.norm(np.roll(polygon, -1, axis=0) - polygon, axis=1).sum()
    return 2 * area < r * perimeter or inradius(polygon) < r


def test_thinner_than_agrees_with_the_lp_on_random_convex_polygons():
    """The bound is tight on triangles (ρ = A/s = 2A/P) and never below the LP's radius."""
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(0)
    for k in (3, 4, 8, 30) * 10:
        pts = rng.normal(size=(k, 2)) * rng.uniform(1e-3, 1, size=2)  # slivers among them
        polygon = pts[ConvexHull(pts).vertices]  # counter-clockwise
        rho = inradius(polygon)
        for r in (0.5 * rho, 0.999 * rho, 1.001 * rho, 2 * rho):
            assert thinner_than(polygon, r) == (rho < r)


@pytest.mark.parametrize("depth, width, seed, activation", random_cases())
def test_exact_count_matches_the_grid_up_to_regions_thinner_than_a_pixel(depth, width, seed, activation):
    """Every pixel centre's pattern is an exact region (grid ⊆ exact); an exact region the grid misses holds
    no pixel centre, which a convex region can only do if no disk of half a pixel diagonal fits inside it."""
    net = random_net(depth, width, seed, activation=activation)
    n = 200
    grid = grid_regions(net, BOX, n)
    x0, x1, y0, y1 = BOX
    half_diagonal = 0.5 * np.hypot((x1 - x0) / n, (y1 - y0) / n)  # half a pixel's diagonal
    for regions, keys in zip(linear_regions(net, BOX), grid.keys):
        exact = set(regions.key.tolist())
        found = set(np.unique(keys).tolist())
        assert len(exact) == len(regions)  # one pattern per region
        assert found <= exact
        missed = [p for p, k in zip(regions.polygons(), regions.key.tolist()) if k not in found]
        assert all(thinner_than(p, half_diagonal) for p in missed)
        assert len(found) >= 0.8 * len(exact)  # on these nets the thin regions are a minority


@pytest.mark.parametrize("depth, width, activation", [(4, 8, nn.ReLU), (11, 32, nn.ReLU), (3, 70, nn.ReLU),
                                                      (3, 130, nn.LeakyReLU)])
def test_pattern_keys_are_the_hash_of_torchs_own_patterns(depth, width, activation):
    """The compiled pass of ``pattern_keys`` gives ``extend_keys``'s hash of the signs of torch's own float64
    layers, after every layer (words of 64 units and a last partial word; the logits add no bits), in one chunk
    and in chunks of 256 points with a partial last one."""
    net = random_net(depth, width, seed=depth, activation=activation)
    X = pixel_centres(BOX, 30)  # (900, 2)
    layers = [m.double() for m in copy.deepcopy(net)]
    h, keys, want = torch.from_numpy(X), np.zeros(len(X), dtype=np.uint64), []
    for i, m in enumerate(layers):
        h = m(h)
        if isinstance(m, nn.Linear):
            kinked = i + 1 < len(layers)
            pattern = (h > 0).numpy() if kinked else np.zeros((len(X), 0), dtype=bool)
            keys = extend_keys(keys, pattern, len(want))
            want.append(keys)
    assert np.array_equal(pattern_keys(net, X), np.stack(want))
    assert np.array_equal(pattern_keys(net, X, chunk=256), np.stack(want))


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_the_compiled_activation_is_the_layers_own_on_zeros_and_infinities(alpha):
    """``pattern_keys``' compiled pass sets ``z`` (a unit per row) to ReLU's ``+0.0`` / leaky ReLU's ``α z`` where
    ``z ≤ 0`` in place (a −0.0 or −inf too) and gives ``extend_keys``' hash of ``[z > 0]``, for 70 units (a full
    and a partial word)."""
    from reluscope.geometry.patterns import KEY_MULT, _activate, word_weights
    z = np.random.default_rng(5).standard_normal((200, 70))  # (N, width)
    z[::3, 4], z[::5, 9], z[::7, 66], z[::11, 1] = -0.0, 0.0, -np.inf, np.inf
    keys = np.arange(200, dtype=np.uint64) * np.uint64(0x9E3779B9)  # (N,)
    want_h = np.where(z > 0, z, 0.0 if alpha == 0.0 else alpha * z)  # (N, width)
    want_keys = extend_keys(keys, z > 0, 3)
    units = np.ascontiguousarray(z.T)  # (width, N)
    got = _activate(units, keys, alpha, word_weights(3, 2), KEY_MULT)  # units: in place
    assert np.array_equal(got, want_keys) and np.array_equal(units.T.view(np.uint64), want_h.view(np.uint64))


def test_pixel_centres_lie_in_the_region_with_their_key():
    net = random_net(3, 8, 3)
    regions = linear_regions(net, BOX)[-1]
    X = pixel_centres(BOX, 40)  # (1600, 2)
    keys = pattern_keys(net, X)[-1]
    index = {k: r for r, k in enumerate(regions.key.tolist())}
    for x, k in zip(X, keys.tolist()):
        poly = regions.polygons()[index[k]]
        edges = np.roll(poly, -1, axis=0) - poly
        cross = edges[:, 0] * (x[1] - poly[:, 1]) - edges[:, 1] * (x[0] - poly[:, 0])
        assert np.all(cross >= -1e-12)  # left of every counter-clockwise edge: inside


@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_segments_are_the_decision_boundary(n_classes):
    net = random_net(4, 10, 4, n_classes=n_classes)
    with torch.no_grad():  # centre each logit on the box so that every class wins somewhere
        logits = net(torch.as_tensor(pixel_centres(BOX, 50), dtype=torch.float32))
        net[-1].bias -= logits.median(dim=0).values
    segments = decision_segments(linear_regions(net, BOX)[-1])  # (S, 2, 2)
    assert len(segments) > 0
    with torch.no_grad():
        logits = net.double()(torch.as_tensor(segments.mean(axis=1))).numpy()  # (S, k) at the midpoints
    top2 = np.sort(logits, axis=1)[:, -2:]
    np.testing.assert_allclose(top2[:, 0], top2[:, 1], atol=1e-9 * np.abs(logits).max())
    # complete: wherever the predicted class flips between neighbouring pixels, a segment passes nearby
    n = 120
    X = pixel_centres(BOX, n)
    with torch.no_grad():
        pred = net(torch.as_tensor(X)).argmax(1).numpy().reshape(n, n)  # net is float64 now
    flips = np.argwhere(pred[:, 1:] != pred[:, :-1])
    h = (BOX[1] - BOX[0]) / n
    mids = X.reshape(n, n, 2)[flips[:, 0], flips[:, 1]] + [h / 2, 0]  # (F, 2)
    a, b = segments[:, 0], segments[:, 1]  # (S, 2)
    t = np.clip(((mids[:, None] - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1).clip(1e-300), 0, 1)  # (F, S)
    dist = np.linalg.norm(mids[:, None] - (a + t[..., None] * (b - a)), axis=-1).min(axis=1)
    assert len(flips) > 0 and np.all(dist <= h / 2 + 1e-9)


def test_any_sequential_with_stacked_linears_and_no_bias():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 5, bias=False), nn.Linear(5, 6), nn.LeakyReLU(0.2), nn.Linear(6, 3))
    layers = linear_regions(net, BOX)
    assert [len(r) for r in layers][0] == 1  # a linear layer without activation cuts nothing
    assert len(layers[1]) == len(layers[2]) > 1
    X = interior_points(layers[2], 2).reshape(-1, 2)
    region = np.repeat(np.arange(len(layers[2])), 2)
    np.testing.assert_allclose(cell_map(layers[2], X, region), torch_layer_outputs(net, X)[2], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("upto", [1, 3, 5])
def test_upto_gives_the_first_layers_of_the_whole_walk(upto):
    net = random_net(6, 16, seed=3)
    full, head = linear_regions(net, BOX), linear_regions(net, BOX, upto=upto)
    assert len(head) == upto and [r.layer for r in head] == list(range(1, upto + 1))
    for a, b in zip(head, full):
        for field in ("vertices", "n_vertices", "parent", "pattern", "A", "c", "key"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_corners_are_the_polygons_one_after_another():
    layers = linear_regions(random_net(4, 8, seed=5), BOX)
    for r in layers:
        np.testing.assert_array_equal(r.corners(), np.concatenate(r.polygons()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_most_stops_the_walk_at_the_first_layer_past_it(seed):
    """With ``most`` the walk gives every layer unchanged while no layer has more regions, and else stops at the
    first layer that has: the one whose count passes ``most``."""
    net = random_net(5, 12, seed=seed)
    full = linear_regions(net, BOX)
    counts = [len(r) for r in full]
    whole = linear_regions(net, BOX, most=max(counts))
    for a, b in zip(whole, full, strict=True):
        for field in ("vertices", "n_vertices", "parent", "pattern", "A", "c", "key"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    for most in sorted({0, counts[0], counts[2] - 1, counts[-1] - 1}):
        first = next(i for i, n in enumerate(counts) if n > most)  # 0-based
        with pytest.raises(TooManyRegions, match=f"layer {first + 1} has more than {most} "):
            linear_regions(net, BOX, most=most)
    assert [len(r) for r in linear_regions(net, BOX, upto=2, most=counts[1])] == counts[:2]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_nets_give_the_cells_of_their_float64_copy(dtype):
    """Parameters numpy has no dtype for (bfloat16) are read as float64 like the others: the same cells."""
    net = random_net(3, 8, seed=1).to(dtype)
    want = linear_regions(copy.deepcopy(net).double(), BOX)
    got = linear_regions(net, BOX)
    assert [len(r) for r in got] == [len(r) for r in want]
    assert all(np.array_equal(g.key, w.key) for g, w in zip(got, want))


@pytest.mark.parametrize("most", [-1, 2.0, True, "9"])
def test_most_must_be_a_count(most):
    with pytest.raises(ReluscopeError, match="most must be a whole number"):
        linear_regions(random_net(3, 4, seed=0), BOX, most=most)


@pytest.mark.parametrize("upto", [0, 7, -1, 2.0, True])
def test_upto_outside_the_layers_is_refused(upto):
    with pytest.raises(ReluscopeError, match="upto must be a layer 1 … 6"):
        linear_regions(random_net(6, 8, seed=0), BOX, upto=upto)


@pytest.mark.parametrize("net, message", [
    (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), "need 2 inputs"),
    (nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2)), "not piecewise linear"),
    (nn.Linear(2, 2), "nn.Sequential"),
])
def test_unsupported_models_are_refused(net, message):
    with pytest.raises(ReluscopeError, match=message):
        linear_regions(net, BOX)


@pytest.mark.parametrize("box", [(1, 0, 0, 1), (0, 1, 0, 0), (0, 1, 0, float("nan")), (0, 1, 2), "abcd"])
def test_bad_boxes_are_refused(box):
    with pytest.raises(ReluscopeError):
        check_box(box)


def test_data_box_is_the_data_plus_margin():
    X = np.array([[0.0, 1.0], [2.0, -1.0]])
    assert data_box(X, 0.5) == (-0.5, 2.5, -1.5, 1.5)
