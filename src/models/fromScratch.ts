/**
 * Encoders built from a config alone, for small studies where no pretrained weights can be downloaded.
 * Initialisation is BERT's (`BertPreTrainedModel._init_weights`): Linear and Embedding weights N(0, 0.02)
 * (initializer_range), biases 0, LayerNorm weight 1 and bias 0, the embedding padding row 0.
 */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { manualSeed } from '../tensor/index.js';
import { newEncoderConfig, type EncoderModelType } from './config.js';
import { createEncoderModel } from './xlmRoberta.js';
import { HfTokenizer } from './tokenizer.js';
import { SentenceEncoder } from './sentenceTransformer.js';
import { TOKENIZER_FILES } from './load.js';
import type { PoolingMode } from './pooling.js';

export interface FromScratchOptions {
  arch: EncoderModelType;
  layers: number;
  hidden: number;
  heads: number;
  /** Default 4 × hidden. */
  intermediate?: number;
  /** tokenizer.json whose vocabulary sizes the embedding table; its folder's tokenizer files are kept. */
  vocabFrom: string;
  /** Longest input in tokens (default: the tokenizer's model_max_length, else 512). */
  maxLength?: number;
  /** Sentence pooling (default 'cls', the paper's). */
  pooling?: PoolingMode;
  /** Add a Normalize module after pooling (default false). */
  normalize?: boolean;
  /** libtorch RNG seed for the initial weights (default 0). */
  seed?: number;
  hiddenAct?: string;
  /** Hidden and attention dropout (default 0.1). */
  dropout?: number;
}

/** A new randomly initialised encoder with a tokenizer, ready to train or to save. */
export function createEncoderFromScratch(o: FromScratchOptions): SentenceEncoder {
  for (const [k, v] of [['layers', o.layers], ['hidden', o.hidden], ['heads', o.heads]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`from scratch: ${k} must be a positive integer, got ${v}`);
  }
  if (o.hidden % o.heads !== 0) throw new Error(`from scratch: hidden ${o.hidden} is not a multiple of heads ${o.heads}`);
  const tokenizer = HfTokenizer.fromFile(o.vocabFrom);
  const pad = tokenizer.padTokenId;
  if (pad === undefined) throw new Error(`${o.vocabFrom}: the tokenizer has no pad token, which a model needs for padding_idx`);
  const maxLength = o.maxLength ?? tokenizer.modelMaxLength ?? 512;
  const config = newEncoderConfig({
    modelType: o.arch,
    vocabSize: tokenizer.vocabSize,
    hiddenSize: o.hidden,
    numHiddenLayers: o.layers,
    numAttentionHeads: o.heads,
    intermediateSize: o.intermediate,
    maxLength,
    padTokenId: pad,
    typeVocabSize: o.arch === 'bert' ? 2 : 1,
    hiddenAct: o.hiddenAct,
    dropout: o.dropout,
    bosTokenId: o.arch === 'bert' ? undefined : tokenizer.specialTokens.bos?.id,
    eosTokenId: o.arch === 'bert' ? undefined : tokenizer.specialTokens.eos?.id,
  });
  manualSeed(o.seed ?? 0);
  const model = createEncoderModel(config, { addPoolingLayer: true });
  const dir = dirname(o.vocabFrom);
  const tokenizerFiles = [o.vocabFrom, ...TOKENIZER_FILES.filter((f) => f !== 'tokenizer.json').map((f) => join(dir, f)).filter((p) => existsSync(p))];
  const hidden = config.hiddenSize;
  return new SentenceEncoder({
    transformer: model,
    tokenizer,
    stages: [
      { kind: 'pooling', path: '1_Pooling', config: { wordEmbeddingDimension: hidden, modes: [o.pooling ?? 'cls'] } },
      ...(o.normalize ? [{ kind: 'normalize' as const, path: '2_Normalize' }] : []),
    ],
    maxSeqLength: maxLength,
    tokenizerFiles,
  });
}
