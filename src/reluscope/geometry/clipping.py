"""Cutting convex polygons by lines: the compiled core of the decision cells (numba, float64).

A convex polygon is cut by its lines ``x·a_k + c_k = 0``, ``k = 0 … K−1``, one after another. Each piece is
cut by the next line with Sutherland–Hodgman: a corner ``v`` lies on the positive side if
``s(v) = v·a + c > tol``, on the negative side if ``s(v) < −tol``, on the line otherwise, with

    tol = rtol · (‖a‖·radius + |c|),

the round-off scale of ``s`` for ``|x| ≤ radius``, so round-off never creates sliver pieces. A piece with
corners strictly on both sides splits in two; each new corner is the crossing ``v + t (v' − v)``,
``t = s(v) / (s(v) − s(v'))``, of an edge ``v → v'`` whose ends lie strictly on opposite sides, and corners on
the line belong to both pieces. A piece not cut keeps its corners; its bit is ``[some corner is positive]``.
Bit ``k`` of a piece (bit ``k mod 64`` of word ``⌊k/64⌋``) says it lies on the positive side of line ``k``.
Before any cut, every line is evaluated at the polygon's own corners in one pass (all lines at once): a line with no
corner strictly on one of its sides does not cross the polygon, so it cuts none of its pieces and only sets
the bit of all of them (the polygon's: some corner positive); only the lines with corners strictly on both
sides are cut along, in their order, piece by piece.

``network_cells`` walks a whole network this way, region after region and layer after layer, in one
compiled call: on region ``r`` the layer's pre-activations are ``z = x A_r W + (c_r W + b)``, the units' lines
cut it, and each piece ``p`` gets ``A_p = (A_r W)·diag(d)``, ``c_p = (c_r W + b)·diag(d)``, ``d_k = 1`` on the
positive side of unit ``k``, else the activation's negative slope, and the pattern hash
``key_p = key_r·M + Σ_i word_i·w_i (mod 2⁶⁴)`` of ``patterns.extend_keys``. The walk stores ``z`` once per
region ``r`` and the pattern of each piece (its 64-bit words, as the cut gave them); a piece's map is formed
from them when the next layer cuts it (``regions.LayerRegions.maps`` forms every piece's map the same way, when
asked). ``cut_polygons`` cuts given polygons by given lines (the decision boundary's use). Compiled on the first
call after an install or a change (10–20 s on this machine's cores) and cached on disk (``__pycache__``, or numba's
user cache where that cannot be written); after that a cut costs a few nanoseconds per corner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


@dataclass
class CellLayer:
    """One layer's pieces from ``network_cells``."""

    verts: np.ndarray  # (R, V, 2) padded counter-clockwise polygons
    n_verts: np.ndarray  # (R,)
    parent: np.ndarray  # (R,) the region of the previous layer each lies in (0 = the box for the first layer)
    pattern: np.ndarray  # (R, width) bool: unit k on; (R, 0) for a layer without a kink
    z: np.ndarray  # (P, 3, width): the layer's pre-activation on each region p of the previous layer (the box),
    #                x @ z[p, :2] + z[p, 2]; on piece r it outputs that of its parent times the slopes d
    key: np.ndarray  # (R,) uint64


def network_cells(box, dims, params, slopes, hash_weights, mult, radius: float, rtol: float,
                  most: int | None = None) -> list[CellLayer]:
    """The pieces of every layer of a network of affine layers ``z = h W + b`` in the box; with ``most``, of the
    layers before the first one with more than ``most`` pieces. The walk stops inside that layer as soon as the
    pieces it has cut plus the parents still to cut (each gives at least one piece) pass ``most``.

    Parameters
    ----------
    box : (x0, x1, y0, y1).
    dims : (L + 1,) the widths: the input's (2), then every layer's fan_out.
    params : every layer's ``Wᵀ`` (fan_out, fan_in) row by row, then its ``b`` (fan_out,), in one float64 vector
        (torch's ``Linear`` layout; the layers past ``dims`` may follow, unread).
    slopes : per layer the activation's negative slope, or ``None`` for a layer without a kink (cuts nothing).
    hash_weights : per layer the odd word weights (⌈fan_out/64⌉,) uint64 (unused where the slope is ``None``).
    mult : the odd multiplier of the parent's key.
    radius, rtol : a corner within ``rtol · (‖a‖·radius + |c|)`` of a line lies on it.
    most : the most pieces of one layer (None: no limit).
    """
    dims = np.asarray(dims, dtype=np.int64)
    splits = np.array([s is not None for s in slopes])
    flat_h = np.concatenate([h for h, s in zip(hash_weights, slopes) if s is not None] or [np.zeros(0, np.uint64)])
    alpha = np.array([0.0 if s is None else s for s in slopes])
    x0, x1, y0, y1 = box
    verts, v_start, n_verts, parent, pattern, on_start, zs, z_start, key, ends = _walk(
        float(x0), float(x1), float(y0), float(y1), dims, splits, alpha, params, flat_h,
        np.uint64(mult), float(radius), float(rtol), -1 if most is None else int(most))
    out, lo, n_parents = [], 0, 1  # the first layer's parent: the box
    z_start, on_start, widths, v_start = z_start.tolist(), on_start.tolist(), dims[1:].tolist(), v_start.tolist()
    for layer, hi in enumerate(ends.tolist()):  # views of the flat outputs, layer by layer (Python ints: cheaper)
        n, width = hi - lo, widths[layer]
        n_on = -(-width // 64) if slopes[layer] is not None else 0  # pattern words
        z = zs[z_start[layer]:z_start[layer] + 3 * width * n_parents].reshape(n_parents, 3, width)
        bits = unpack_bits(pattern[on_start[layer]:on_start[layer] + n_on * n].reshape(n, n_on),
                           width if n_on else 0)
        out.append(CellLayer(_layer_verts(verts, v_start, layer, n), n_verts[lo:hi], parent[lo:hi],
                             bits, z, key[lo:hi]))
        lo, n_parents = hi, n
    return out


def cut_polygons(verts: np.ndarray, n_verts: np.ndarray, lines: np.ndarray, radius: float, rtol: float):
    """Cut every convex polygon ``r`` by all of its own lines ``x·lines[r, :2, k] + lines[r, 2, k] = 0``.

    Parameters
    ----------
    verts : (R, V, 2) float64 padded counter-clockwise polygons; n_verts : (R,) their corner counts.
    lines : (R, 3, K) float64.
    radius, rtol : a corner within ``rtol · (‖a‖·radius + |c|)`` of a line lies on it.

    Returns
    -------
    verts (P, V', 2) padded counter-clockwise pieces, n_verts (P,), parent (P,) the polygon each piece lies in
    (non-decreasing), positive (P, K) bool: the piece lies on the side ``x·a_k + c_k > 0``.
    """
    corners, start, parent, words = _cut_each(np.ascontiguousarray(verts, dtype=np.float64),
                                              np.ascontiguousarray(n_verts, dtype=np.int64),
                                              np.ascontiguousarray(lines, dtype=np.float64), float(radius),
                                              float(rtol))
    verts, v_start, counts = _pad_layers(corners, start, np.array([0, len(parent)]))
    return _layer_verts(verts, v_start, 0, len(parent)), counts, parent, unpack_bits(words, lines.shape[2])


def unpack_bits(words: np.ndarray, width: int) -> np.ndarray:
    """Bits (R, width) bool of words (R, ⌈width/64⌉) uint64 (bit k mod 64 of word ⌊k/64⌋ is bit k)."""
    bytes_ = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)  # (R, 8·words) little-endian
    return np.unpackbits(bytes_, axis=1, count=width, bitorder="little").view(bool)


def _layer_verts(verts: np.ndarray, v_start: np.ndarray, layer: int, n: int) -> np.ndarray:
    """Layer ``layer``'s ``n`` padded polygons (n, V, 2): a view of the flat ``verts`` of ``_pad_layers``."""
    size = v_start[layer + 1] - v_start[layer]
    return verts[v_start[layer]:v_start[layer + 1]].reshape(n, size // (2 * n) if n else 0, 2)


# ---------------------------------------------------------------------------------------------------------------
# compiled kernels (numba): `ws` is the scratch of one polygon's pieces, cut from `cur` into `nxt`, corners of
# piece i in buf[start[i]:start[i + 1]], its bits in bits[i]: (cur_buf, nxt_buf, cur_start, nxt_start,
# cur_bits, nxt_bits, s, side, tol, s_min, s_max, crossing): per line its tolerance, the least and largest s at
# the polygon's corners, and the indices of the lines that cross it

@numba.njit(cache=True, nogil=True)
def _scratch(n_words, n_lines):  # pragma: no cover - compiled
    return (np.empty((256, 2)), np.empty((256, 2)), np.zeros(65, dtype=np.int64), np.zeros(65, dtype=np.int64),
            np.zeros((64, n_words), dtype=np.uint64), np.zeros((64, n_words), dtype=np.uint64), np.empty(256),
            np.empty(256, dtype=np.int8), np.empty(n_lines), np.empty(n_lines), np.empty(n_lines),
            np.empty(n_lines, dtype=np.int64))


@numba.njit(cache=True, nogil=True, inline="always")
def _cut_polygon(poly, n, z, n_lines, radius, rtol, ws):  # pragma: no cover - compiled
    """Cut the polygon ``poly[:n]`` by the lines ``z[:, k]`` (rows a0, a1, c), ``k < n_lines``: the number of
    pieces and corners, and the scratch with the pieces in ``cur``."""
    cur_buf, nxt_buf, cur_start, nxt_start, cur_bits, nxt_bits, s, side, tol, s_min, s_max, crossing = ws
    while n > cur_buf.shape[0]:
        cur_buf = _grow(cur_buf)
    cur_buf[:n] = poly[:n]
    cur_start[0], cur_start[1] = 0, n
    cur_bits[0] = 0
    n_pieces, n_corners = 1, n
    a0s, a1s, cs = z[0], z[1], z[2]  # (n_lines,) each
    for k in range(n_lines):  # every line at the polygon's corners: s_min, s_max (n_lines,), in one pass
        tol[k] = rtol * (np.sqrt(a0s[k] * a0s[k] + a1s[k] * a1s[k]) * radius + abs(cs[k]))
        s_min[k], s_max[k] = np.inf, -np.inf
    for j in range(n):
        x, y = poly[j, 0], poly[j, 1]
        for k in range(n_lines):
            v = x * a0s[k] + y * a1s[k] + cs[k]
            s_min[k] = v if v < s_min[k] else s_min[k]
            s_max[k] = v if v > s_max[k] else s_max[k]
    n_crossing = 0
    for k in range(n_lines):  # a line not crossing the polygon only sets the bit of its positive side
        if s_max[k] > tol[k]:
            if s_min[k] < -tol[k]:
                crossing[n_crossing] = k
                n_crossing += 1
            else:
                cur_bits[0, k // 64] |= np.uint64(1) << np.uint64(k % 64)
    for q in range(n_crossing):
        k = crossing[q]
        while n_corners > s.shape[0]:
            s, side = _grow(s), _grow(side)
        while 2 * n_corners + 4 * n_pieces > nxt_buf.shape[0]:
            nxt_buf = _grow(nxt_buf)
        while 2 * n_pieces + 1 > nxt_bits.shape[0]:
            nxt_start, nxt_bits = _grow(nxt_start), _grow(nxt_bits)
        n_pieces, n_corners = _split(cur_buf, cur_start, cur_bits, n_pieces, a0s[k], a1s[k], cs[k], tol[k], k,
                                     s, side, nxt_buf, nxt_start, nxt_bits)
        cur_buf, nxt_buf = nxt_buf, cur_buf
        cur_start, nxt_start = nxt_start, cur_start
        cur_bits, nxt_bits = nxt_bits, cur_bits
    return n_pieces, n_corners, (cur_buf, nxt_buf, cur_start, nxt_start, cur_bits, nxt_bits, s, side, tol, s_min,
                                 s_max, crossing)


@numba.njit(cache=True, nogil=True)
def _split(buf, bstart, bits, n_pieces, a0, a1, c, tol, k, s, side, out, ostart, obits):  # pragma: no cover
    """Cut every piece by the line ``x·(a0, a1) + c = 0`` (line ``k``, tolerance ``tol``) into ``out``: a piece
    with corners strictly on both sides splits in two, the others are copied; the pieces on the positive side
    get bit ``k``. The corners' values ``s`` and sides ``side`` are scratch. The new counts of pieces and
    corners."""
    word, bit = k // 64, np.uint64(1) << np.uint64(k % 64)
    ostart[0] = 0
    n, m = 0, 0  # pieces and corners written
    for i in range(n_pieces):
        lo, hi = bstart[i], bstart[i + 1]
        has_pos, has_neg = False, False
        for j in range(lo, hi):
            s[j] = buf[j, 0] * a0 + buf[j, 1] * a1 + c
            side[j] = 1 if s[j] > tol else (-1 if s[j] < -tol else 0)
            has_pos |= side[j] > 0
            has_neg |= side[j] < 0
        if not (has_pos and has_neg):
            out[m:m + hi - lo] = buf[lo:hi]
            m += hi - lo
            obits[n] = bits[i]
            if has_pos:
                obits[n, word] |= bit
            n += 1
            ostart[n] = m
            continue
        for sign in (1, -1):
            for j in range(lo, hi):
                jn = j + 1 if j + 1 < hi else lo
                if side[j] * sign >= 0:
                    out[m] = buf[j]
                    m += 1
                if side[j] * side[jn] < 0:
                    t = s[j] / (s[j] - s[jn])
                    out[m, 0] = buf[j, 0] + t * (buf[jn, 0] - buf[j, 0])
                    out[m, 1] = buf[j, 1] + t * (buf[jn, 1] - buf[j, 1])
                    m += 1
            obits[n] = bits[i]
            if sign > 0:
                obits[n, word] |= bit
            n += 1
            ostart[n] = m
    return n, m


@numba.njit(cache=True, nogil=True)
def _cut_each(verts, n_verts, lines, radius, rtol):  # pragma: no cover - compiled
    n_words = max(1, (lines.shape[2] + 63) // 64)
    cap = 2 * verts.shape[0] + 16
    corners, start = np.empty((4 * cap, 2)), np.zeros(cap + 1, dtype=np.int64)
    parent, words = np.empty(cap, dtype=np.int64), np.zeros((cap, n_words), dtype=np.uint64)
    ws = _scratch(n_words, lines.shape[2])
    n_out = 0
    for r in range(verts.shape[0]):
        n_pieces, n_corners, ws = _cut_polygon(verts[r], n_verts[r], lines[r], lines.shape[2], radius, rtol, ws)
        base = start[n_out]
        while base + n_corners > corners.shape[0]:
            corners = _grow(corners)
        while n_out + n_pieces + 1 > parent.shape[0]:
            parent, words, start = _grow(parent), _grow(words), _grow(start)
        corners[base:base + n_corners] = ws[0][:n_corners]
        start[n_out + 1:n_out + n_pieces + 1] = base + ws[2][1:n_pieces + 1]
        parent[n_out:n_out + n_pieces] = r
        words[n_out:n_out + n_pieces] = ws[4][:n_pieces]
        n_out += n_pieces
    return corners, start[:n_out + 1], parent[:n_out], words[:n_out]


@numba.njit(cache=True, nogil=True)
def _walk(x0, x1, y0, y1, dims, splits, alpha, params, flat_h, mult, radius, rtol, most):  # pragma: no cover
    n_layers, done = len(dims) - 1, len(dims) - 1  # done: the layers walked to the end (most < 0: no limit)
    flat_w, flat_b = _unpack(dims, params)
    w_max = dims.max()
    n_words = max(1, (w_max + 63) // 64)
    cap = 1024
    corners, start = np.empty((4 * cap, 2)), np.zeros(cap + 1, dtype=np.int64)
    parent, key = np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.uint64)
    zs = np.empty(3 * w_max * cap)
    on = np.empty(n_words * cap, dtype=np.uint64)  # every piece's pattern: its ⌈fan_out/64⌉ words (none: no kink)
    corners[:4] = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])  # piece 0: the box, h(x) = x, key 0
    start[1] = 4
    box_map = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # the box's h(x) = x: rows x₁, x₂, offset of (3, 2)
    z_start, on_start = np.zeros(n_layers + 1, dtype=np.int64), np.zeros(n_layers + 1, dtype=np.int64)
    ends = np.zeros(n_layers + 1, dtype=np.int64)  # layer l's pieces: [ends[l], ends[l + 1])
    z_len, on_len = 0, 0  # z_start[l]: where the z of layer l on each of its parents begins
    ends[0], n_out = 1, 1
    w_off, b_off, h_off = 0, 0, 0
    z = np.empty((3, w_max))
    ws = _scratch(n_words, w_max)
    for layer in range(n_layers):
        w_in, w_out, split = dims[layer], dims[layer + 1], splits[layer]
        nw_in, nw_out = (w_in + 63) // 64, ((w_out + 63) // 64 if split else 0)
        z_start[layer], on_start[layer] = z_len, on_len
        lo, hi = (0, 1) if layer == 0 else (ends[layer - 1], ends[layer])  # the previous layer's pieces
        kinked = layer > 0 and splits[layer - 1]  # the previous layer's slopes d apply
        for r in range(lo, hi):
            while z_len + 3 * w_out > zs.shape[0]:
                zs = _grow(zs)
            # the map of piece r, Ac_r = Z_{parent(r)} · diag(d_r) (3, w_in), read off its parent's z and its pattern
            src, base = (box_map, 0) if layer == 0 else (zs, z_start[layer - 1] + parent[r] * 3 * w_in)
            o_r = on_start[layer - 1] + (r - lo) * nw_in if kinked else 0
            z0, z1, z2 = z[0], z[1], z[2]  # z = Ac_r @ W + (0, 0, b): (3, w_out)
            z0[:w_out] = 0.0
            z1[:w_out] = 0.0
            z2[:w_out] = flat_b[b_off:b_off + w_out]
            for j in range(w_in):  # one pass over W's rows, skipping off units (a zero column of Ac_r)
                off = kinked and (on[o_r + j // 64] >> np.uint64(j % 64)) & np.uint64(1) == 0
                d = alpha[layer - 1] if off else 1.0
                a0, a1, a2 = src[base + j] * d, src[base + w_in + j] * d, src[base + 2 * w_in + j] * d
                if a0 == 0.0 and a1 == 0.0 and a2 == 0.0:
                    continue
                w_row = flat_w[w_off + j * w_out:w_off + (j + 1) * w_out]
                if a2 == 0.0:  # the offset row of a net without biases stays zero
                    for k in range(w_out):
                        z0[k] += a0 * w_row[k]
                        z1[k] += a1 * w_row[k]
                else:
                    for k in range(w_out):
                        z0[k] += a0 * w_row[k]
                        z1[k] += a1 * w_row[k]
                        z2[k] += a2 * w_row[k]
            zs[z_len:z_len + w_out] = z0[:w_out]
            zs[z_len + w_out:z_len + 2 * w_out] = z1[:w_out]
            zs[z_len + 2 * w_out:z_len + 3 * w_out] = z2[:w_out]
            z_len += 3 * w_out
            poly = corners[start[r]:start[r + 1]]
            n_pieces, n_corners, ws = _cut_polygon(poly, len(poly), z, w_out if split else 0, radius, rtol, ws)
            while start[n_out] + n_corners > corners.shape[0]:
                corners = _grow(corners)
            while n_out + n_pieces + 1 > parent.shape[0]:
                parent, start, key = _grow(parent), _grow(start), _grow(key)
            while on_len + nw_out * n_pieces > on.shape[0]:
                on = _grow(on)
            c0 = start[n_out]
            corners[c0:c0 + n_corners] = ws[0][:n_corners]
            for p in range(n_pieces):
                q = n_out + p
                start[q + 1] = c0 + ws[2][p + 1]
                parent[q] = r - lo
                bits = ws[4][p]
                h = key[r] * mult
                for i in range(nw_out):
                    h += bits[i] * flat_h[h_off + i]
                    on[on_len + i] = bits[i]
                key[q] = h
                on_len += nw_out
            n_out += n_pieces
            if 0 <= most < n_out - ends[layer] + hi - 1 - r:  # each parent still to cut gives ≥ 1 piece
                done = layer
                break
        ends[layer + 1] = n_out
        if done < n_layers:
            break
        w_off += w_in * w_out
        b_off += w_out
        if split:
            h_off += (w_out + 63) // 64
    verts, v_start, n_verts = _pad_layers(corners, start, ends[:done + 1])
    return (verts, v_start, n_verts, parent[1:n_out], on[:on_len], on_start, zs[:z_len], z_start, key[1:n_out],
            ends[1:done + 1] - 1)


@numba.njit(cache=True, nogil=True)
def _unpack(dims, params):  # pragma: no cover - compiled
    """Every layer's ``W`` (fan_in, fan_out) row by row and ``b`` (fan_out,), each in one flat array, from
    ``params`` (``Wᵀ`` row by row, then ``b``, layer after layer)."""
    sizes = dims[:-1] * dims[1:]  # (L,)
    flat_w, flat_b = np.empty(sizes.sum()), np.empty(dims[1:].sum())
    o, w_off, b_off = 0, 0, 0
    for layer in range(len(dims) - 1):
        w_in, w_out = dims[layer], dims[layer + 1]
        for k in range(w_out):
            for j in range(w_in):
                flat_w[w_off + j * w_out + k] = params[o + k * w_in + j]
        o += w_in * w_out
        flat_b[b_off:b_off + w_out] = params[o:o + w_out]
        o, w_off, b_off = o + w_out, w_off + w_in * w_out, b_off + w_out
    return flat_w, flat_b


@numba.njit(cache=True, nogil=True)
def _pad_layers(corners, start, bounds):  # pragma: no cover - compiled
    """The pieces ``corners[start[i]:start[i + 1]]`` of each layer ``bounds[l] ≤ i < bounds[l + 1]`` padded to
    that layer's most corners, zeros beyond: one flat array, layer ``l`` at ``[v_start[l], v_start[l + 1])``;
    and every piece's corner count."""
    n_layers = len(bounds) - 1
    counts = start[bounds[0] + 1:bounds[-1] + 1] - start[bounds[0]:bounds[-1]]
    v_start = np.zeros(n_layers + 1, dtype=np.int64)
    for layer in range(n_layers):
        lo, hi = bounds[layer] - bounds[0], bounds[layer + 1] - bounds[0]
        v_start[layer + 1] = v_start[layer] + 2 * (hi - lo) * (counts[lo:hi].max() if hi > lo else 0)
    out = np.zeros(v_start[-1])
    for layer in range(n_layers):
        lo, hi = bounds[layer], bounds[layer + 1]
        if hi == lo:
            continue
        width = (v_start[layer + 1] - v_start[layer]) // (hi - lo)  # 2 · most corners
        for i in range(lo, hi):
            o = v_start[layer] + (i - lo) * width
            for j in range(start[i], start[i + 1]):
                out[o] = corners[j, 0]
                out[o + 1] = corners[j, 1]
                o += 2
    return out, v_start, counts


@numba.njit(cache=True, nogil=True)
def _grow(arr):  # pragma: no cover - compiled
    """``arr`` with twice the rows, the old rows first (the new ones uninitialised: every use writes before it
    reads)."""
    out = np.empty((2 * arr.shape[0],) + arr.shape[1:], dtype=arr.dtype)
    out[:arr.shape[0]] = arr
    return out
