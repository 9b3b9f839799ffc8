import { full, softmax, where, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { Dropout } from './dropout.js';

/** The most negative float32: Hugging Face fills masked attention scores with finfo(float32).min. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Turns a [B, S] attention mask (1 = token, 0 = padding; int64, bool or float) into the additive
 * [B, 1, 1, S] mask that attention adds to its scores: 0 for tokens, finfo.min for padding.
 */
export function additiveAttentionMask(mask: Tensor): Tensor {
  const [b, s] = mask.shape as [number, number];
  const keep = mask.ne(0);
  const zeros = full([b, s], 0, { device: mask.device });
  const out = where(keep, zeros, FLOAT32_MIN);
  const v = out.view(b, 1, 1, s);
  keep.dispose();
  zeros.dispose();
  out.dispose();
  return v;
}

/**
 * Multi-head self-attention in BERT's layout (`query`, `key`, `value` projections; Hugging Face
 * module name `attention.self`). Scores are q·kᵀ/√d plus the additive padding mask.
 */
export class MultiHeadSelfAttention extends Module {
  readonly headDim: number;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dropout: Dropout;

  constructor(readonly hidden: number, readonly heads: number, dropoutP = 0.1, opts: { init?: 'torch' | 'bert'; device?: string } = {}) {
    super();
    if (hidden % heads !== 0) throw new Error(`attention: hidden size ${hidden} is not a multiple of the number of heads ${heads}`);
    this.headDim = hidden / heads;
    this.query = this.module('query', new Linear(hidden, hidden, opts));
    this.key = this.module('key', new Linear(hidden, hidden, opts));
    this.value = this.module('value', new Linear(hidden, hidden, opts));
    this.dropout = this.module('dropout', new Dropout(dropoutP));
  }

  private heads4d(x: Tensor, b: number, s: number): Tensor {
    // [B, S, H] → [B, heads, S, headDim]
    return x.view(b, s, this.heads, this.headDim).permute(0, 2, 1, 3);
  }

  /** x [B, S, H], mask: additive [B, 1, 1, S] or null → context [B, S, H]. */
  forward(x: Tensor, mask: Tensor | null): Tensor {
    const [b, s] = x.shape as [number, number, number];
    const q = this.heads4d(this.query.forward(x), b, s);
    const k = this.heads4d(this.key.forward(x), b, s);
    const v = this.heads4d(this.value.forward(x), b, s);
    let scores = q.matmul(k.transpose(-1, -2)).div(Math.sqrt(this.headDim));
    if (mask) scores = scores.add(mask);
    const probs = this.dropout.forward(softmax(scores, -1));
    return probs.matmul(v).permute(0, 2, 1, 3).reshape(b, s, this.hidden);
  }
}
