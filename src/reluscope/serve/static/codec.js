// Arrays on the wire (serve/codec.py): {buffer, dtype, shape} headers and, on the WebSocket, binary envelopes.
const TYPES = { "|u1": Uint8Array, "<u2": Uint16Array, "<u4": Uint32Array, "<i4": Int32Array, "<f4": Float32Array,
                "<f8": Float64Array };
const NONFINITE = 65535;  // a Fixed coordinate that is NaN or ±inf
const ALIGN = 8;

// a DataView or ArrayBuffer as a typed array: in place when aligned (byteOffset honoured), else copied
export function typedArray(raw, dtype) {
  const Type = TYPES[dtype], dv = raw instanceof ArrayBuffer ? new DataView(raw) : raw;
  const n = dv.byteLength / Type.BYTES_PER_ELEMENT;
  if (dv.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(dv.buffer, dv.byteOffset, n);
  return new Type(dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength));
}

function isHeader(v) { return v !== null && typeof v === "object" && "buffer" in v && "dtype" in v && "shape" in v; }

// a message with every header replaced by its typed array (with .shape); header.buffer is an index into
// buffers (comm and WebSocket messages) or the DataView itself (anywidget traits)
export function decode(value, buffers = []) {
  if (Array.isArray(value)) return value.map((v) => decode(v, buffers));
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (isHeader(value)) {
    const raw = typeof value.buffer === "number" ? buffers[value.buffer] : value.buffer;
    let a = typedArray(raw, value.dtype);
    if (value.lo) {  // Fixed: lo + q·step per column, NaN where not finite
      const d = value.shape[1], out = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = a[i] === NONFINITE ? NaN : value.lo[i % d] + a[i] * value.step[i % d];
      a = out;
    }
    a.shape = value.shape;
    return a;
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = decode(v, buffers);
  return out;
}

// one binary WebSocket message -> [message, buffers]
export function openEnvelope(ab) {
  const n = new DataView(ab).getUint32(0, true);
  const msg = JSON.parse(new TextDecoder().decode(new Uint8Array(ab, 4, n)));
  const buffers = (msg.buffers || []).map(([offset, length]) => new DataView(ab, offset, length));
  delete msg.buffers;
  return [msg, buffers];
}

const aligned = (n) => Math.ceil(n / ALIGN) * ALIGN;

// message + buffers (ArrayBuffers) -> one binary WebSocket message, the layout serve/codec.py reads
export function envelope(msg, buffers) {
  const sizes = buffers.map((b) => b.byteLength);
  let table = sizes.map((n) => [0, n]), head, offsets;
  for (;;) {
    head = new TextEncoder().encode(JSON.stringify({ ...msg, buffers: table }));
    let o = aligned(4 + head.length);
    offsets = sizes.map((n) => { const at = o; o += aligned(n); return at; });
    if (offsets.every((at, i) => table[i][0] === at)) break;
    table = offsets.map((at, i) => [at, sizes[i]]);
  }
  const total = buffers.length ? offsets[offsets.length - 1] + sizes[sizes.length - 1] : 4 + head.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  buffers.forEach((b, i) => out.set(new Uint8Array(b), offsets[i]));
  return out.buffer;
}
