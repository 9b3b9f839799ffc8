import { closeSync, openSync, fstatSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { readAt, scanLines } from './lineScanner.js';

/**
 * An on-disk offset index for `<integer id>\t<text>` files (mMARCO's queries and collections), so
 * that a text is found with two positioned reads and the texts never sit in memory.
 *
 * File layout: 16-byte header ("PRTSVIX1", entry count as float64), then entries sorted by id,
 * each three float64 (id, byte offset, byte length of the text). Every 1024th id stays in memory as
 * a fence; a lookup reads one block of ≤ 1024 entries (24 KiB) and one text.
 */
const MAGIC = 'PRTSVIX1';
const HEADER = 16;
const ENTRY = 24;
const BLOCK = 1024;

/** Ids present in a TSV, for availability checks while building: a bitmap over the id range. */
export interface IdSet {
  has(id: number): boolean;
}

class BitmapIdSet implements IdSet {
  constructor(private readonly bits: Uint8Array) {}
  has(id: number): boolean {
    return id < this.bits.length * 8 && (this.bits[id >>> 3]! & (1 << (id & 7))) !== 0;
  }
}

class SortedIdSet implements IdSet {
  constructor(private readonly ids: Float64Array) {}
  has(id: number): boolean {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.ids.length && this.ids[lo] === id;
  }
}

/** Parses the integer id before the first tab of a line; throws naming file and line. */
function parseIdPrefix(buf: Buffer, start: number, end: number, path: string, lineNo: number): { id: number; textStart: number } {
  let id = 0;
  let i = start;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 9) break;
    if (c < 48 || c > 57) {
      throw new Error(`${path}:${lineNo}: expected "<integer id><TAB><text>", found ${JSON.stringify(buf.toString('utf8', start, Math.min(end, start + 40)))}`);
    }
    id = id * 10 + (c - 48);
  }
  if (i === start || i === end) {
    throw new Error(`${path}:${lineNo}: expected "<integer id><TAB><text>" (no tab after the id)`);
  }
  if (id > 0xffffffff) throw new Error(`${path}:${lineNo}: id ${id} is too large (ids must be below 2^32)`);
  return { id, textStart: i + 1 };
}

/**
 * Scans a TSV and writes its index to `indexPath`. Returns the set of ids for availability checks.
 * Memory while building: 24 bytes per line (typed arrays), never the texts.
 */
export function buildTsvIndex(path: string, indexPath: string, onProgress?: (bytes: number) => void): IdSet {
  let cap = 1 << 16;
  let ids = new Float64Array(cap);
  let offs = new Float64Array(cap);
  let lens = new Float64Array(cap);
  let n = 0;
  let sorted = true;
  let lastReport = 0;
  scanLines(path, (buf, start, end, byteOffset, lineNo) => {
    if (start === end) return;
    const { id, textStart } = parseIdPrefix(buf, start, end, path, lineNo);
    if (n === cap) {
      cap *= 2;
      const a = new Float64Array(cap); a.set(ids); ids = a;
      const b = new Float64Array(cap); b.set(offs); offs = b;
      const c = new Float64Array(cap); c.set(lens); lens = c;
    }
    if (n > 0 && id <= ids[n - 1]!) sorted = false;
    ids[n] = id;
    offs[n] = byteOffset + (textStart - start);
    lens[n] = end - textStart;
    n++;
    if (onProgress && byteOffset - lastReport > 16 << 20) {
      onProgress(byteOffset - lastReport);
      lastReport = byteOffset;
    }
  });
  let order: Uint32Array | null = null;
  if (!sorted) {
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const key = ids;
    order.sort((a, b) => key[a]! - key[b]!);
  }
  const out = new Float64Array(2 + n * 3);
  const head = Buffer.from(out.buffer, 0, 8);
  head.write(MAGIC, 0, 'latin1');
  out[1] = n;
  const sortedIds = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    const id = ids[i]!;
    if (k > 0 && id === sortedIds[k - 1]) throw new Error(`${path}: id ${id} appears on more than one line`);
    sortedIds[k] = id;
    out[2 + k * 3] = id;
    out[3 + k * 3] = offs[i]!;
    out[4 + k * 3] = lens[i]!;
  }
  writeFileAtomic(indexPath, new Uint8Array(out.buffer));
  const max = n > 0 ? sortedIds[n - 1]! : 0;
  if (max < 1 << 28) {
    const bits = new Uint8Array((max >>> 3) + 1);
    for (let k = 0; k < n; k++) {
      const id = sortedIds[k]!;
      bits[id >>> 3]! |= 1 << (id & 7);
    }
    return new BitmapIdSet(bits);
  }
  return new SortedIdSet(sortedIds);
}

/** Lookup of texts by id through an index written by {@link buildTsvIndex}. */
export class TsvIndex {
  private readonly fd: number;
  private readonly idxFd: number;
  readonly count: number;
  private readonly fences: Float64Array;
  // The last block read: consecutive lookups often hit the same block (sorted ids, small corpora).
  private cacheBlock = -1;
  private cache: Float64Array<ArrayBufferLike> = new Float64Array(0);

  constructor(readonly path: string, readonly indexPath: string) {
    this.idxFd = openSync(indexPath, 'r');
    const head = readAt(this.idxFd, 0, HEADER);
    if (head.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${indexPath}: not a polyret TSV index`);
    this.count = head.readDoubleLE(8);
    const size = fstatSync(this.idxFd).size;
    if (size !== HEADER + this.count * ENTRY) throw new Error(`${indexPath}: truncated index (${size} bytes for ${this.count} entries)`);
    const nBlocks = Math.ceil(this.count / BLOCK);
    this.fences = new Float64Array(nBlocks);
    for (let b = 0; b < nBlocks; b++) this.fences[b] = readAt(this.idxFd, HEADER + b * BLOCK * ENTRY, 8).readDoubleLE(0);
    this.fd = openSync(path, 'r');
  }

  /** The text for `id`, or undefined when the file has no such id. */
  get(id: number): string | undefined {
    // Last fence ≤ id.
    let lo = 0;
    let hi = this.fences.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.fences[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    const block = lo - 1;
    if (block < 0) return undefined;
    if (block !== this.cacheBlock) {
      const k = Math.min(BLOCK, this.count - block * BLOCK);
      const buf = readAt(this.idxFd, HEADER + block * BLOCK * ENTRY, k * ENTRY);
      this.cache = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      this.cacheBlock = block;
    }
    const e = this.cache;
    let a = 0;
    let b = e.length / 3;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (e[mid * 3]! < id) a = mid + 1;
      else b = mid;
    }
    if (a * 3 >= e.length || e[a * 3] !== id) return undefined;
    return readAt(this.fd, e[a * 3 + 1]!, e[a * 3 + 2]!).toString('utf8');
  }

  close(): void {
    closeSync(this.fd);
    closeSync(this.idxFd);
  }
}
