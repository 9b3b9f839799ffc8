import { arange, noGrad, tidy, zerosLike, type Tensor } from '../tensor/index.js';
import { Linear, Module, ModuleGroup, ModuleList, TransformerEncoderLayer, additiveAttentionMask } from '../nn/index.js';
import type { EncoderConfig } from './config.js';
import { BertEmbeddings } from './embeddings.js';

/** tanh(W · h[:, 0] + b): BERT's pooler over the first ([CLS]) token. */
export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(hidden: number) {
    super();
    this.dense = this.module('dense', new Linear(hidden, hidden, { init: 'bert' }));
  }

  forward(hidden: Tensor): Tensor {
    return tidy(() => this.dense.forward(hidden.select(1, 0)).tanh());
  }
}

export interface EncoderInputs {
  /** int64 [B, S]. */
  inputIds: Tensor;
  /** [B, S], 1 for tokens and 0 for padding. */
  attentionMask: Tensor;
  /** int64 [B, S]; zeros when omitted. */
  tokenTypeIds?: Tensor | null;
}

export interface EncoderOutput {
  /** [B, S, H]. */
  lastHiddenState: Tensor;
  /** [B, H], when the model has a pooler. */
  poolerOutput: Tensor | null;
}

export interface EncoderModelOptions {
  /** Build the pooler (transformers' add_pooling_layer; default true). */
  addPoolingLayer?: boolean;
}

/**
 * Hugging Face's BertModel: embeddings → post-LN Transformer layers (`encoder.layer.N`) → optional pooler, with
 * transformers' parameter names so a checkpoint loads name for name. Dropout acts only in training mode.
 */
export class BertModel extends Module {
  readonly embeddings: BertEmbeddings;
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly pooler: BertPooler | null;

  constructor(readonly config: EncoderConfig, opts: EncoderModelOptions = {}) {
    super();
    this.embeddings = this.module('embeddings', this.makeEmbeddings(config));
    const encoder = this.module('encoder', new ModuleGroup());
    const layers: TransformerEncoderLayer[] = [];
    for (let i = 0; i < config.numHiddenLayers; i++) {
      layers.push(new TransformerEncoderLayer({
        hidden: config.hiddenSize,
        heads: config.numAttentionHeads,
        intermediate: config.intermediateSize,
        hiddenAct: config.hiddenAct,
        hiddenDropout: config.hiddenDropoutProb,
        attentionDropout: config.attentionProbsDropoutProb,
        layerNormEps: config.layerNormEps,
        init: 'bert',
      }));
    }
    this.layers = encoder.add('layer', new ModuleList(layers));
    this.pooler = opts.addPoolingLayer === false ? null : this.module('pooler', new BertPooler(config.hiddenSize));
    this.eval();
  }

  protected makeEmbeddings(c: EncoderConfig): BertEmbeddings {
    return new BertEmbeddings(c, null);
  }

  /** transformers' class name, written into config.json's `architectures` on save. */
  get architecture(): string {
    return 'BertModel';
  }

  /** BERT numbers positions 0..S-1 in every row. */
  positionIds(inputIds: Tensor): Tensor {
    const [b, s] = inputIds.shape as [number, number];
    return noGrad(() => tidy(() => arange(s, undefined, 1, { device: inputIds.device }).unsqueeze(0).expand(b, s).contiguous()));
  }

  forward(inp: EncoderInputs): EncoderOutput {
    const [, s] = inp.inputIds.shape as [number, number];
    if (s > this.config.maxPositionEmbeddings) {
      throw new Error(`input of ${s} tokens exceeds max_position_embeddings ${this.config.maxPositionEmbeddings} of ${this.config.source}`);
    }
    return tidy(() => {
      const types = inp.tokenTypeIds ?? zerosLike(inp.inputIds);
      let h = this.embeddings.forward(inp.inputIds, types, this.positionIds(inp.inputIds));
      const mask = additiveAttentionMask(inp.attentionMask);
      for (const layer of this.layers.items) {
        const next = layer.forward(h, mask);
        // Autograd keeps what backward needs; releasing the handle bounds memory to about one layer at inference.
        h.dispose();
        h = next;
      }
      return { lastHiddenState: h, poolerOutput: this.pooler ? this.pooler.forward(h) : null };
    });
  }
}
