/**
 * The training configuration: a YAML or JSON file checked against a zod schema (wrong types and
 * unknown keys are errors naming the field), overridden by `--set key.path=value` flags, with the
 * paper's recipe (Elmahdy, Lin & Ahmad, arXiv 2408.10536) as the defaults.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { dataDir } from '../util/dataDir.js';

const int = (min: number) => z.number().int().min(min);

const DataSourceSchema = z.strictObject({
  /**
   * `squad`: SQuAD/XQuAD/LAReQA JSON (one file per language); `jsonl`: polyret's JSONL rows;
   * `mmarco`: an mMARCO folder. Default: guessed from the paths.
   */
  format: z.enum(['squad', 'jsonl', 'mmarco']).optional(),
  /** Files or folders; relative paths are relative to the config file; a leading `$DATA/` is the shared data folder. */
  paths: z.array(z.string().min(1)).min(1),
  /** Languages to use; each must be present in the data. Default: every language found. */
  languages: z.array(z.string().min(2)).min(1).optional(),
  /** SQuAD and mMARCO: hard negatives per example (JSONL rows carry their own). */
  negatives: int(0).default(1),
});

const HeldOutSchema = z.strictObject({
  /** Fraction of the training ids (chosen by a hash of the id, so stable across runs) held out. */
  heldOut: z.number().gt(0).lt(1),
});

const FromScratchSchema = z.strictObject({
  /** A folder holding tokenizer.json (and tokenizer_config.json), or the tokenizer.json file. */
  tokenizer: z.string().min(1),
  modelType: z.enum(['bert', 'xlm-roberta']).default('bert'),
  hiddenSize: int(1).default(128),
  numLayers: int(1).default(2),
  numHeads: int(1).default(4),
  intermediateSize: int(1).optional(),
  /** Longest input in tokens (position table size). */
  maxLength: int(8).default(128),
  /** Sentence pooling of the new model (CLS, as LaBSE and the paper's encoders). */
  pooling: z.enum(['cls', 'mean', 'max', 'mean_sqrt_len']).default('cls'),
  /** Seed of the initial weights (default: training.seed). */
  seed: int(0).optional(),
  /** Hidden and attention dropout of the new model (BERT's 0.1). */
  dropout: z.number().min(0).max(0.999).default(0.1),
});

const ModelSchema = z.strictObject({
  /** A model folder (transformers or sentence-transformers layout) or a Hugging Face id. */
  path: z.string().min(1).optional(),
  /** Build a new randomly initialised encoder instead of loading one. */
  fromScratch: FromScratchSchema.optional(),
  maxQueryLength: int(4).default(64),
  maxPassageLength: int(4).default(256),
  /** E5-style prefixes added to every query and passage (the paper's recipe). */
  prefixes: z.strictObject({ query: z.string().default('query: '), passage: z.string().default('passage: ') }).prefault({}),
});

const SamplingSchema = z.strictObject({
  /** mono (X-X), cross (X-Y) or hybrid (mono with probability alpha). */
  mode: z.enum(['mono', 'cross', 'hybrid']).default('hybrid'),
  alpha: z.number().min(0).max(1).default(0.5),
  weighting: z.enum(['uniform', 'size', 'temperature']).default('uniform'),
  temperature: z.number().positive().default(1),
  dropLast: z.boolean().default(false),
});

const TrainingSchema = z.strictObject({
  /** Triplets (query, positive, hard negative) per batch. */
  batchSize: int(1).default(100),
  /** Texts per forward pass; smaller than the batch turns on gradient caching. Null: whole batch. */
  miniBatch: int(1).nullable().default(null),
  lr: z.number().positive().default(3e-5),
  weightDecay: z.number().min(0).default(0.01),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
  schedule: z.enum(['constant', 'linear', 'cosine']).default('linear'),
  /** Warmup as a fraction of the total steps (ignored when warmupSteps is set). */
  warmupRatio: z.number().min(0).max(1).default(0.1),
  warmupSteps: int(0).optional(),
  /** Global gradient-norm clipping; null: none. */
  maxGradNorm: z.number().positive().nullable().default(1),
  epochs: int(1).default(10),
  /** Stop after this many optimizer steps (overrides epochs for the schedule's length). */
  maxSteps: int(1).optional(),
  /** InfoNCE temperature τ (scores are cos/τ). */
  temperature: z.number().positive().default(0.05),
  learnTemperature: z.boolean().default(false),
  /** Add the passage→query direction to the loss. */
  symmetric: z.boolean().default(false),
  seed: int(0).default(42),
  /** `auto`: CUDA when available. */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** Intra-op threads (default: libtorch's choice, all cores). */
  threads: int(1).optional(),
  /**
   * `bf16`: the encoder's forward runs under libtorch autocast in bfloat16 (CUDA; on CPU where bf16 kernels
   * exist, slowly otherwise); the loss, the gradients' accumulation and AdamW stay float32.
   */
  precision: z.enum(['fp32', 'bf16']).default('fp32'),
  /** Validation loss every this many steps (and at the end). */
  evalEvery: int(1).default(100),
  /** Validation batches per evaluation (null: the whole validation set). */
  validationBatches: int(1).nullable().default(null),
  /** Evaluations without improvement before stopping; null: never stop early. */
  patience: int(1).nullable().default(5),
  /** An improvement must lower the validation loss by more than this. */
  minDelta: z.number().min(0).default(0),
  checkpointEvery: int(1).default(100),
  /** Checkpoints kept on disk (oldest removed first). */
  keepCheckpoints: int(1).default(3),
  /** Consecutive NaN/Inf losses tolerated (each step skipped) before the run stops. */
  maxBadSteps: int(1).default(3),
  /**
   * Parameters kept fixed (no gradient, not in the optimizer), by name: a whole dotted name or a run of its
   * dotted segments, e.g. `embeddings.word_embeddings` (a multilingual vocabulary is most of a small encoder's
   * weights, and most of its optimizer time). Each entry must match at least one parameter.
   */
  freeze: z.array(z.string().min(1)).default([]),
});

const RetrievalEvalSchema = z.strictObject({
  task: z.enum(['mlqa-r', 'xquad-r']),
  languages: z.array(z.string().min(2)).min(1).optional(),
  /** Questions per language (the first N; null: all). */
  maxQuestions: int(1).nullable().default(200),
  /** Run every this many steps (and at the end); null: only before and after training. */
  every: int(1).nullable().default(null),
  candidateText: z.enum(['sentence', 'sentence+context']).default('sentence'),
});

export const TrainConfigSchema = z
  .strictObject({
    model: ModelSchema,
    data: z.strictObject({
      train: DataSourceSchema,
      validation: z.union([DataSourceSchema, HeldOutSchema]).default({ heldOut: 0.05 }),
    }),
    sampling: SamplingSchema.prefault({}),
    training: TrainingSchema.prefault({}),
    retrievalEval: RetrievalEvalSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.model.path === undefined) === (c.model.fromScratch === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'give exactly one of model.path and model.fromScratch' });
    }
  });

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type DataSourceConfig = z.infer<typeof DataSourceSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function formatIssues(source: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((i) => {
    const at = i.path.length ? i.path.join('.') : '(top level)';
    if (i.code === 'unrecognized_keys') return `  ${at}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `  ${at}: ${i.message}`;
  });
  return `${source}: invalid training config\n${lines.join('\n')}`;
}

/**
 * Sets `a.b.c` = value in a plain object, creating objects on the way. The value is read as YAML,
 * so `--set training.lr=1e-4`, `--set training.miniBatch=null`, `--set data.train.languages=[de,en]` work.
 */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected key.path=value`);
  const key = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    value = text;
  }
  if (value === undefined) value = null;
  const parts = key.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new ConfigError(`--set ${assignment}: "${key}" is not a valid key path`);
  }
  let obj: Record<string, unknown> = raw;
  for (const p of parts.slice(0, -1)) {
    const next = obj[p];
    if (next === undefined || next === null) obj[p] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) throw new ConfigError(`--set ${assignment}: "${p}" is not a section`);
    obj = obj[p] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]!] = value;
}

/** Validates a raw object (already merged with overrides) into a resolved config. */
export function parseTrainConfig(raw: unknown, source: string): TrainConfig {
  const r = TrainConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(source, r.error.issues));
  return r.data;
}

/** Reads a YAML (or JSON, which is YAML) config file, applies `--set` overrides, validates it. */
export function loadTrainConfig(path: string, overrides: readonly string[] = []): { config: TrainConfig; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML/JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: the config must be a mapping (key: value)`);
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return { config: parseTrainConfig(raw, path), baseDir: dirname(resolve(path)) };
}

/** A path from the config: `$DATA/...` is under the shared data folder; relative paths are relative to the config's folder. */
export function resolveConfigPath(p: string, baseDir: string): string {
  if (p === '$DATA' || p.startsWith('$DATA/')) return resolve(dataDir(), p.slice(6));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
