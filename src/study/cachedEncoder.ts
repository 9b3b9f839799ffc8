/**
 * A study evaluates many models that share one tokenizer on the same texts (every run's MLQA-R pools, Tatoeba
 * sentences, ...). Tokenising is JavaScript and costs about as much as a small model's forward pass, so the study
 * keeps the token ids of every text it has seen, keyed by the tokenizer file's hash, the length limit and the
 * prefix, and only runs the forward pass per model. The vectors are the model's `encodeIds` output, the same as
 * `loadModelEncoder` gives (same prompts, same truncation).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../eval/encoder.js';
import { loadSentenceEncoder, prefixesOf } from '../models/index.js';

const cache = new Map<string, number[]>();

/** Bounds the cache (≈ 4 bytes × tokens per entry): beyond this many texts it is cleared rather than grown. */
const MAX_ENTRIES = 400_000;

export function loadCachedEncoder(dir: string, device = 'cpu', batchSize = 64): Encoder & { dispose(): void } {
  const enc = loadSentenceEncoder(dir, { device });
  const prefixes = prefixesOf(enc);
  const dim = enc.dimensionFor('model');
  let tokHash: string;
  try {
    tokHash = createHash('sha256').update(readFileSync(join(dir, 'tokenizer.json'))).digest('hex');
  } catch {
    tokHash = `dir:${dir}`; // no tokenizer.json: cache per model folder only
  }
  const scope = `${tokHash}\u0000${enc.maxSeqLength}`;
  return {
    dim,
    encode: async (texts, kind) => {
      const prefix = prefixes[kind] ?? '';
      const rows: number[][] = new Array(texts.length);
      const missing: number[] = [];
      texts.forEach((t, i) => {
        const ids = cache.get(`${scope}\u0000${prefix}\u0000${t}`);
        if (ids) rows[i] = ids;
        else missing.push(i);
      });
      if (missing.length) {
        const fresh = enc.tokenize(missing.map((i) => texts[i]!), { prefix });
        if (cache.size + fresh.length > MAX_ENTRIES) cache.clear();
        missing.forEach((i, k) => {
          rows[i] = fresh[k]!;
          cache.set(`${scope}\u0000${prefix}\u0000${texts[i]!}`, fresh[k]!);
        });
      }
      const { vectors } = enc.encodeIds(rows, { batchSize });
      return Array.from({ length: texts.length }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));
    },
    dispose: () => enc.dispose(),
  };
}
