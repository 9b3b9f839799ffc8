import { tidy, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { LayerNorm } from './layerNorm.js';
import { Dropout } from './dropout.js';
import { MultiHeadSelfAttention } from './attention.js';
import { activation } from './activation.js';

export interface TransformerLayerConfig {
  hidden: number;
  heads: number;
  intermediate: number;
  hiddenAct?: string;
  hiddenDropout?: number;
  attentionDropout?: number;
  layerNormEps?: number;
  init?: 'torch' | 'bert';
  device?: string;
}

/** dense → dropout → residual add → LayerNorm (Hugging Face's BertSelfOutput / BertOutput). */
export class ResidualOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(inDim: number, outDim: number, dropoutP: number, eps: number, opts: { init?: 'torch' | 'bert'; device?: string }) {
    super();
    this.dense = this.module('dense', new Linear(inDim, outDim, opts));
    this.LayerNorm = this.module('LayerNorm', new LayerNorm(outDim, eps, opts));
    this.dropout = this.module('dropout', new Dropout(dropoutP));
  }

  forward(x: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dropout.forward(this.dense.forward(x)).add(residual));
  }
}

class AttentionBlock extends Module {
  readonly self: MultiHeadSelfAttention;
  readonly output: ResidualOutput;

  constructor(c: Required<Omit<TransformerLayerConfig, 'device'>> & { device?: string }) {
    super();
    this.self = this.module('self', new MultiHeadSelfAttention(c.hidden, c.heads, c.attentionDropout, c));
    this.output = this.module('output', new ResidualOutput(c.hidden, c.hidden, c.hiddenDropout, c.layerNormEps, c));
  }
}

class Intermediate extends Module {
  readonly dense: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(hidden: number, intermediate: number, act: string, opts: { init?: 'torch' | 'bert'; device?: string }) {
    super();
    this.dense = this.module('dense', new Linear(hidden, intermediate, opts));
    this.act = activation(act);
  }

  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x));
  }
}

/**
 * A post-LN Transformer encoder layer in BERT/XLM-R's layout and Hugging Face's names
 * (`attention.self.query`, `attention.output.dense`, `intermediate.dense`, `output.LayerNorm`, ...):
 *   a = LN(x + drop(W_o · attn(x)));  y = LN(a + drop(W_2 · act(W_1 · a)))
 */
export class TransformerEncoderLayer extends Module {
  readonly attention: AttentionBlock;
  readonly intermediate: Intermediate;
  readonly output: ResidualOutput;

  constructor(config: TransformerLayerConfig) {
    super();
    const c = {
      hiddenAct: 'gelu',
      hiddenDropout: 0.1,
      attentionDropout: 0.1,
      layerNormEps: 1e-12,
      init: 'bert' as const,
      ...config,
    };
    this.attention = this.module('attention', new AttentionBlock(c));
    this.intermediate = this.module('intermediate', new Intermediate(c.hidden, c.intermediate, c.hiddenAct, c));
    this.output = this.module('output', new ResidualOutput(c.intermediate, c.hidden, c.hiddenDropout, c.layerNormEps, c));
  }

  /** x [B, S, H]; mask: additive [B, 1, 1, S] (see additiveAttentionMask) or null. */
  forward(x: Tensor, mask: Tensor | null): Tensor {
    // Intermediates are released at the end of the layer; autograd keeps what backward needs.
    return tidy(() => {
      const ctx = this.attention.self.forward(x, mask);
      const a = this.attention.output.forward(ctx, x);
      return this.output.forward(this.intermediate.forward(a), a);
    });
  }
}
