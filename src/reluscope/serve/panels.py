"""The live views of one model state, each a small dict of numbers and arrays (sent as binary) for the page to draw.

* ``scores``: train/test loss and accuracy;
* ``boundary``: the predicted class and its probability at ``BOUNDARY_PIXELS²`` pixel centres;
* ``layer_stats``: per layer mean, variance and second moment of ``z``, ``h``, ``∂L/∂z`` and the dead-unit
  fraction (``probe.stats.probe``); ``theory``: the prediction for the same weights
  (``probe.theory.predicted_moments``);
* ``backprojection``: the chosen layer's points and warped grid carried back to the input plane
  (``geometry.backproject``) and every layer's affine-equivalence residual (``geometry.equivalence``);
* ``cells``: the linear regions of the network truncated after the chosen layer: grid patterns
  (``geometry.patterns``) while training, exact polygons (``geometry.regions``) when asked, computed directly
  and remembered for the weights they were drawn for (``DRAWN_CELLS``: a resting run draws the same head again).

For inputs of n > 2 dimensions the plane views show the scene's plane (``scene.plane_view``): the boundary and the
cells of the model folded onto the plane (``Scene.on_plane``), the same code as in 2-D; the back-projection
panel shows the input view's ``x̂_l`` of the slice's three data points as images (``images``).

A view that cannot be drawn for this model (tanh has no cells, a diverged layer no pseudo-inverse) carries a
``note`` (``notice.why``: a catalog key and its values, for the page to say in its language) instead of its arrays.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.backproject import backproject
from reluscope.geometry.equivalence import check_equivalence
from reluscope.geometry.patterns import grid_regions, piecewise_linear_net
from reluscope.geometry.pca import fit_pca
from reluscope.geometry.regions import TooManyRegions, linear_regions
from reluscope.model import linear_layers
from reluscope.model.layers import negative_slope
from reluscope.plots.images import image_shape
from reluscope.probe.stats import probe
from reluscope.probe.theory import predicted_moments
from reluscope.serve.codec import Fixed
from reluscope.serve.graph import graph_weights
from reluscope.serve.messages import View
from reluscope.serve.notice import said, why
from reluscope.serve.scene import BOUNDARY_PIXELS, LINE_POINTS, Scene

CELL_PIXELS = 96  # the grid approximation of the cells samples CELL_PIXELS² pixel centres
MAX_EXACT = 12000  # exact polygons are sent up to this many regions (binary, ~40 bytes each; the page draws one in
# 6–11 µs, benchmarks/cells_draw.py), and up to EXACT_WORK over the head's multiply-adds (``exact_limit``); past it
# the grid image
EXACT_WORK = 3000 * (2 * 32 + 4 * 32 * 32)  # multiply-adds a frame's walk may carry its regions through (about
# 3 ms at about 1 µs a region behind 32 × 32 layers): 3000 regions through an 11×32's first five layers, the count a
# training frame keeps exact (session.LIVE_EXACT)
DIRECT_UNITS = 352  # a head of up to this many hidden units (11×32: ≤ 60k cells, ≤ 2 s) is walked directly
GRID_EXACT = 4000  # a larger head is walked only when the grid finds at most this many regions
STATS = {"z": "pre", "h": "post", "gz": "grad_pre"}  # panel name -> probe quantity


def render(scene: Scene, model: nn.Sequential, view: View) -> dict:
    """The quick views of ``model``: scores, boundary, layer statistics, back-projection of the chosen layer."""
    layer = min(view.layer, scene.settings.depth)
    bp = backprojection(scene, model, layer, view.projection) if scene.slice is None else images(scene, model, layer)
    return dict(scores=scores(scene, model), boundary=boundary(scene, model), layers=layer_stats(scene, model),
                backprojection=bp)


def render_slow(scene: Scene, model: nn.Sequential, view: View, *, grad_out_m2: float, exact: bool) -> dict:
    """The slower views: the theory (seeded with ``grad_out_m2`` from ``layer_stats``), residuals, cells, and the
    weights the network graph draws (``graph.graph_weights``)."""
    return dict(theory=theory(scene, model, grad_out_m2), residuals=residuals(scene, model, view.projection),
                cells=cells(scene, model, min(view.layer, scene.settings.depth), exact=exact),
                weights=graph_weights(model))


@torch.no_grad()
def scores(scene: Scene, model: nn.Module) -> dict:
    """Mean cross-entropy and accuracy on the training and the test points."""
    out = {}
    for part, X, y in (("train", *scene.tensors[:2]), ("test", *scene.tensors[2:])):
        logits = model(X)  # (n, k)
        out[f"{part}_loss"] = float(nn.functional.cross_entropy(logits, y))
        out[f"{part}_accuracy"] = float((logits.argmax(1) == y).float().mean())
    return out


@torch.no_grad()
def boundary(scene: Scene, model: nn.Module) -> dict:
    """Per pixel (rows from the bottom, y slow) one byte ``class · levels + q``: the predicted class and its
    probability in ``levels = 256 // k`` steps, ``q = round(p · (levels − 1))`` (k classes)."""
    p = torch.softmax(scene.on_plane(model)(scene.pixels), dim=1)  # (P², k)
    conf, cls = p.max(dim=1)  # (P²,), (P²,)
    conf = torch.nan_to_num(conf, nan=0.0)  # a diverged net's NaN logits: no confidence
    levels = 256 // max(2, p.shape[1])
    code = cls * levels + (conf * (levels - 1)).round().long()  # (P²,)
    return dict(n=BOUNDARY_PIXELS, levels=levels, code=code.numpy().astype(np.uint8))


def layer_stats(scene: Scene, model: nn.Module) -> dict:
    """Measured per-layer statistics (lists over layers) and ``E[(∂L/∂logits)²]``, which seeds the theory."""
    X, y = scene.tensors[0], scene.tensors[1]
    rows = probe(model, X, y)
    by = {(r.quantity, r.layer): r for r in rows}
    depth = max(r.layer for r in rows)
    out = {f"{name}_{stat}": [getattr(by[(q, i)], stat) for i in range(1, depth + 1)]
           for name, q in STATS.items() for stat in ("mean", "var", "m2")}
    out["dead"] = [by[("pre", i)].frac_dead for i in range(1, depth)]  # the hidden layers: the logits have no kink
    out["nonfinite"] = [by[("pre", i)].nonfinite for i in range(1, depth + 1)]
    out["gz_out_m2"] = by[("grad_post", depth)].m2
    return out


def theory(scene: Scene, model: nn.Module, grad_out_m2: float) -> dict:
    """The theory's per-layer prediction for ``model``'s weights, seeded with the measured output gradient; for an
    activation without a moment formula (GELU, SiLU, ELU, sigmoid) empty lists and a ``note`` saying why."""
    try:
        with np.errstate(all="ignore"):  # a diverged net's inf and NaN travel as null: no warnings about them
            moments = predicted_moments(model, scene.input_m2, grad_out_m2=grad_out_m2)
    except ReluscopeError as e:
        return dict(z_var=[], h_var=[], gz_m2=[], note=why(e, model))
    return dict(z_var=[m.pre_var for m in moments], h_var=[m.post_var for m in moments],
                gz_m2=[m.grad_pre_m2 for m in moments])


def backprojection(scene: Scene, model: nn.Module, layer: int, projection: str) -> dict:
    """The data points and grid lines of layer ``layer`` (1-based) back-projected, 2-D (``embedded``: PCA of the
    view's ``dimension`` coordinates, ``D_l = n + Σ_{k≤l} (d_k − rank W_k)``, the pseudo-inverses' ranks).

    One float64 pass carries the points and the grid back together; the PCA is fitted on the points' rows."""
    X = scene.data.X  # (N, 2)
    try:
        bp = backproject(model, np.concatenate([X, scene.grid]), view=projection, layers=[layer - 1])
    except ReluscopeError as e:
        return dict(layer=layer, projection=projection, note=why(e, model))
    points, extra = bp.points[layer - 1], {}  # (N + grid, D)
    if projection == "embedded":
        points = fit_pca(points[: len(X)], 2).transform(points)  # (N + grid, 2)
        extra = dict(dimension=bp.dimension(layer - 1))  # before PCA
    return dict(layer=layer, projection=projection, points=Fixed(points[: len(X)]), grid=Fixed(points[len(X):]),
                line_points=LINE_POINTS, **extra)


def images(scene, model: nn.Module, layer: int) -> dict:
    """The input view's back-projection ``x̂_l = Φ_l(h_l)`` of layer ``layer`` (1-based) for the slice's three
    data points, as ``plots.images`` draws them: the inputs and ``x̂_l`` (3, n) in standardised units, the
    image ``shape`` and each ``‖x − x̂_l‖ / ‖x‖``; a note where the inputs are no square images or ``W⁺``
    fails."""
    X = scene.data.X[list(scene.slice.indices)]  # (3, n)
    off = dict(layer=layer, projection="input", images=True)
    try:
        shape = image_shape(X.shape[1])
    except ReluscopeError:
        return off | dict(note=said("note_no_images", n=X.shape[1]))
    try:
        xhat = backproject(model, X, view="input", layers=[layer - 1]).points[layer - 1]  # (3, n)
    except ReluscopeError as e:
        return off | dict(note=why(e, model))
    residual = np.linalg.norm(X - xhat, axis=1) / np.maximum(np.linalg.norm(X, axis=1), 1e-300)  # (3,)
    return off | dict(shape=list(shape), indices=list(scene.slice.indices), inputs=X.astype("<f4"),
                     xhat=xhat.astype("<f4"), residual=residual.tolist())


def residuals(scene: Scene, model: nn.Module, projection: str) -> dict:
    """Relative residual of ``h_l ≈ [x̂_l, 1] Θ`` per layer (the theorem's direction) in ``projection``, on the
    data (on a slice: on the points near its plane, a few dozen least-squares rows of n + 1 columns each)."""
    X = scene.data.X if scene.slice is None else scene.data.X[scene.slice.near]  # (N, n)
    try:
        eq = check_equivalence(model, X, view=projection, reverse=False)
    except ReluscopeError as e:
        return dict(projection=projection, note=why(e, model))
    return dict(projection=projection, act_from_bp=[e.act_from_bp for e in eq])


class Recent:
    """The values of the last ``size`` keys (thread-safe: the drawings run in worker threads)."""

    def __init__(self, size: int):
        self.size, self._values, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key, make: Callable[[], dict]) -> dict:
        """The value remembered for ``key``, else ``make()`` remembered (the oldest one forgotten past ``size``)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


DRAWN_CELLS = Recent(8)  # the last cells panels, by their head's weights: a resting run draws the same again


def cells(scene: Scene, model: nn.Sequential, layer: int, *, exact: bool) -> dict:
    """Regions of the network truncated after ``layer``: exact polygons when asked, else a pixel image of
    pattern hues (``CELL_PIXELS²``).

    A head of at most ``DIRECT_UNITS`` hidden units goes straight to the compiled walk (milliseconds for a few
    thousand cells); a larger one is walked only when the grid finds at most ``GRID_EXACT`` regions. The walk
    stops as soon as it passes ``exact_limit`` cells; then the grid image is sent, with a note that says so. Every
    region is coloured by the top 16 bits of its pattern key, so a region keeps its colour between frames, layers
    and the two methods.

    The panel depends on the head's float64 parameters, widths and slopes, the box and these limits only: the
    last ones drawn are remembered by them (``DRAWN_CELLS``; a 128-bit BLAKE2 digest of the parameters), so the
    frames of a resting run, a changed projection and a layer chosen again take no second walk.
    """
    head = scene.on_plane(model)[: 2 * layer]  # build_mlp's layout: Linear l at 2(l−1), its activation after it
    try:
        layers, params = piecewise_linear_net(head)  # raises for tanh & co. and non-finite parameters
    except ReluscopeError as e:
        return dict(layer=layer, note=why(e, model))
    shapes = tuple((lay.linear.in_features, lay.linear.out_features) for lay in layers)
    most = exact_limit(shapes)
    key = (hashlib.blake2b(params.tobytes(), digest_size=16).digest(), tuple(map(negative_slope, layers)), shapes,
           scene.box, layer, exact, CELL_PIXELS, most, DIRECT_UNITS, GRID_EXACT)
    return dict(DRAWN_CELLS.get(key, lambda: _cells(scene.box, head, layer, exact=exact, most=most)))


def exact_limit(shapes: tuple[tuple[int, int], ...]) -> int:
    """The most regions a head of layers of these ``(fan_in, fan_out)`` sends as exact polygons: ``MAX_EXACT``,
    what the page draws, and ``EXACT_WORK`` over the head's multiply-adds ``Σ fan_in · fan_out``, what the walk
    proves within a frame (it carries every region through the head's layers; a region's ``z`` for the next layer
    is ``fan_in · fan_out`` multiply-adds): 3000 for the 11×32's layer 5, 5909 for its layer 3, 750 for a 3×128's
    layer 2, 11 818 for the 6×16's layer 5, ``MAX_EXACT`` for a first layer alone."""
    return min(MAX_EXACT, EXACT_WORK // sum(n * m for n, m in shapes))


def _cells(box, head: nn.Sequential, layer: int, *, exact: bool, most: int) -> dict:
    """``cells`` of ``head`` (the network truncated after ``layer``, on the plane) drawn afresh."""
    keys, found = None, ""
    if exact and sum(lay.linear.out_features for lay in linear_layers(head)) > DIRECT_UNITS:
        keys = grid_regions(head, box, CELL_PIXELS).keys[-1]  # (P, P) uint64
        if (seen := len(np.unique(keys))) > GRID_EXACT:
            found = said("cells_grid_many", count=seen, most=GRID_EXACT)
    if exact and not found:
        try:
            regions = linear_regions(head, box, most=most)[-1]
        except TooManyRegions:  # the walk stops there: the count is "more than most"
            found = said("cells_exact_many", most=most)
        else:
            return dict(layer=layer, exact=True, count=len(regions), n_vertices=regions.n_vertices.astype("<u2"),
                        vertices=regions.corners().astype("<f4"),
                        poly_hue=hues(regions.key))
    if keys is None:
        keys = grid_regions(head, box, CELL_PIXELS).keys[-1]  # (P, P) uint64
    out = dict(layer=layer, n=CELL_PIXELS, exact=False, count=int(len(np.unique(keys))),
               hue=hues(keys))
    return out | ({"note": found} if found else {})


def hues(keys: np.ndarray) -> np.ndarray:
    """The colour of each region (or pixel) of pattern ``keys`` (uint64): their top 16 bits, as little-endian
    uint16 for the page (a region keeps its colour between frames, layers and the exact and grid cells)."""
    return (keys >> np.uint64(48)).astype("<u2")


def every_backprojection(scene: Scene, model: nn.Module, projection: str) -> list[dict]:
    """``backprojection`` of every layer in one pass (``rs.watch`` sends them all, so a choice answers at once);
    if the pass fails (a diverged layer has no pseudo-inverse), each layer on its own, with its note. On a slice,
    every layer's ``images``."""
    depth = len(linear_layers(model))
    if scene.slice is not None:
        return [images(scene, model, layer) for layer in range(1, depth + 1)]
    X = scene.data.X  # (N, 2)
    try:
        bp = backproject(model, np.concatenate([X, scene.grid]), view=projection,
                         pca=2 if projection == "embedded" else None, pca_fit=X if projection == "embedded" else None)
    except ReluscopeError:
        return [backprojection(scene, model, layer, projection) for layer in range(1, depth + 1)]
    return [dict(layer=i + 1, projection=projection, points=Fixed(p[: len(X)]), grid=Fixed(p[len(X):]),
                 line_points=LINE_POINTS) for i, p in sorted(bp.points.items())]


def every_cells(scene: Scene, model: nn.Module) -> list[dict]:
    """The grid cells after every layer from one pass of ``grid_regions`` (or one note for all)."""
    depth = len(linear_layers(model))
    try:
        keys = grid_regions(scene.on_plane(model), scene.box, CELL_PIXELS).keys  # (L, P, P) uint64
    except ReluscopeError as e:
        return [dict(layer=layer, note=why(e, model)) for layer in range(1, depth + 1)]
    return [dict(layer=i + 1, n=CELL_PIXELS, exact=False, count=int(len(np.unique(k))),
                 hue=hues(k)) for i, k in enumerate(keys)]
