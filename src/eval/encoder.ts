import { loadSentenceEncoder, prefixesOf } from '../models/index.js';
import { assertFiniteRows } from '../util/finite.js';
import type { Precision } from '../tensor/index.js';

/**
 * The seam between evaluation and a model: anything that turns texts into vectors. `polyret eval --model DIR`
 * uses a sentence-transformers / Hugging Face folder through `loadModelEncoder`; `--embeddings FILE` needs no model.
 */
export interface Encoder {
  readonly dim: number;
  /** One vector per text; `kind` lets asymmetric models use query/passage prefixes. */
  encode(texts: string[], kind: 'query' | 'passage'): Promise<Float32Array[]>;
}

/**
 * A model folder as an evaluation encoder: the folder's own pipeline (Pooling/Dense/Normalize) and its own
 * query/passage prompts (config_sentence_transformers.json), batched by length. `precision: 'bf16'` runs the
 * forward under autocast; the vectors are float32 either way.
 */
export async function loadModelEncoder(dir: string, device = 'cpu', opts: { batchSize?: number; maxLength?: number; precision?: Precision } = {}): Promise<Encoder> {
  const enc = loadSentenceEncoder(dir, { device });
  const prefixes = prefixesOf(enc);
  const dim = enc.dimensionFor('model');
  return {
    dim,
    encode: async (texts, kind) => {
      // The caller (runEval) shows progress over all its chunks.
      const { vectors } = enc.encode(texts, { prefix: prefixes[kind], batchSize: opts.batchSize, maxLength: opts.maxLength, precision: opts.precision });
      assertFiniteRows(vectors, dim, (r) => `${kind} ${r}: ${texts[r]!.slice(0, 60)}`, `${dir}: the model produced non-finite ${kind} embeddings`, 'the model weights or inputs are damaged');
      return Array.from({ length: texts.length }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));
    },
  };
}

/** Packs per-text vectors into one row-major matrix, checking every length. */
export function packRows(rows: readonly Float32Array[], dim: number, what: string): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new Error(`${what} ${i}: vector of length ${r.length}, expected ${dim}`);
    out.set(r, i * dim);
  });
  return out;
}
