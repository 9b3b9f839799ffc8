import { closeSync, readSync } from 'node:fs';
import { readSafetensorsHeader, bytesOf } from '../tensor/safetensors.js';
import { assertFiniteRows } from '../util/finite.js';
import { openInput } from '../util/inputFile.js';

// The writer lives with the models (encode writes these files); re-exported for the readers' side.
export { writeEmbeddings } from '../models/embeddingOutput.js';

/**
 * Precomputed embeddings, as `polyret eval --embeddings` reads them: a safetensors file with one float32 tensor
 * `embeddings` of shape [N, D] and, in the header's `__metadata__`, `ids`: a JSON array of N strings naming the
 * rows (LAReQA: `q/<lang>/<question id>` and `c/<lang>/<article>/<paragraph>/<sentence>`; MIRACL: `q/<qid>`
 * and `d/<docid>`). Rows are read on demand, so a corpus larger than memory can be streamed in chunks.
 */
export class EmbeddingsFile {
  readonly ids: string[];
  readonly rows: number;
  readonly dim: number;
  private readonly dataStart: number;
  private fd: number | null;
  private indexCache: Map<string, number> | null = null;

  constructor(readonly path: string) {
    const h = readSafetensorsHeader(path);
    const info = h.tensors.get('embeddings');
    if (!info) throw new Error(`${path}: no tensor 'embeddings' (has ${[...h.tensors.keys()].join(', ') || 'none'}); expected float32 [N, D]`);
    if (info.dtype !== 'F32' || info.shape.length !== 2) {
      throw new Error(`${path}: tensor 'embeddings' is ${info.dtype}[${info.shape.join(', ')}]; expected F32 [N, D]`);
    }
    const idsText = h.metadata.ids;
    if (idsText === undefined) throw new Error(`${path}: __metadata__ has no 'ids' (a JSON array of N row ids)`);
    let ids: unknown;
    try {
      ids = JSON.parse(idsText);
    } catch (err) {
      throw new Error(`${path}: __metadata__.ids is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new Error(`${path}: __metadata__.ids must be a JSON array of strings`);
    const [n, d] = info.shape as [number, number];
    if (d === 0) throw new Error(`${path}: tensor 'embeddings' is [${n}, 0]: vectors of dimension 0; expected F32 [N, D] with D ≥ 1`);
    if (n === 0) throw new Error(`${path}: tensor 'embeddings' has no rows ([0, ${d}])`);
    if (ids.length !== n) throw new Error(`${path}: ${ids.length} ids for ${n} embedding rows`);
    this.ids = ids as string[];
    this.rows = n;
    this.dim = d;
    this.dataStart = h.dataStart + info.dataOffsets[0];
    this.fd = openInput(path, 'embeddings');
  }

  /** id → row; duplicate ids are an error. */
  index(): Map<string, number> {
    if (!this.indexCache) {
      const m = new Map<string, number>();
      this.ids.forEach((id, i) => {
        if (m.has(id)) throw new Error(`${this.path}: id '${id}' names two rows (${m.get(id)} and ${i})`);
        m.set(id, i);
      });
      this.indexCache = m;
    }
    return this.indexCache;
  }

  /** Rows [start, end) as one Float32Array [(end − start) × D]. */
  readRows(start: number, end: number): Float32Array {
    if (this.fd === null) throw new Error(`${this.path}: read after close()`);
    const out = new Float32Array((end - start) * this.dim);
    const bytes = bytesOf(out);
    let off = 0;
    const pos = this.dataStart + start * this.dim * 4;
    while (off < bytes.byteLength) {
      const n = readSync(this.fd, bytes, off, bytes.byteLength - off, pos + off);
      if (n === 0) throw new Error(`${this.path}: file ends inside the embeddings tensor`);
      off += n;
    }
    // Every vector read is checked: a NaN row would be ranked and averaged into a plausible-looking score.
    assertFiniteRows(out, this.dim, (r) => this.ids[start + r]!, `${this.path}: embeddings`);
    return out;
  }

  /** The rows named by `ids`, in that order, as one Float32Array [ids.length × D]; a missing id is an error. */
  gather(ids: readonly string[], what = 'row'): Float32Array {
    const index = this.index();
    const out = new Float32Array(ids.length * this.dim);
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const r = index.get(id);
      if (r === undefined) {
        missing.push(id);
        return;
      }
      out.set(this.readRows(r, r + 1), i * this.dim);
    });
    if (missing.length) {
      throw new Error(`${this.path}: no embedding for ${missing.length} ${what}(s), e.g. '${missing.slice(0, 3).join("', '")}'`);
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
