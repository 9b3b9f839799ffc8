/**
 * The paper's dual encoder: queries and passages go through the SAME SentenceEncoder (shared weights), optionally
 * with E5-style text prefixes ("query: ", "passage: ").
 */
import type { Tensor } from '../tensor/index.js';
import type { EncodedTexts, EncodeOptions, PoolingChoice, SentenceEncoder } from './sentenceTransformer.js';

export interface QueryPassagePrefixes {
  query: string;
  passage: string;
}

export const NO_TEXT_PREFIXES: Readonly<QueryPassagePrefixes> = { query: '', passage: '' };
export const E5_TEXT_PREFIXES: Readonly<QueryPassagePrefixes> = { query: 'query: ', passage: 'passage: ' };

/** The encoder's own prompts (config_sentence_transformers.json `prompts.query` / `prompts.passage`), else none. */
export function prefixesOf(enc: SentenceEncoder): QueryPassagePrefixes {
  return { query: enc.prompts.query ?? '', passage: enc.prompts.passage ?? enc.prompts.document ?? '' };
}

export class DualEncoder {
  readonly prefixes: QueryPassagePrefixes;

  constructor(readonly encoder: SentenceEncoder, prefixes?: Partial<QueryPassagePrefixes>, readonly pooling: PoolingChoice = 'model') {
    this.prefixes = { ...prefixesOf(encoder), ...prefixes };
  }

  /** Query embeddings [N, D] with the autograd graph (training). */
  embedQueries(texts: readonly string[], maxLength?: number): Tensor {
    return this.encoder.embed(texts, { prefix: this.prefixes.query, maxLength, pooling: this.pooling });
  }

  /** Passage embeddings [N, D] with the autograd graph (training), through the same weights as the queries. */
  embedPassages(texts: readonly string[], maxLength?: number): Tensor {
    return this.encoder.embed(texts, { prefix: this.prefixes.passage, maxLength, pooling: this.pooling });
  }

  encodeQueries(texts: readonly string[], opts: Omit<EncodeOptions, 'prefix'> = {}): EncodedTexts {
    return this.encoder.encode(texts, { pooling: this.pooling, ...opts, prefix: this.prefixes.query });
  }

  encodePassages(texts: readonly string[], opts: Omit<EncodeOptions, 'prefix'> = {}): EncodedTexts {
    return this.encoder.encode(texts, { pooling: this.pooling, ...opts, prefix: this.prefixes.passage });
  }
}
