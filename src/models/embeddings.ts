import type { Tensor } from '../tensor/index.js';
import { Dropout, Embedding, LayerNorm, Module } from '../nn/index.js';
import type { EncoderConfig } from './config.js';

/**
 * Hugging Face's BertEmbeddings / RobertaEmbeddings: word + token-type + position embeddings, then LayerNorm and
 * dropout. Parameter names are transformers' (`word_embeddings`, `position_embeddings`, `token_type_embeddings`,
 * `LayerNorm`). RoBERTa's position table has a padding row (`padding_idx` = pad id), BERT's has none.
 */
export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(c: EncoderConfig, positionPaddingIdx: number | null) {
    super();
    const std = c.initializerRange;
    this.word_embeddings = this.module('word_embeddings', new Embedding(c.vocabSize, c.hiddenSize, c.padTokenId, { std }));
    this.position_embeddings = this.module('position_embeddings', new Embedding(c.maxPositionEmbeddings, c.hiddenSize, positionPaddingIdx, { std }));
    this.token_type_embeddings = this.module('token_type_embeddings', new Embedding(c.typeVocabSize, c.hiddenSize, null, { std }));
    this.LayerNorm = this.module('LayerNorm', new LayerNorm(c.hiddenSize, c.layerNormEps));
    this.dropout = this.module('dropout', new Dropout(c.hiddenDropoutProb));
  }

  /** ids, token types and position ids: int64 [B, S] → [B, S, H]. */
  forward(inputIds: Tensor, tokenTypeIds: Tensor, positionIds: Tensor): Tensor {
    // Same order of additions as transformers (word + type, then + position), so rounding matches too.
    const x = this.word_embeddings.forward(inputIds).add(this.token_type_embeddings.forward(tokenTypeIds));
    const y = x.add(this.position_embeddings.forward(positionIds));
    return this.dropout.forward(this.LayerNorm.forward(y));
  }
}
