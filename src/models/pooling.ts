/**
 * sentence-transformers' Pooling module: token embeddings [B, S, H] + attention mask [B, S] → sentence embedding.
 * Several modes concatenate in sentence-transformers' order (cls, max, mean, mean_sqrt_len).
 */
import { cat, tidy, type Tensor } from '../tensor/index.js';

export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

export function isPoolingMode(s: string): s is PoolingMode {
  return (POOLING_MODES as readonly string[]).includes(s);
}

export interface PoolingConfig {
  wordEmbeddingDimension: number;
  /** In sentence-transformers' concatenation order. */
  modes: PoolingMode[];
}

const KEYS: Record<PoolingMode, string> = {
  cls: 'pooling_mode_cls_token',
  max: 'pooling_mode_max_tokens',
  mean: 'pooling_mode_mean_tokens',
  mean_sqrt_len: 'pooling_mode_mean_sqrt_len_tokens',
};

/** sentence-transformers ≥ 6 names of the modes (`pooling_mode` in the config), polyret's names. */
const NEW_NAMES: Record<string, PoolingMode> = { cls: 'cls', max: 'max', mean: 'mean', mean_sqrt_len_tokens: 'mean_sqrt_len' };

/**
 * Parses a 1_Pooling/config.json in either layout: sentence-transformers ≥ 6 writes
 * `{embedding_dimension, pooling_mode: "cls" | ["cls", "mean", ...], include_prompt}`, earlier versions
 * `{word_embedding_dimension, pooling_mode_cls_token: true, ...}`. Unsupported modes (weightedmean, lasttoken)
 * and include_prompt false are errors.
 */
export function parsePoolingConfig(raw: unknown, source: string): PoolingConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: pooling config must be a JSON object`);
  const j = raw as Record<string, unknown>;
  const dimKey = j.embedding_dimension !== undefined ? 'embedding_dimension' : 'word_embedding_dimension';
  const dim = j[dimKey];
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
    throw new Error(`${source}: field "${dimKey}" must be a positive integer, got ${JSON.stringify(dim)}`);
  }
  if (j.include_prompt === false) throw new Error(`${source}: include_prompt false is not supported (the prompt tokens are always pooled)`);
  if (j.pooling_mode !== undefined) {
    const listed = typeof j.pooling_mode === 'string' ? [j.pooling_mode] : j.pooling_mode;
    if (!Array.isArray(listed) || listed.length === 0 || listed.some((m) => typeof m !== 'string')) {
      throw new Error(`${source}: field "pooling_mode" must be a mode name or a non-empty list of them, got ${JSON.stringify(j.pooling_mode)}`);
    }
    const modes = (listed as string[]).map((m) => {
      const mode = NEW_NAMES[m];
      if (!mode) throw new Error(`${source}: pooling_mode ${JSON.stringify(m)} is not supported (polyret pools ${Object.keys(NEW_NAMES).join(', ')})`);
      return mode;
    });
    // sentence-transformers concatenates in the listed order.
    return { wordEmbeddingDimension: dim, modes };
  }
  for (const k of ['pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken']) {
    if (j[k] === true) throw new Error(`${source}: ${k} is not supported (polyret pools cls, mean, max, mean_sqrt_len)`);
  }
  const modes = POOLING_MODES.filter((m) => {
    const v = j[KEYS[m]];
    if (v !== undefined && typeof v !== 'boolean') throw new Error(`${source}: field "${KEYS[m]}" must be true or false`);
    return v === true;
  });
  if (modes.length === 0) throw new Error(`${source}: no pooling mode is on (set one of ${Object.values(KEYS).join(', ')})`);
  return { wordEmbeddingDimension: dim, modes };
}

/** The 1_Pooling/config.json sentence-transformers writes. */
export function poolingConfigJson(c: PoolingConfig): Record<string, unknown> {
  return {
    word_embedding_dimension: c.wordEmbeddingDimension,
    pooling_mode_cls_token: c.modes.includes('cls'),
    pooling_mode_mean_tokens: c.modes.includes('mean'),
    pooling_mode_max_tokens: c.modes.includes('max'),
    pooling_mode_mean_sqrt_len_tokens: c.modes.includes('mean_sqrt_len'),
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
}

/** One pooling mode: hidden [B, S, H], mask [B, S] (1 = token) → [B, H]. */
export function pool(hidden: Tensor, mask: Tensor, mode: PoolingMode): Tensor {
  return tidy(() => {
    if (mode === 'cls') {
      // sentence-transformers (≥ 6) takes the first token the mask keeps, so left-padded rows pool their <s>/[CLS].
      const first = mask.to('int32').argmax(1).view(-1, 1, 1).expand(-1, 1, hidden.size(2));
      return hidden.gather(1, first).squeeze(1);
    }
    const m = mask.unsqueeze(-1).expandAs(hidden).to(hidden.dtype);
    if (mode === 'max') {
      // sentence-transformers sets padding positions to -inf (before version 6: -1e9) before the max.
      return hidden.maskedFill(m.eq(0), -Infinity).maxDim(1).values;
    }
    const sum = hidden.mul(m).sum(1);
    const count = m.sum(1).clampMin(1e-9);
    return mode === 'mean' ? sum.div(count) : sum.div(count.sqrt());
  });
}

/** All modes of a pooling config, concatenated along the feature dimension. */
export function poolAll(hidden: Tensor, mask: Tensor, modes: readonly PoolingMode[]): Tensor {
  if (modes.length === 1) return pool(hidden, mask, modes[0]!);
  return tidy(() => cat(modes.map((m) => pool(hidden, mask, m)), 1));
}
