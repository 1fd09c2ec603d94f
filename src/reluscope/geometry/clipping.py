"""Cutting convex polygons by lines, one polygon after another: the compiled kernel of the decision cells.

Polygon ``r`` is cut by its own lines ``x·a_k + c_k = 0`` (``a = lines[r, :2, k]``, ``c = lines[r, 2, k]``),
``k = 0 … K−1`` in order. Each piece is cut by the next line with Sutherland–Hodgman: a corner ``v`` lies on
the positive side if ``s(v) = v·a + c > tol``, on the negative side if ``s(v) < −tol``, on the line
otherwise, with

    tol = rtol · (‖a‖·radius + |c|),

the round-off scale of ``s`` for ``|x| ≤ radius``, so round-off never creates sliver pieces. A piece with
corners strictly on both sides splits in two; each new corner is the crossing ``v + t (v' − v)``,
``t = s(v) / (s(v) − s(v'))``, of an edge ``v → v'`` whose ends lie strictly on opposite sides, and corners on
the line belong to both pieces. A piece not cut keeps its corners; its bit is ``[some corner is positive]``.
The pieces of polygon ``r`` come out together, each with its bits ``[on the positive side of line k]``.

The loops are compiled by numba (cached on disk after the first call), so a cut costs a few nanoseconds per
corner instead of a numpy call per line; float64 throughout.
"""

from __future__ import annotations

import numba
import numpy as np


def cut_polygons(verts: np.ndarray, n_verts: np.ndarray, lines: np.ndarray, radius: float, rtol: float):
    """Cut every convex polygon by all of its lines.

    Parameters
    ----------
    verts : (R, V, 2) float64 padded counter-clockwise polygons; n_verts : (R,) their corner counts.
    lines : (R, 3, K) float64: line ``k`` of polygon ``r`` is ``x·lines[r, :2, k] + lines[r, 2, k] = 0``.
    radius, rtol : the tolerance ``rtol · (‖a‖·radius + |c|)`` under which a corner lies on a line.

    Returns
    -------
    verts (P, V', 2) padded counter-clockwise pieces, n_verts (P,), parent (P,) the polygon each piece lies in
    (non-decreasing), positive (P, K) bool: the piece lies on the side ``x·a_k + c_k > 0``.
    """
    flat, start, parent, words = _cut_all(np.ascontiguousarray(verts, dtype=np.float64),
                                             np.ascontiguousarray(n_verts, dtype=np.int64),
                                             np.ascontiguousarray(lines, dtype=np.float64),
                                             float(radius), float(rtol))
    counts = np.diff(start)  # (P,)
    width = int(counts.max()) if len(counts) else 0
    slot = np.arange(width)  # (V',)
    valid = slot < counts[:, None]  # (P, V')
    padded = np.zeros((len(counts), width, 2))  # (P, V', 2)
    padded[valid] = flat[:start[-1]]
    bytes_ = np.ascontiguousarray(words).view(np.uint8)  # (P, 8·words) little-endian: bit k of word i is line 64i + k
    positive = np.unpackbits(bytes_, axis=1, bitorder="little")[:, :lines.shape[2]].astype(bool)  # (P, K)
    return padded, counts, parent, positive


@numba.njit(cache=True, nogil=True)
def _cut_all(verts, n_verts, lines, radius, rtol):  # pragma: no cover - compiled
    n_lines = lines.shape[2]
    cap_v, cap_p = 4 * verts.shape[0] * verts.shape[1] + 64, 2 * verts.shape[0] + 16
    flat = np.empty((cap_v, 2))  # all pieces' corners, piece after piece
    start = np.zeros(cap_p + 1, dtype=np.int64)
    parent = np.empty(cap_p, dtype=np.int64)
    n_words = max(1, (n_lines + 63) // 64)
    positive = np.zeros((cap_p, n_words), dtype=np.uint64)  # bit k % 64 of word k // 64: line k
    n_out = 0
    # one polygon's pieces, cut from `cur` into `nxt`: corners in buf[bstart[i]:bstart[i + 1]], bits in bits[i]
    cur_buf, nxt_buf = np.empty((256, 2)), np.empty((256, 2))
    cur_start, nxt_start = np.zeros(65, dtype=np.int64), np.zeros(65, dtype=np.int64)
    cur_bits, nxt_bits = np.zeros((64, n_words), dtype=np.uint64), np.zeros((64, n_words), dtype=np.uint64)
    s, side = np.empty(256), np.empty(256, dtype=np.int8)
    for r in range(verts.shape[0]):
        n_pieces, n_corners = 1, n_verts[r]
        while n_corners > cur_buf.shape[0]:
            cur_buf = _grow(cur_buf)
        cur_buf[:n_corners] = verts[r, :n_corners]
        cur_start[1] = n_corners
        cur_bits[0] = 0
        for k in range(n_lines):
            a0, a1, c = lines[r, 0, k], lines[r, 1, k], lines[r, 2, k]
            tol = rtol * (np.sqrt(a0 * a0 + a1 * a1) * radius + abs(c))
            while 2 * n_corners + 4 * n_pieces > nxt_buf.shape[0]:
                nxt_buf = _grow(nxt_buf)
            while n_corners > s.shape[0]:
                s, side = _grow(s), _grow(side)
            while 2 * n_pieces > nxt_bits.shape[0]:
                nxt_start, nxt_bits = _grow(nxt_start), _grow(nxt_bits)
            word, bit = k // 64, np.uint64(1) << np.uint64(k % 64)
            any_cut = False
            for i in range(n_pieces):  # the side of every corner; a piece not cut only gets its bit
                has_pos, has_neg = False, False
                for j in range(cur_start[i], cur_start[i + 1]):
                    s[j] = cur_buf[j, 0] * a0 + cur_buf[j, 1] * a1 + c
                    side[j] = 1 if s[j] > tol else (-1 if s[j] < -tol else 0)
                    has_pos |= side[j] > 0
                    has_neg |= side[j] < 0
                if has_pos and not has_neg:
                    cur_bits[i, word] |= bit
                any_cut |= has_pos and has_neg
            if not any_cut:
                continue
            n_cut, m_cut = _split_pieces(cur_buf, cur_start, cur_bits, n_pieces, word, bit, s, side,
                                         nxt_buf, nxt_start, nxt_bits)
            n_pieces, n_corners = n_cut, m_cut
            cur_buf, nxt_buf = nxt_buf, cur_buf
            cur_start, nxt_start = nxt_start, cur_start
            cur_bits, nxt_bits = nxt_bits, cur_bits
        base = start[n_out]
        while base + n_corners > flat.shape[0]:
            flat = _grow(flat)
        while n_out + n_pieces + 1 > parent.shape[0]:
            parent, positive, start = _grow(parent), _grow(positive), _grow(start)
        flat[base:base + n_corners] = cur_buf[:n_corners]
        start[n_out + 1:n_out + n_pieces + 1] = base + cur_start[1:n_pieces + 1]
        parent[n_out:n_out + n_pieces] = r
        positive[n_out:n_out + n_pieces] = cur_bits[:n_pieces]
        n_out += n_pieces
    return flat, start[:n_out + 1], parent[:n_out], positive[:n_out]


@numba.njit(cache=True, nogil=True)
def _split_pieces(buf, bstart, bits, n_pieces, word, bit, s, side, out, ostart, obits):  # pragma: no cover
    """Split the pieces in ``buf`` with corners on both sides of a line (values ``s``, sides ``side``) into
    ``out``; the others are copied. Returns the new counts of pieces and corners. ``bits`` (P, words) uint64
    carries the line's bit ``bit`` in word ``word``."""
    ostart[0] = 0
    n, m = 0, 0  # pieces and corners written
    for i in range(n_pieces):
        lo, hi = bstart[i], bstart[i + 1]
        has_pos, has_neg = False, False
        for j in range(lo, hi):
            has_pos |= side[j] > 0
            has_neg |= side[j] < 0
        if not (has_pos and has_neg):
            out[m:m + hi - lo] = buf[lo:hi]
            m += hi - lo
            obits[n] = bits[i]
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
def _grow(arr):  # pragma: no cover - compiled
    """``arr`` with twice the rows, the old rows first."""
    out = np.zeros((2 * arr.shape[0],) + arr.shape[1:], dtype=arr.dtype)
    out[:arr.shape[0]] = arr
    return out
