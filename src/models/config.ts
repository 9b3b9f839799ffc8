/**
 * A Hugging Face encoder's config.json (BERT, RoBERTa, XLM-RoBERTa families), parsed and checked before any tensor
 * is built. Missing fields take transformers' defaults (BertConfig / XLMRobertaConfig), present fields must have the
 * right type, and an architecture polyret cannot run is a clear error naming the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { activation } from '../nn/activation.js';

/** The `model_type`s polyret runs: BERT layout, and the RoBERTa layout with padding-aware position ids. */
export const SUPPORTED_MODEL_TYPES = ['bert', 'xlm-roberta', 'roberta'] as const;
export type EncoderModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

export interface EncoderConfig {
  modelType: EncoderModelType;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** transformers' `hidden_act` name ('gelu' is the exact erf form). */
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  initializerRange: number;
  /** The whole config.json as read (or built), so saving writes back every field transformers expects. */
  raw: Record<string, unknown>;
  /** Where it came from, for error messages. */
  source: string;
}

/** Whether position ids are counted RoBERTa-style (from padding_idx + 1, skipping padding). */
export function usesRobertaPositions(c: Pick<EncoderConfig, 'modelType'>): boolean {
  return c.modelType !== 'bert';
}

/** Tokens a model can take: RoBERTa-family models lose padding_idx + 1 positions to their numbering. */
export function maxSequenceLength(c: EncoderConfig): number {
  return usesRobertaPositions(c) ? c.maxPositionEmbeddings - c.padTokenId - 1 : c.maxPositionEmbeddings;
}

const KNOWN_OTHER = /^(distilbert|albert|electra|deberta|deberta-v2|mpnet|camembert|xlm|t5|mt5|gpt2|llama|mistral|qwen2|bge-m3|modernbert|nomic_bert|xlm-roberta-xl)$/;

type Json = Record<string, unknown>;

function num(raw: Json, key: string, fallback: number, source: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${source}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  if (opts.int && !Number.isInteger(v)) throw new Error(`${source}: field "${key}" must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw new Error(`${source}: field "${key}" must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new Error(`${source}: field "${key}" must be ≤ ${opts.max}, got ${v}`);
  return v;
}

/**
 * Parses a config.json object. Throws an Error naming `source` and the field for an unsupported `model_type`,
 * a non-absolute position embedding, an unknown `hidden_act`, a wrong-typed field or inconsistent sizes.
 */
export function parseEncoderConfig(raw: unknown, source: string): EncoderConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: config must be a JSON object`);
  const j = raw as Json;
  const mt = j.model_type;
  if (typeof mt !== 'string') {
    const arch = Array.isArray(j.architectures) ? ` (architectures: ${j.architectures.join(', ')})` : '';
    throw new Error(`${source}: field "model_type" missing${arch}; expected one of ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(mt)) {
    const hint = KNOWN_OTHER.test(mt) ? ` (${mt} is a different architecture)` : '';
    throw new Error(`${source}: unsupported architecture model_type "${mt}"${hint}; polyret runs ${SUPPORTED_MODEL_TYPES.join(', ')} encoders (BERT, mBERT, LaBSE, MiniLM, XLM-R, mE5, ...)`);
  }
  const modelType = mt as EncoderModelType;
  const pet = j.position_embedding_type;
  if (pet !== undefined && pet !== null && pet !== 'absolute') {
    throw new Error(`${source}: position_embedding_type "${String(pet)}" is not supported (only "absolute")`);
  }
  if (j.is_decoder === true || j.add_cross_attention === true) throw new Error(`${source}: decoder / cross-attention configs are not supported (encoders only)`);
  const hiddenAct = j.hidden_act ?? 'gelu';
  if (typeof hiddenAct !== 'string') throw new Error(`${source}: field "hidden_act" must be a string, got ${JSON.stringify(hiddenAct)}`);
  try {
    activation(hiddenAct);
  } catch (err) {
    throw new Error(`${source}: field "hidden_act": ${(err as Error).message}`);
  }
  const roberta = modelType !== 'bert';
  const int = { int: true, min: 1 };
  const c: EncoderConfig = {
    modelType,
    vocabSize: num(j, 'vocab_size', roberta ? 250002 : 30522, source, int),
    hiddenSize: num(j, 'hidden_size', 768, source, int),
    numHiddenLayers: num(j, 'num_hidden_layers', 12, source, { int: true, min: 0 }),
    numAttentionHeads: num(j, 'num_attention_heads', 12, source, int),
    intermediateSize: num(j, 'intermediate_size', 3072, source, int),
    hiddenAct,
    hiddenDropoutProb: num(j, 'hidden_dropout_prob', 0.1, source, { min: 0, max: 0.999 }),
    attentionProbsDropoutProb: num(j, 'attention_probs_dropout_prob', 0.1, source, { min: 0, max: 0.999 }),
    maxPositionEmbeddings: num(j, 'max_position_embeddings', 512, source, int),
    typeVocabSize: num(j, 'type_vocab_size', roberta ? 1 : 2, source, int),
    layerNormEps: num(j, 'layer_norm_eps', 1e-12, source, { min: 0 }),
    padTokenId: num(j, 'pad_token_id', roberta ? 1 : 0, source, { int: true, min: 0 }),
    initializerRange: num(j, 'initializer_range', 0.02, source, { min: 0 }),
    raw: { ...j },
    source,
  };
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new Error(`${source}: hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numAttentionHeads}`);
  }
  if (c.padTokenId >= c.vocabSize) throw new Error(`${source}: pad_token_id ${c.padTokenId} is outside vocab_size ${c.vocabSize}`);
  if (roberta && c.padTokenId + 1 >= c.maxPositionEmbeddings) {
    throw new Error(`${source}: max_position_embeddings ${c.maxPositionEmbeddings} leaves no position after padding_idx ${c.padTokenId}`);
  }
  return c;
}

/** Reads and parses a config.json file. */
export function readEncoderConfig(path: string): EncoderConfig {
  if (!existsSync(path)) throw new Error(`model config not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: config.json is not valid JSON (${(err as Error).message})`);
  }
  return parseEncoderConfig(raw, path);
}

/** The config.json to write: the original fields, with the parsed values (which are what the model uses). */
export function encoderConfigJson(c: EncoderConfig, architecture?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...c.raw,
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    initializer_range: c.initializerRange,
  };
  if (architecture) out.architectures = [architecture];
  // transformers 5 no longer writes position_embedding_type (absolute is the only kind it runs): nothing is added.
  return out;
}

/** Sizes for a new model (see fromScratch.ts); the rest takes BERT's defaults. */
export interface NewEncoderConfig {
  modelType: EncoderModelType;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Default 4 × hidden. */
  intermediateSize?: number;
  /** Longest input in tokens (default 512); RoBERTa-family models get padTokenId + 1 more positions. */
  maxLength?: number;
  padTokenId: number;
  /** BERT 2 (sentence A/B), RoBERTa 1. */
  typeVocabSize?: number;
  hiddenAct?: string;
  bosTokenId?: number;
  eosTokenId?: number;
  /** Dropout of the hidden states and the attention probabilities (default 0.1, BERT's). */
  dropout?: number;
}

/** A config for a model built from scratch, in the form transformers writes. */
export function newEncoderConfig(n: NewEncoderConfig): EncoderConfig {
  const roberta = n.modelType !== 'bert';
  const maxLength = n.maxLength ?? 512;
  const raw: Record<string, unknown> = {
    architectures: [roberta ? (n.modelType === 'roberta' ? 'RobertaModel' : 'XLMRobertaModel') : 'BertModel'],
    attention_probs_dropout_prob: n.dropout ?? 0.1,
    hidden_act: n.hiddenAct ?? 'gelu',
    hidden_dropout_prob: n.dropout ?? 0.1,
    hidden_size: n.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: n.intermediateSize ?? 4 * n.hiddenSize,
    layer_norm_eps: roberta ? 1e-5 : 1e-12,
    max_position_embeddings: roberta ? maxLength + n.padTokenId + 1 : maxLength,
    model_type: n.modelType,
    num_attention_heads: n.numAttentionHeads,
    num_hidden_layers: n.numHiddenLayers,
    pad_token_id: n.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: n.typeVocabSize ?? (roberta ? 1 : 2),
    vocab_size: n.vocabSize,
  };
  if (n.bosTokenId !== undefined) raw.bos_token_id = n.bosTokenId;
  if (n.eosTokenId !== undefined) raw.eos_token_id = n.eosTokenId;
  return parseEncoderConfig(raw, '<new config>');
}
