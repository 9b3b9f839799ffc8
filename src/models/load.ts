/**
 * Loading a Hugging Face encoder folder (transformers or sentence-transformers layout) into a SentenceEncoder:
 * config.json → architecture, safetensors weights (single file or shards) → a name-for-name copy with shape checks,
 * tokenizer files → HfTokenizer checked against the config, modules.json → Pooling / Dense / Normalize.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispose, loadTensors, type Tensor } from '../tensor/index.js';
import { locateModelFiles, type ModelFiles, type SentenceTransformersModule } from './modelFiles.js';
import { resolveModel, type ResolveModelOptions } from './hub.js';
import { HfTokenizer } from './tokenizer.js';
import { maxSequenceLength, readEncoderConfig, type EncoderConfig } from './config.js';
import { createEncoderModel } from './xlmRoberta.js';
import type { BertModel } from './bert.js';
import { parsePoolingConfig, type PoolingConfig } from './pooling.js';
import { parseDenseConfig, SentenceDense } from './dense.js';
import { SentenceEncoder, type SentenceStage } from './sentenceTransformer.js';

/** Files a tokenizer may consist of; the ones present are copied when the model is saved. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model', 'added_tokens.json'];

/** Prefixes of task-head checkpoints (BertForMaskedLM's `bert.`, XLMRobertaForMaskedLM's `roberta.`, ...). */
const MODEL_PREFIXES = ['bert.', 'roberta.', 'xlm-roberta.', 'model.'];
/** Buffers some transformers versions save; they are recomputed, never loaded. */
const DERIVED_BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);
const OWN_ROOTS = ['embeddings.', 'encoder.', 'pooler.'];

export interface CheckpointNames {
  /** Tensors under the encoder's own names (prefix removed). */
  state: Map<string, Tensor>;
  /** The prefix that was removed ('' when none). */
  prefix: string;
  /** Names outside the encoder (task heads, derived buffers), dropped. */
  ignored: string[];
}

/** Maps checkpoint names to BertModel names: strips a task-head prefix, drops heads and derived buffers. */
export function adaptCheckpointNames(tensors: Map<string, Tensor>): CheckpointNames {
  const names = [...tensors.keys()];
  const prefix = names.some((n) => n.startsWith('embeddings.'))
    ? ''
    : MODEL_PREFIXES.find((p) => names.some((n) => n.startsWith(`${p}embeddings.`))) ?? '';
  const state = new Map<string, Tensor>();
  const ignored: string[] = [];
  for (const [name, t] of tensors) {
    const local = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : prefix ? null : name;
    if (local === null || DERIVED_BUFFERS.has(local) || !OWN_ROOTS.some((r) => local.startsWith(r))) {
      ignored.push(name);
      t.dispose();
      continue;
    }
    state.set(local, t);
  }
  return { state, prefix, ignored };
}

/** Reads every tensor of the weight file(s) (shards merged), as float32 or whatever they are stored as. */
export function readWeights(files: Pick<ModelFiles, 'weights' | 'weightMap' | 'weightIndex'>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const file of files.weights) {
    const { tensors } = loadTensors(file);
    for (const [name, t] of tensors) {
      if (out.has(name)) throw new Error(`${file}: tensor '${name}' also appears in another shard`);
      const expected = files.weightMap?.get(name);
      if (files.weightMap && expected !== file) {
        throw new Error(`${file}: tensor '${name}' is not listed for this shard in ${files.weightIndex}`);
      }
      out.set(name, t);
    }
  }
  if (files.weightMap) {
    const absent = [...files.weightMap.keys()].filter((n) => !out.has(n));
    if (absent.length) throw new Error(`${files.weightIndex}: ${absent.length} tensor(s) listed but not in their shard, e.g. ${absent.slice(0, 3).join(', ')}`);
  }
  return out;
}

export interface WeightsReport {
  prefix: string;
  ignored: string[];
}

/**
 * Builds the model a config asks for and copies a checkpoint into it. A pooler is built when the checkpoint has
 * one. Missing, unexpected (inside the encoder) and mis-shaped names are errors naming `source`.
 */
export function buildModelFromWeights(config: EncoderConfig, tensors: Map<string, Tensor>, source: string): { model: BertModel; report: WeightsReport } {
  const { state, prefix, ignored } = adaptCheckpointNames(tensors);
  const model = createEncoderModel(config, { addPoolingLayer: state.has('pooler.dense.weight') });
  try {
    const own = new Set(model.stateDict().keys());
    const missing = [...own].filter((n) => !state.has(n));
    const unexpected = [...state.keys()].filter((n) => !own.has(n));
    if (missing.length || unexpected.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.length} tensor(s): ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', ...' : ''}`);
      throw new Error(`${source}: weights do not match ${config.source} (${config.modelType}, ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}): ${parts.join('; ')}`);
    }
    try {
      model.loadStateDict(state);
    } catch (err) {
      throw new Error(`${source}: ${(err as Error).message} (config ${config.source})`);
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    dispose(state);
  }
  return { model, report: { prefix, ignored } };
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${what} is not valid JSON (${(err as Error).message})`);
  }
}

function loadDense(dir: string, m: SentenceTransformersModule): SentenceDense {
  const folder = join(dir, m.path);
  const cfgPath = join(folder, 'config.json');
  const cfg = parseDenseConfig(readJson(cfgPath, 'Dense config'), cfgPath);
  const st = join(folder, 'model.safetensors');
  if (!existsSync(st)) {
    const bin = existsSync(join(folder, 'pytorch_model.bin'));
    throw new Error(bin
      ? `${folder}: Dense weights only as pytorch_model.bin (pickle); polyret reads safetensors. Convert once with Python: ` +
        `SentenceTransformer(dir).save(dir, safe_serialization=True)`
      : `${folder}: Dense weights missing (model.safetensors)`);
  }
  const dense = new SentenceDense(cfg);
  const { tensors } = loadTensors(st);
  try {
    const extra = [...tensors.keys()].filter((k) => !k.startsWith('linear.'));
    if (extra.length) throw new Error(`${st}: unexpected tensor(s) ${extra.join(', ')} (a Dense module has linear.weight and linear.bias)`);
    const missing = [...dense.stateDict().keys()].filter((k) => !tensors.has(k));
    if (missing.length) throw new Error(`${st}: missing tensor(s) ${missing.join(', ')} for Dense ${cfg.inFeatures}→${cfg.outFeatures}`);
    try {
      dense.loadStateDict(tensors);
    } catch (err) {
      throw new Error(`${st}: ${(err as Error).message} (config ${cfgPath})`);
    }
  } catch (err) {
    dense.dispose();
    throw err;
  } finally {
    dispose(tensors);
  }
  return dense.eval();
}

/** The stages after the Transformer, from modules.json (or mean pooling, sentence-transformers' default for plain models). */
function loadStages(files: ModelFiles, hidden: number): SentenceStage[] {
  if (!files.modules) return [{ kind: 'pooling', path: '1_Pooling', config: { wordEmbeddingDimension: hidden, modes: ['mean'] } }];
  const mj = files.modulesJson!;
  const stages: SentenceStage[] = [];
  const sorted = [...files.modules].sort((a, b) => a.idx - b.idx);
  sorted.forEach((m, i) => {
    const kind = /(?:^|\.)(Transformer|Pooling|Dense|Normalize)$/.exec(m.type)?.[1];
    if (!kind) throw new Error(`${mj}: module ${m.idx} has type '${m.type}', which polyret does not run (Transformer, Pooling, Dense, Normalize)`);
    if ((kind === 'Transformer') !== (i === 0)) throw new Error(`${mj}: the Transformer must be the first module and appear once (module ${m.idx} is ${m.type})`);
    if (kind === 'Transformer') {
      if (m.path !== '') throw new Error(`${mj}: the Transformer lives in '${m.path}'; polyret expects it at the folder root (path "")`);
      return;
    }
    if (kind === 'Pooling') {
      const p = join(files.dir, m.path, 'config.json');
      const cfg: PoolingConfig = parsePoolingConfig(readJson(p, 'Pooling config'), p);
      if (cfg.wordEmbeddingDimension !== hidden) throw new Error(`${p}: word_embedding_dimension ${cfg.wordEmbeddingDimension} but the model's hidden_size is ${hidden}`);
      stages.push({ kind: 'pooling', path: m.path, config: cfg });
    } else if (kind === 'Dense') {
      stages.push({ kind: 'dense', path: m.path, module: loadDense(files.dir, m) });
    } else {
      stages.push({ kind: 'normalize', path: m.path });
    }
  });
  if (!stages.some((s) => s.kind === 'pooling')) throw new Error(`${mj}: no Pooling module`);
  return stages;
}

export interface LoadOptions {
  /** Device for the weights ('cpu' default, 'cuda'). */
  device?: string;
}

/** Loads a local model folder. Errors name the file at fault. */
export function loadSentenceEncoder(dir: string, opts: LoadOptions = {}): SentenceEncoder {
  const files = locateModelFiles(dir);
  const config = readEncoderConfig(files.config);
  const tokenizer = HfTokenizer.fromFolder(dir);
  let maxSeqLength: number | undefined;
  if (files.sentenceBertConfig) {
    const sb = readJson(files.sentenceBertConfig, 'sentence_bert_config.json') as Record<string, unknown>;
    if (sb.max_seq_length !== undefined && (typeof sb.max_seq_length !== 'number' || !Number.isInteger(sb.max_seq_length) || sb.max_seq_length < 2)) {
      throw new Error(`${files.sentenceBertConfig}: max_seq_length must be an integer ≥ 2, got ${JSON.stringify(sb.max_seq_length)}`);
    }
    maxSeqLength = sb.max_seq_length as number | undefined;
  }
  // Ids beyond the embedding table, or another pad id, mean tokenizer and weights do not belong together.
  // (Lengths are not checked here: inputs are clamped to what the position table holds.)
  tokenizer.checkModelConfig({
    vocab_size: config.vocabSize, pad_token_id: config.padTokenId, type_vocab_size: config.typeVocabSize,
    max_position_embeddings: config.maxPositionEmbeddings, model_type: config.modelType,
  }, files.config, maxSequenceLength(config));
  const source = files.weightIndex ?? files.weights[0]!;
  const { model } = buildModelFromWeights(config, readWeights(files), source);
  let stages: SentenceStage[];
  try {
    stages = loadStages(files, config.hiddenSize);
  } catch (err) {
    model.dispose();
    throw err;
  }
  let prompts: Record<string, string> | undefined;
  const stc = join(dir, 'config_sentence_transformers.json');
  if (existsSync(stc)) {
    const j = readJson(stc, 'config_sentence_transformers.json') as Record<string, unknown>;
    if (j.prompts && typeof j.prompts === 'object') {
      prompts = Object.fromEntries(Object.entries(j.prompts as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    }
  }
  const enc = new SentenceEncoder({
    transformer: model,
    tokenizer,
    stages,
    maxSeqLength,
    tokenizerFiles: TOKENIZER_FILES.map((f) => join(dir, f)).filter((p) => existsSync(p)),
    prompts,
    sourceDir: dir,
  });
  if (opts.device && opts.device !== 'cpu') enc.to(opts.device);
  return enc;
}

/** A local folder, or a Hub model id (downloaded into the cache first; see hub.ts). */
export async function loadPretrained(idOrPath: string, opts: LoadOptions & ResolveModelOptions = {}): Promise<SentenceEncoder> {
  const { dir } = await resolveModel(idOrPath, opts);
  return loadSentenceEncoder(dir, opts);
}
