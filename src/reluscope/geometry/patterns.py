"""Activation patterns: their 64-bit hash, the patterns of points (a float64 forward pass), the grid approximation.

The *activation pattern* of a point ``x`` after layer ``l`` is the sign vector ``[z_k(x) > 0]`` of every
piecewise-linear unit of layers ``1 … l``. Points with the same pattern lie in the same linear region (the
network truncated after layer ``l`` is one affine map there). The pattern is hashed layer by layer,

    key_l = key_{l−1} · M + Σ_i word_i · w_{l,i}   (mod 2⁶⁴),   key_0 = 0,

where ``word_i`` packs the bits ``[z_k > 0]`` of units ``64i … 64i + 63`` into one integer and ``w_{l,i}``,
``M`` are fixed odd numbers (multiplying by an odd number is a bijection mod 2⁶⁴, so two patterns of one
layer of ≤ 64 units under the same parent never collide). Exact regions (``regions.py``) and grid points
use the same hash, so their keys can be compared directly and colours stay the same across layers,
snapshots and methods.

The grid approximation evaluates the patterns of the ``n × n`` pixel centres of a box: every region that
contains a disk of radius ``½·√(h_x² + h_y²)`` (half a pixel diagonal) holds a pixel centre, so it finds
every region but the thinnest, in ``O(n²·neurons)`` time whatever the number of regions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
import torch
from torch import nn

from reluscope.errors import ReluscopeError
from reluscope.geometry.box import Box, check_box
from reluscope.limits import MAX_GRID
from reluscope.model.layers import Layer, as_points, linear_layers, negative_slope

KEY_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (golden ratio), mixes the parent's key
CHUNK = 2048  # points per forward pass of ``pattern_keys``: a (2048, 32) float64 activation is 512 KiB


def check_grid(n: int, maximum: int = MAX_GRID) -> int:
    """``n`` grid points per side if ``2 ≤ n ≤ maximum``; else ``ReluscopeError`` (not a MemoryError later)."""
    if not 2 <= n <= maximum:
        raise ReluscopeError(f"--grid must be at least 2 and at most {maximum}, got {n}")
    return n


def piecewise_linear_net(model: nn.Module) -> tuple[list[Layer], np.ndarray]:
    """``linear_layers(model)``, after checking that the input is 2D, every activation is (leaky) ReLU and every
    parameter is finite, and every layer's weight (fan_out, fan_in) row by row and bias
    (fan_out,) (zeros without one) in one float64 vector (torch's ``Linear`` layout): one conversion for the
    whole net, on which the finiteness check runs (numpy: microseconds for a small net, where torch's ops cost
    more than the arithmetic)."""
    layers = linear_layers(model)
    if layers[0].linear.in_features != 2:
        raise ReluscopeError(f"decision cells live in the input plane: need 2 inputs, got "
                             f"{layers[0].linear.in_features}")
    parts = []
    for layer in layers:
        negative_slope(layer)  # raises for tanh & co.
        weight, bias = layer.linear.weight, layer.linear.bias
        parts.append(_as_numpy(weight).reshape(-1))  # (fan_out · fan_in,)
        parts.append(np.zeros(weight.shape[0]) if bias is None else _as_numpy(bias))  # (fan_out,)
    params = np.concatenate(parts, dtype=np.float64)  # (Σ fan_out · (fan_in + 1),)
    if not np.isfinite(params).all():  # one check for the whole net
        bad = next(layer for layer, w, b in zip(layers, parts[::2], parts[1::2])
                   if not (np.isfinite(w).all() and np.isfinite(b).all()))
        raise ReluscopeError(f"layer {bad.name} has non-finite parameters (a diverged run?)", "not_finite")
    return layers, params


def _as_numpy(param: torch.Tensor) -> np.ndarray:
    """A parameter's values as a numpy array, sharing its memory where numpy has its dtype (float16/32/64 on the
    CPU), else a float64 copy (bfloat16, another device)."""
    param = param.detach()
    if param.is_cpu and param.dtype in (torch.float32, torch.float64, torch.float16):
        return param.numpy()
    return param.to("cpu", torch.float64).numpy()


def is_piecewise_linear(model: nn.Module) -> bool:
    """Whether every activation of ``model`` is ReLU, leaky ReLU or none (as ``negative_slope`` decides)."""
    layers = linear_layers(model)
    try:
        for layer in layers:
            negative_slope(layer)
    except ReluscopeError:
        return False
    return True


def splits(layer: Layer) -> bool:
    """Whether the layer's units cut the plane: its activation has a kink (slope ≠ 1 below zero)."""
    return negative_slope(layer) != 1.0


@functools.lru_cache(maxsize=256)
def word_weights(layer_index: int, n_words: int) -> np.ndarray:
    """The fixed odd hash weights ``w_{l,i}`` (n_words,) uint64 of one layer's 64-unit words."""
    rng = np.random.default_rng([0x5EED, layer_index])
    out = rng.integers(0, 2**63, size=n_words, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    out.flags.writeable = False  # cached: shared by every caller
    return out


def extend_keys(keys: np.ndarray, pattern: np.ndarray, layer_index: int) -> np.ndarray:
    """``key_l`` (R,) from ``key_{l−1}`` (R,) uint64 and the layer's pattern (R, width) bool."""
    n_words = -(-pattern.shape[1] // 64)
    packed = np.packbits(pattern, axis=1, bitorder="little")  # (R, ⌈width/8⌉) uint8
    packed = np.pad(packed, ((0, 0), (0, 8 * n_words - packed.shape[1])))  # (R, 8·n_words)
    words = np.ascontiguousarray(packed).view("<u8")  # (R, n_words): bit k of word i is unit 64·i + k
    out = keys * KEY_MULT
    for word, w in zip(words.T, word_weights(layer_index, n_words)):
        out = out + word * w  # uint64 arithmetic wraps mod 2⁶⁴
    return out


def pattern_keys(model: nn.Module, X: np.ndarray, *, chunk: int = CHUNK) -> np.ndarray:
    """The pattern key of every point ``X`` (N, 2) after every layer: (L, N) uint64.

    One float64 forward pass, layer by layer, of the points as columns, ``zᵀ = W hᵀ + b`` (torch's product;
    with units as rows the product ran 1.5× faster than ``h Wᵀ`` for a 32-wide layer in a one-off timing, 0.52
    against 0.76 ms, and each ``z`` differs from that order's only by round-off); then one compiled pass over
    ``z`` (``_activate``) extends the keys by the pattern ``[z > 0]`` (``extend_keys``'s hash) and sets ``h = z``
    where ``z > 0``, else ``α z`` (α the negative slope; 0 for ReLU), in place. The pass runs over ``chunk`` points at
    a time: a layer's activations fit the cache and reuse the memory of the chunk before (a one-off profile of a 96²
    image of a 32-wide net found no fresh pages after the first frame; one 9216-point pass had taken 500–700)."""
    layers, params = piecewise_linear_net(model)
    theta, at = torch.from_numpy(params), 0  # (P,): the float64 parameters, already converted and checked
    steps = []  # per layer: W (fan_out, fan_in), b as a column (fan_out, 1), negative slope, hash words
    for layer in layers:
        m, n = layer.linear.out_features, layer.linear.in_features
        alpha = negative_slope(layer)
        words = word_weights(layer.index, -(-m // 64) if alpha != 1.0 else 0)  # read-only, cached: one compile
        steps.append((theta[at:at + m * n].view(m, n), theta[at + m * n:at + m * n + m, None], alpha, words))
        at += m * (n + 1)
    X = as_points(X, layers[0].linear.in_features)  # (N, n)
    out = np.empty((len(layers), len(X)), dtype=np.uint64)  # (L, N)
    for start in range(0, len(X), chunk):
        h, rows = X[start:start + chunk].T, slice(start, start + chunk)  # (n, chunk)
        keys = np.zeros(h.shape[1], dtype=np.uint64)  # (chunk,)
        for i, (weight, bias, alpha, words) in enumerate(steps):
            h = torch.addmm(bias, weight, h)  # zᵀ: (m, chunk)
            keys = out[i, rows] = _activate(h.numpy(), keys, alpha, words, KEY_MULT)  # h.numpy() shares h's memory
    return out


@numba.njit(cache=True, nogil=True)
def _activate(z, keys, alpha, words, mult):  # pragma: no cover - compiled
    """``keys·M + Σ_i word_i·w_i`` (N,) of the pattern ``[z > 0]`` (bit k of word i: unit 64i + k), with
    ``z`` (width, N) — a unit per row — set to ``σ(z)`` in place (only where the layer has a kink: ``words`` not
    empty). Unit after unit, the bit and the select are arithmetic over the row of points, no jumps: the loop
    runs on vectors."""
    out = keys * mult
    relu = alpha == 0.0
    word = np.empty(z.shape[1], dtype=np.uint64)  # (N,)
    for w in range(len(words)):
        word[:] = 0
        for k in range(64 * w, min(z.shape[0], 64 * w + 64)):
            row, bit = z[k], np.uint64(k - 64 * w)
            for i in range(z.shape[1]):
                v = row[i]
                on = v > 0
                word[i] |= np.uint64(on) << bit
                row[i] = v if on else (0.0 if relu else v * alpha)  # ReLU as np.maximum(z, 0): −inf, −0.0 → 0.0
        out += word * words[w]  # uint64 arithmetic wraps mod 2⁶⁴
    return out


@dataclass
class GridRegions:
    """Pattern keys of the ``n × n`` pixel centres of a box, after every layer."""

    box: Box
    keys: np.ndarray  # (L, n, n) uint64; row i is y, column j is x (imshow with origin="lower")

    @property
    def counts(self) -> list[int]:
        """Distinct patterns (≈ linear regions) after each layer."""
        return [len(np.unique(k)) for k in self.keys]


def pixel_centres(box: Box, n: int) -> np.ndarray:
    """The ``n × n`` pixel centres of ``box`` in row-major order (y slow, x fast): (n², 2)."""
    x0, x1, y0, y1 = box
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n  # (n,)
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n  # (n,)
    xx, yy = np.meshgrid(xs, ys)  # (n, n)
    return np.column_stack([xx.ravel(), yy.ravel()])


def grid_regions(model: nn.Module, box, n: int = 512) -> GridRegions:
    """Approximate the linear regions of every layer by the distinct patterns of ``n × n`` pixel centres."""
    box = check_box(box)
    check_grid(n)
    keys = pattern_keys(model, pixel_centres(box, n))  # (L, n²)
    return GridRegions(box, keys.reshape(len(keys), n, n))
