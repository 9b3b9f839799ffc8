/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written on plain bytes,
 * so checkpoints can be inspected, validated and written without the tensor engine.
 *
 * Layout: 8 bytes little-endian u64 N, N bytes of UTF-8 JSON header, then the data buffer. The header maps
 * each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data buffer) and
 * may hold `"__metadata__": {string: string}`. The tensors must tile the data buffer exactly: no gaps, no
 * overlaps, nothing after the last one.
 *
 * The writer reproduces the reference Rust/Python library byte for byte: tensors sorted by dtype (largest
 * alignment first, in the library's enum order) then by name, compact JSON with `__metadata__` first, header
 * padded with spaces to a multiple of 8 bytes so every tensor's data starts 8-byte aligned.
 */
import { openInput } from '../util/inputFile.js';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomicWrite.js';

/**
 * The dtypes of the format, in the reference library's enum order (the order the writer sorts by, descending).
 * Sub-byte types (F4, F6_*) are left out: their tensors have no whole-byte item size.
 */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16',
  'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** Bytes per element of each dtype. */
export const SAFETENSORS_ITEM_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  C64: 8, F64: 8, I64: 8, U64: 8,
};

const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

export function isSafetensorsDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && DTYPE_RANK.has(s);
}

/** The reference library refuses headers above 100 MB; so do we (a corrupt length would otherwise allocate GBs). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as described by the header. Offsets are relative to the start of the data buffer. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in the data buffer. */
  dataOffsets: [number, number];
  byteLength: number;
}

export interface SafetensorsHeader {
  /** Tensors in data order (by offset). */
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  /** N, the JSON header's byte length including padding. */
  headerByteLength: number;
  /** Absolute file offset of the data buffer: 8 + N. */
  dataStart: number;
  /** Length of the data buffer (= end of the last tensor). */
  dataByteLength: number;
}

/** A tensor to write, or one read back whole. */
export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

/** Thrown for any malformed safetensors input; the message names the file (or buffer) and the tensor. */
export class SafetensorsError extends Error {
  constructor(readonly source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates a header's JSON text against the size of the data buffer that follows it. `dataByteLength` is
 * what the file (or buffer) actually holds after the header.
 */
export function parseSafetensorsHeaderJson(
  text: string,
  source: string,
  headerByteLength: number,
  dataByteLength: number,
): SafetensorsHeader {
  if (!text.startsWith('{')) {
    throw new SafetensorsError(source, `header does not start with '{' (not a safetensors file, or corrupt)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(source, `header is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(source, 'header JSON is not an object');
  }
  const metadata: Record<string, string> = {};
  const entries: Array<[string, SafetensorsTensorInfo]> = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SafetensorsError(source, '__metadata__ must be an object of string values');
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new SafetensorsError(source, `__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        }
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SafetensorsError(source, `${where}: entry must be an object {dtype, shape, data_offsets}`);
    }
    const e = value as Record<string, unknown>;
    if (!isSafetensorsDtype(e.dtype)) {
      throw new SafetensorsError(
        source,
        `${where}: unknown dtype ${JSON.stringify(e.dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
      );
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) {
      throw new SafetensorsError(source, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1])) {
      throw new SafetensorsError(source, `${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) throw new SafetensorsError(source, `${where}: data_offsets [${begin}, ${end}] end before begin`);
    const shape = e.shape as number[];
    const expected = elementCount(shape) * SAFETENSORS_ITEM_SIZE[e.dtype];
    if (!Number.isSafeInteger(expected)) throw new SafetensorsError(source, `${where}: shape [${shape}] overflows`);
    if (end - begin !== expected) {
      throw new SafetensorsError(
        source,
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${e.dtype}[${shape.join(', ')}] needs ${expected}`,
      );
    }
    if (end > dataByteLength) {
      throw new SafetensorsError(
        source,
        `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataByteLength} bytes; file truncated?)`,
      );
    }
    entries.push([name, { dtype: e.dtype, shape, dataOffsets: [begin, end], byteLength: end - begin }]);
  }
  // Tensors must tile the buffer: sorted by offset, each starts where the previous ended.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let pos = 0;
  let prev = '';
  for (const [name, info] of entries) {
    const [begin] = info.dataOffsets;
    if (begin < pos) {
      throw new SafetensorsError(source, `tensor '${name}': data_offsets start at ${begin}, overlapping tensor '${prev}' which ends at ${pos}`);
    }
    if (begin > pos) {
      throw new SafetensorsError(source, `tensor '${name}': data_offsets start at ${begin}, leaving a gap after ${prev ? `tensor '${prev}'` : 'the header'} which ends at ${pos}`);
    }
    pos = info.dataOffsets[1];
    prev = name;
  }
  if (pos !== dataByteLength) {
    throw new SafetensorsError(
      source,
      `tensors cover ${pos} bytes of data but ${dataByteLength} bytes follow the header (trailing bytes or a lying header)`,
    );
  }
  return {
    tensors: new Map(entries),
    metadata,
    headerByteLength,
    dataStart: 8 + headerByteLength,
    dataByteLength,
  };
}

function headerLength(prefix: Uint8Array, source: string, total: number): number {
  if (total < 8) throw new SafetensorsError(source, `file is ${total} bytes, too short for the 8-byte header length (truncated?)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
  }
  const len = Number(n);
  if (8 + len > total) {
    throw new SafetensorsError(source, `header length ${len} runs past the end of the file (${total} bytes; truncated?)`);
  }
  return len;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeHeaderText(bytes: Uint8Array, source: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SafetensorsError(source, 'header is not valid UTF-8');
  }
}

/** Parses and validates the header of a whole safetensors image held in memory. */
export function parseSafetensorsHeader(buf: Uint8Array, source = '<buffer>'): SafetensorsHeader {
  const n = headerLength(buf, source, buf.byteLength);
  const text = decodeHeaderText(buf.subarray(8, 8 + n), source);
  return parseSafetensorsHeaderJson(text, source, n, buf.byteLength - 8 - n);
}

function readExactly(fd: number, length: number, position: number, source: string): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const r = readSync(fd, out, got, length - got, position + got);
    if (r === 0) throw new SafetensorsError(source, `unexpected end of file at byte ${position + got} (file changed or truncated while reading)`);
    got += r;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function readHeaderFromFd(fd: number, path: string): SafetensorsHeader {
  const st = fstatSync(fd);
  if (st.isDirectory()) throw new SafetensorsError(path, 'it is a folder, not a safetensors file (EISDIR)');
  const size = st.size;
  const prefix = size >= 8 ? readExactly(fd, 8, 0, path) : new Uint8Array(0);
  const n = headerLength(prefix, path, size);
  const text = decodeHeaderText(readExactly(fd, n, 8, path), path);
  return parseSafetensorsHeaderJson(text, path, n, size - 8 - n);
}

/** Reads and validates only the header of a file (reads 8 + N bytes, whatever the file's size). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openInput(path);
  try {
    return readHeaderFromFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * An open safetensors file: the header is read and validated on open, tensor bytes are read on demand with
 * positioned reads, so a multi-GB checkpoint is never held whole in memory. Call `close()` when done (or use
 * `withSafetensorsFile`).
 */
export class SafetensorsFile {
  readonly header: SafetensorsHeader;
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openInput(path);
    try {
      this.header = readHeaderFromFd(this.fd, path);
    } catch (err) {
      closeSync(this.fd);
      this.fd = null;
      throw err;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** Tensor names in file (data) order. */
  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const info = this.header.tensors.get(name);
    if (!info) throw new SafetensorsError(this.path, `no tensor named '${name}' (the file has ${this.header.tensors.size} tensors)`);
    return info;
  }

  /** The raw little-endian bytes of one tensor (a fresh copy, 8-byte aligned in memory). */
  read(name: string): Uint8Array {
    const info = this.info(name);
    if (this.fd === null) throw new SafetensorsError(this.path, `read('${name}') after close()`);
    return readExactly(this.fd, info.byteLength, this.header.dataStart + info.dataOffsets[0], this.path);
  }

  /** Every tensor, in file order. */
  readAll(): SafetensorsTensor[] {
    return this.names().map((name) => {
      const { dtype, shape } = this.info(name);
      return { name, dtype, shape: [...shape], data: this.read(name) };
    });
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Opens a file, runs `fn`, and closes the file whatever happens. */
export function withSafetensorsFile<T>(path: string, fn: (file: SafetensorsFile) => T): T {
  const f = new SafetensorsFile(path);
  try {
    return fn(f);
  } finally {
    f.close();
  }
}

/** Reads every tensor and the metadata of a file. */
export function readSafetensors(path: string): { tensors: SafetensorsTensor[]; metadata: Record<string, string> } {
  return withSafetensorsFile(path, (f) => ({ tensors: f.readAll(), metadata: { ...f.metadata } }));
}

/** Decodes a whole safetensors image in memory; tensor data are views into `buf` (no copy). */
export function decodeSafetensors(
  buf: Uint8Array,
  source = '<buffer>',
): { tensors: SafetensorsTensor[]; metadata: Record<string, string> } {
  const h = parseSafetensorsHeader(buf, source);
  const tensors: SafetensorsTensor[] = [];
  for (const [name, info] of h.tensors) {
    const [b, e] = info.dataOffsets;
    tensors.push({ name, dtype: info.dtype, shape: [...info.shape], data: buf.subarray(h.dataStart + b, h.dataStart + e) });
  }
  return { tensors, metadata: h.metadata };
}

/**
 * The serialized file as a list of chunks (length prefix, padded header, each tensor's bytes), so large models
 * can be written without concatenating them in memory.
 */
export function encodeSafetensorsChunks(
  tensors: readonly SafetensorsTensor[],
  metadata?: Record<string, string>,
  source = '<writer>',
): Uint8Array[] {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name.length === 0) throw new SafetensorsError(source, 'tensor with an empty name');
    if (t.name === '__metadata__') throw new SafetensorsError(source, "'__metadata__' is reserved and cannot name a tensor");
    if (seen.has(t.name)) throw new SafetensorsError(source, `tensor '${t.name}' given twice`);
    seen.add(t.name);
    if (!isSafetensorsDtype(t.dtype)) {
      throw new SafetensorsError(source, `tensor '${t.name}': unknown dtype ${JSON.stringify(t.dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) {
      throw new SafetensorsError(source, `tensor '${t.name}': shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const expected = elementCount(t.shape) * SAFETENSORS_ITEM_SIZE[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new SafetensorsError(
        source,
        `tensor '${t.name}': ${t.data.byteLength} bytes of data but ${t.dtype}[${t.shape.join(', ')}] needs ${expected}`,
      );
    }
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(source, `metadata '${k}' must be a string, got ${JSON.stringify(v)}`);
    }
  }
  // The reference library's order: dtype descending (by enum rank, i.e. alignment), then name (byte order).
  const sorted = [...tensors].sort((a, b) => {
    const r = DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)!;
    if (r !== 0) return r;
    return Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));
  });
  // Build the JSON by hand so key order is fixed: __metadata__ first (keys sorted for determinism), then tensors.
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    const keys = Object.keys(metadata).sort();
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of sorted) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Buffer.alloc(json.byteLength + ((8 - (json.byteLength % 8)) % 8), 0x20);
  json.copy(padded);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.byteLength));
  return [prefix, padded, ...sorted.map((t) => t.data)];
}

/** Serializes to one buffer. */
export function encodeSafetensors(tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Uint8Array {
  const chunks = encodeSafetensorsChunks(tensors, metadata);
  return Buffer.concat(chunks);
}

/** Writes a safetensors file atomically (readers see the old file or the whole new one). */
export function writeSafetensors(path: string, tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensorsChunks(tensors, metadata, path));
}

/**
 * A typed view of a tensor's bytes for the dtypes JavaScript has arrays for (F16/BF16 come back as raw
 * Uint16Array bit patterns, BOOL/F8 as Uint8Array, C64 as interleaved Float32Array). Copies only when the
 * bytes are not aligned for the element type. Little-endian hosts only, as the format itself.
 */
export function typedView(
  dtype: SafetensorsDtype,
  data: Uint8Array,
): Float64Array | Float32Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array {
  const size = SAFETENSORS_ITEM_SIZE[dtype];
  const bytes = data.byteOffset % size === 0 ? data : data.slice();
  const n = bytes.byteLength / size;
  const { buffer, byteOffset } = bytes;
  switch (dtype) {
    case 'F64': return new Float64Array(buffer, byteOffset, n);
    case 'F32': return new Float32Array(buffer, byteOffset, n);
    case 'C64': return new Float32Array(buffer, byteOffset, n * 2);
    case 'I64': return new BigInt64Array(buffer, byteOffset, n);
    case 'U64': return new BigUint64Array(buffer, byteOffset, n);
    case 'I32': return new Int32Array(buffer, byteOffset, n);
    case 'U32': return new Uint32Array(buffer, byteOffset, n);
    case 'I16': return new Int16Array(buffer, byteOffset, n);
    case 'U16': case 'F16': case 'BF16': return new Uint16Array(buffer, byteOffset, n);
    case 'I8': return new Int8Array(buffer, byteOffset, n);
    default: return new Uint8Array(buffer, byteOffset, n);
  }
}

/** The bytes of a typed array as a Uint8Array view (no copy), for `SafetensorsTensor.data`. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
