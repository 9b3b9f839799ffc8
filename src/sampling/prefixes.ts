import type { TextBatch } from './hybridBatchSampler.js';

/**
 * Text prefixes added after sampling, as E5 models expect (`"query: "`, `"passage: "`). Kept out
 * of the sampler so that duplicate-text checks and the CLI see the data as written.
 */
export interface Prefixes {
  query: string;
  passage: string;
}

export const E5_PREFIXES: Readonly<Prefixes> = { query: 'query: ', passage: 'passage: ' };
export const NO_PREFIXES: Readonly<Prefixes> = { query: '', passage: '' };

/** A copy of the batch with every query and passage prefixed. */
export function applyPrefixes(batch: TextBatch, p: Prefixes): TextBatch {
  return {
    ...batch,
    items: batch.items.map((it) => ({
      ...it,
      query: p.query + it.query,
      positive: p.passage + it.positive,
      negatives: it.negatives.map((n) => p.passage + n),
    })),
  };
}
