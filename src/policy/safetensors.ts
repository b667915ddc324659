// The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range (relative to the data that follows) plus a `__metadata__` string map, then the raw
// little-endian tensor bytes, packed in header order. Reading checks every length, range and type first.
import { CheckpointError } from '../errors.js';

export type DType = 'F32' | 'F64' | 'I32' | 'U8';
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One tensor of a safetensors file. */
export interface Tensor {
  /** Element type: `'F32'`, `'F64'`, `'I32'` or `'U8'`. */
  dtype: DType;
  /** Dimensions (row-major). */
  shape: readonly number[];
  /** The values, in a typed array matching `dtype`. */
  data: TensorData;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name, in file order. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` string map. */
  metadata: Record<string, string>;
}

const DTYPES: Record<DType, { bytes: number; array: new (length: number) => TensorData }> = {
  F32: { bytes: 4, array: Float32Array },
  F64: { bytes: 8, array: Float64Array },
  I32: { bytes: 4, array: Int32Array },
  U8: { bytes: 1, array: Uint8Array },
};

export { CheckpointError };

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Encodes tensors (and a string metadata map) as safetensors bytes: an 8-byte header length, a JSON header,
 * then the little-endian data, 8-aligned (the standard safetensors layout).
 */
export function writeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = elements(t.shape) * DTYPES[t.dtype].bytes;
    if (t.data.length !== elements(t.shape)) throw new CheckpointError(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // data starts 8-aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) {
      switch (t.dtype) {
        case 'F32': view.setFloat32(at, t.data[i], true); at += 4; break;
        case 'F64': view.setFloat64(at, t.data[i], true); at += 8; break;
        case 'I32': view.setInt32(at, t.data[i], true); at += 4; break;
        case 'U8': view.setUint8(at, t.data[i]); at += 1; break;
      }
    }
  }
  return out;
}

/**
 * Parses safetensors bytes, checking every length, range and dtype first; a truncated or corrupted file
 * throws a `CheckpointError` that says what is wrong.
 */
export function readSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsFile {
  const bytes = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : undefined;
  if (!bytes) throw new CheckpointError(`checkpoint: expected a Uint8Array or ArrayBuffer, got ${typeof input}`);
  if (bytes.length < 8) throw new CheckpointError(`checkpoint: truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new CheckpointError(`checkpoint: truncated or not safetensors: header length ${headerLength} exceeds the ${bytes.length - 8} bytes that follow`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new CheckpointError(`checkpoint: corrupted header (not JSON): ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError('checkpoint: corrupted header (not a JSON object)');
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new CheckpointError('checkpoint: corrupted header (__metadata__ must map strings to strings)');
  }
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) throw new CheckpointError(`checkpoint: tensor ${name}: unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(`checkpoint: tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new CheckpointError(`checkpoint: tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const { bytes: size, array } = DTYPES[dtype as DType];
    if (end - begin !== elements(shape) * size) throw new CheckpointError(`checkpoint: tensor ${name}: data_offsets span ${end - begin} bytes, shape [${shape}] needs ${elements(shape) * size}`);
    if (end > dataLength) throw new CheckpointError(`checkpoint: truncated: tensor ${name} ends at byte ${end} of a ${dataLength}-byte data section`);
    ranges.push([begin, end, name]);
    const data = new array(elements(shape));
    for (let i = 0, at = dataStart + begin; i < data.length; i++, at += size) {
      switch (dtype as DType) {
        case 'F32': data[i] = view.getFloat32(at, true); break;
        case 'F64': data[i] = view.getFloat64(at, true); break;
        case 'I32': data[i] = view.getInt32(at, true); break;
        case 'U8': data[i] = view.getUint8(at); break;
      }
    }
    tensors.set(name, { dtype: dtype as DType, shape: Object.freeze([...shape]), data });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) throw new CheckpointError(`checkpoint: corrupted: tensor ${name} starts at byte ${begin}, expected ${covered} (gap or overlap)`);
    covered = end;
  }
  if (covered !== dataLength) throw new CheckpointError(`checkpoint: corrupted: ${dataLength - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

export const FNV_OFFSET = 0x811c9dc5;

/** Continues an FNV-1a hash over more bytes (every byte changes it: each step is a bijection of the state). */
export function fnv1aUpdate(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

/** FNV-1a over bytes, as 8 hex digits: a cheap check that the bytes were not altered. */
export function fnv1a(bytes: Uint8Array): string {
  return (fnv1aUpdate(FNV_OFFSET, bytes) >>> 0).toString(16).padStart(8, '0');
}
