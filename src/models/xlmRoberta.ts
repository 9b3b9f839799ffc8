import { noGrad, tidy, type Tensor } from '../tensor/index.js';
import type { EncoderConfig } from './config.js';
import { BertEmbeddings } from './embeddings.js';
import { BertModel } from './bert.js';

/**
 * transformers' create_position_ids_from_input_ids: non-padding tokens are numbered padding_idx + 1,
 * padding_idx + 2, ... in order, skipping padding tokens, which get padding_idx (wherever they are in the row).
 */
export function createPositionIdsFromInputIds(inputIds: Tensor, paddingIdx: number): Tensor {
  return noGrad(() => tidy(() => {
    const mask = inputIds.ne(paddingIdx).long();
    return mask.cumsum(1).mul(mask).add(paddingIdx);
  }));
}

/**
 * Hugging Face's XLMRobertaModel (and RobertaModel): BertModel's layers with RoBERTa's embeddings, whose position
 * ids start at padding_idx + 1 and skip padding, and whose position table has a zero padding row.
 */
export class XLMRobertaModel extends BertModel {
  protected override makeEmbeddings(c: EncoderConfig): BertEmbeddings {
    return new BertEmbeddings(c, c.padTokenId);
  }

  override get architecture(): string {
    return this.config.modelType === 'roberta' ? 'RobertaModel' : 'XLMRobertaModel';
  }

  override positionIds(inputIds: Tensor): Tensor {
    return createPositionIdsFromInputIds(inputIds, this.config.padTokenId);
  }
}

/** The model class a config asks for. */
export function createEncoderModel(c: EncoderConfig, opts: { addPoolingLayer?: boolean } = {}): BertModel {
  return c.modelType === 'bert' ? new BertModel(c, opts) : new XLMRobertaModel(c, opts);
}
