import { fromArray, tidy, type Tensor } from '../../src/tensor/index.js';
import { Embedding, Module, TransformerEncoderLayer, additiveAttentionMask } from '../../src/nn/index.js';
import type { TextEncoder, TextRole } from '../../src/train/textEncoder.js';

/**
 * A character-level encoder for training tests: bytes → embedding → one BERT-layout layer →
 * mean pooling over non-padding positions. Small, but it has dropout and attention masks, which
 * is what GradCache's replay must get right.
 */
export class ToyEncoder extends Module implements TextEncoder {
  readonly emb: Embedding;
  readonly layer: TransformerEncoderLayer;
  lastTokenCount = 0;

  constructor(readonly hidden = 16, dropout = 0) {
    super();
    this.emb = this.module('emb', new Embedding(128, hidden, 0));
    this.layer = this.module('layer', new TransformerEncoderLayer({ hidden, heads: 2, intermediate: 2 * hidden, hiddenDropout: dropout, attentionDropout: dropout }));
  }


  embed(texts: readonly string[], role: TextRole): Tensor {
    const maxLen = role === 'query' ? 8 : 12;
    const rows = texts.map((t) => Array.from(t.slice(0, maxLen), (ch) => 1 + (ch.charCodeAt(0) % 127)));
    const S = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(texts.length * S);
    const mask = new Float32Array(texts.length * S);
    rows.forEach((r, i) => r.forEach((v, j) => {
      ids[i * S + j] = BigInt(v);
      mask[i * S + j] = 1;
    }));
    this.lastTokenCount = rows.reduce((n, r) => n + r.length, 0);
    return tidy(() => {
      const idT = fromArray(ids, [texts.length, S]);
      const m = fromArray(mask, [texts.length, S]);
      const h = this.layer.forward(this.emb.forward(idT), additiveAttentionMask(m));
      const w = m.unsqueeze(2);
      return h.mul(w).sum(1).div(w.sum(1).clampMin(1));
    });
  }
}
