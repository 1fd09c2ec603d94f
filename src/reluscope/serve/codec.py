"""Arrays on the wire, the same for both hosts: a message is JSON in which every array is a header
``{"buffer": i, "dtype": "<f4", "shape": [n, 2]}`` pointing at the ``i``-th of the message's binary buffers.

The notebook widget sends the JSON and the buffers as one comm message (anywidget's ``buffers``); the
playground's WebSocket packs them into one binary frame, an *envelope*::

    uint32 (little-endian) n | n bytes of JSON: the message, with "buffers": [[offset, length], …] | buffers

Each buffer starts at a multiple of ``ALIGN`` bytes from the frame's start, so the page views it in place
(``new Float32Array(dv.buffer, dv.byteOffset, n)``) without a copy. ``static/codec.js`` reads and writes the
same layout. A message without arrays stays plain JSON text.

``Fixed`` sends points as 16-bit fixed point over their bounding box (``lo + q·step``, ``q = 65535``: not
finite): a quarter of float64 and exact to 1/65534 of the box, far finer than a canvas pixel.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

import numpy as np

from reluscope.errors import ReluscopeError

ALIGN = 8  # bytes: every buffer of an envelope starts at a multiple of this
DTYPES = ("|u1", "<u2", "<u4", "<i4", "<f4", "<f8")  # what codec.js turns into typed arrays
NONFINITE = 65535  # Fixed's code for a coordinate that is NaN or ±inf


@dataclass(frozen=True)
class Fixed:
    """Points ``(n, d)`` sent as uint16 over their finite bounding box (see the module's docstring)."""

    points: np.ndarray

    def header(self) -> tuple[dict, np.ndarray]:
        p = np.asarray(self.points, dtype=np.float64)  # (n, d)
        finite = np.isfinite(p).all(axis=1)  # (n,)
        lo = p[finite].min(axis=0) if finite.any() else np.zeros(p.shape[1])  # (d,)
        hi = p[finite].max(axis=0) if finite.any() else np.ones(p.shape[1])
        step = np.where(hi > lo, (hi - lo) / (NONFINITE - 1), 1.0)  # (d,)
        with np.errstate(invalid="ignore"):
            q = np.rint((p - lo) / step)  # (n, d)
        q[~finite] = NONFINITE
        return dict(lo=lo.tolist(), step=step.tolist()), q.astype("<u2")


def to_wire(value, buffers: list[memoryview]):
    """``value`` as JSON-ready data: arrays become headers whose bytes are appended to ``buffers``; NaN and
    ±inf floats outside arrays become None (strict JSON)."""
    if isinstance(value, Fixed):
        extra, q = value.header()
        return {**to_wire(q, buffers), **extra}
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
        dtype = array.dtype.str
        if dtype not in DTYPES:
            raise ReluscopeError(f"arrays travel as {', '.join(DTYPES)}, not {dtype}")
        buffers.append(memoryview(array.reshape(-1).view(np.uint8)))
        return dict(buffer=len(buffers) - 1, dtype=dtype, shape=list(array.shape))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: to_wire(v, buffers) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v, buffers) for v in value]
    return value


def dumps(message: dict) -> str:
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


def envelope(message: dict, buffers: list) -> bytes:
    """One binary frame: the message's JSON (with the buffers' offsets) and its buffers, each aligned."""
    sizes = [memoryview(b).nbytes for b in buffers]
    offsets, table = [], [[0, n] for n in sizes]
    while True:  # the offsets depend on the header's length, which depends on the offsets' digits
        head = dumps({**message, "buffers": table}).encode()
        start = _aligned(4 + len(head))
        offsets = [start + sum(_aligned(n) for n in sizes[:i]) for i in range(len(sizes))]
        if [t[0] for t in table] == offsets:
            break
        table = [[o, n] for o, n in zip(offsets, sizes)]
    out = bytearray(struct.pack("<I", len(head)) + head)
    for offset, b in zip(offsets, buffers):
        out.extend(b"\0" * (offset - len(out)))
        out.extend(memoryview(b).cast("B"))
    return bytes(out)


def open_envelope(frame: bytes, max_buffers: int = 4) -> tuple[dict, list[memoryview]]:
    """The message and its buffers from one binary frame; ``ReluscopeError`` if the frame is malformed."""
    view = memoryview(frame)
    if len(view) < 4:
        raise ReluscopeError("binary message too short")
    (n,) = struct.unpack_from("<I", view)
    if 4 + n > len(view):
        raise ReluscopeError("binary message: its header runs past its end")
    try:
        message = json.loads(bytes(view[4:4 + n]))
    except (ValueError, RecursionError):
        raise ReluscopeError("binary message: the header is not valid JSON") from None
    if not isinstance(message, dict):
        raise ReluscopeError("binary message: the header must be a JSON object")
    table = message.pop("buffers", [])
    if not (isinstance(table, list) and len(table) <= max_buffers
            and all(isinstance(t, list) and len(t) == 2 and all(type(v) is int for v in t) for t in table)):
        raise ReluscopeError(f"binary message: 'buffers' must list at most {max_buffers} [offset, length] pairs")
    buffers = []
    for offset, length in table:
        if not (4 + n <= offset and 0 <= length and offset + length <= len(view)):
            raise ReluscopeError("binary message: a buffer lies outside the message")
        buffers.append(view[offset:offset + length])
    return message, buffers


def from_wire(value, buffers: list):
    """The inverse of ``to_wire`` (for Python clients: tests, benchmarks): headers become numpy arrays, a
    ``Fixed`` header its float64 points (NaN where not finite)."""
    if isinstance(value, dict) and "buffer" in value and "dtype" in value:
        array = np.frombuffer(buffers[value["buffer"]], dtype=value["dtype"]).reshape(value["shape"])
        if "lo" not in value:
            return array
        points = np.asarray(value["lo"]) + array * np.asarray(value["step"])  # (n, d)
        points[(array == NONFINITE).any(axis=1)] = np.nan
        return points
    if isinstance(value, dict):
        return {k: from_wire(v, buffers) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v, buffers) for v in value]
    return value


def decode(frame: str | bytes) -> dict:
    """A server message as Python data (JSON text or an envelope), its arrays as numpy arrays."""
    if isinstance(frame, str):
        return json.loads(frame)
    message, buffers = open_envelope(frame, max_buffers=1 << 16)
    return from_wire(message, buffers)


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
