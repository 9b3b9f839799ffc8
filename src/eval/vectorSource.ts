import { Progress } from '../util/progress.js';
import type { EmbeddingsFile } from './embeddings.js';
import { type Encoder, packRows } from './encoder.js';

/** Where vectors come from: a precomputed embeddings file, or a model encoder. */
export type VectorSource = { kind: 'embeddings'; file: EmbeddingsFile } | { kind: 'model'; dir: string; encoder: Encoder; batchSize: number };

/**
 * The vectors of `ids` as one row-major matrix: gathered from the embeddings file by id, or encoded from `texts()`
 * (called only with a model) in batches, with a progress bar.
 */
export async function vectors(src: VectorSource, ids: string[], texts: () => string[], kind: 'query' | 'passage', what: string): Promise<Float32Array> {
  if (src.kind === 'embeddings') return src.file.gather(ids, what);
  const t = texts();
  // Batches of texts of similar length (by characters, a proxy for tokens): a batch is padded to its longest
  // text, so batching in pool order (sentences of 5 to 150 tokens side by side) cost twice the compute.
  const order = t.map((_, i) => i).sort((a, b) => t[b]!.length - t[a]!.length || a - b);
  const rows: Float32Array[] = new Array(t.length);
  const bar = new Progress({ total: t.length, label: `encode ${what}s`, unit: 'text' });
  for (let i = 0; i < order.length; i += src.batchSize) {
    const idx = order.slice(i, i + src.batchSize);
    const out = await src.encoder.encode(idx.map((k) => t[k]!), kind);
    idx.forEach((k, j) => (rows[k] = out[j]!));
    bar.tick(idx.length);
  }
  bar.finish();
  return packRows(rows, src.encoder.dim, what);
}

export const dimOf = (src: VectorSource): number => (src.kind === 'embeddings' ? src.file.dim : src.encoder.dim);
