import type { Tensor } from '../tensor/index.js';
import type { NamedTensor } from '../nn/index.js';

/** Queries and passages may be truncated to different lengths (the recipe's max query/passage length). */
export type TextRole = 'query' | 'passage';

/**
 * What training needs from a model: texts in, one embedding per text out, with an autograd graph
 * when gradients are enabled; its trainable parameters by name; a train/eval switch (dropout).
 * Prefixes ("query: ", "passage: ") are already on the texts.
 */
export interface TextEncoder {
  /** [N, D] embeddings of `texts` (tokenised and truncated for `role`). */
  embed(texts: readonly string[], role: TextRole): Tensor;
  /** Every trainable parameter, by a stable name (the names checkpoints use). */
  namedParameters(): NamedTensor[];
  train(on?: boolean): unknown;
  /** Number of non-padding tokens the last `embed` call processed (for tokens/s). */
  readonly lastTokenCount?: number;
}
