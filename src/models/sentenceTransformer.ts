/**
 * A sentence encoder in sentence-transformers' shape: Transformer → Pooling → Dense* → Normalize?, with its
 * tokenizer. `embed` is the differentiable forward for training; `encode` is batched inference that sorts texts by
 * token length (little padding), restores the input order, and keeps memory bounded per batch.
 */
import { fromArray, noGrad, normalize, tidy, withPrecision, type Precision, type Tensor } from '../tensor/index.js';
import type { NamedTensor } from '../nn/index.js';
import type { Progress } from '../util/progress.js';
import type { HfTokenizer } from './tokenizer.js';
import type { BertModel, EncoderInputs } from './bert.js';
import { maxSequenceLength } from './config.js';
import { poolAll, type PoolingConfig, type PoolingMode } from './pooling.js';
import type { SentenceDense } from './dense.js';

/** A module after the Transformer, with its folder in the sentence-transformers layout. */
export type SentenceStage =
  | { kind: 'pooling'; path: string; config: PoolingConfig }
  | { kind: 'dense'; path: string; module: SentenceDense }
  | { kind: 'normalize'; path: string };

export interface SentenceEncoderParts {
  transformer: BertModel;
  tokenizer: HfTokenizer;
  /** Modules after the Transformer, in order. */
  stages: SentenceStage[];
  /** Longest input in tokens (sentence_bert_config.json's max_seq_length, clamped to the position table). */
  maxSeqLength?: number;
  /** Tokenizer files to copy when saving (tokenizer.json, tokenizer_config.json, ...). */
  tokenizerFiles: string[];
  /** Named prompts (config_sentence_transformers.json), e.g. {query: 'query: ', passage: 'passage: '}. */
  prompts?: Record<string, string>;
  /** Folder it was loaded from, if any. */
  sourceDir?: string;
}

/** `model`: the encoder's own pipeline; a pooling mode: that pooling of the last hidden state, nothing after it. */
export type PoolingChoice = 'model' | PoolingMode;

export interface EncodeOptions {
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /** Tokens per text, special tokens included (default: the encoder's maxSeqLength). */
  maxLength?: number;
  /** Prepended to every text (E5: 'query: ' / 'passage: '). */
  prefix?: string;
  pooling?: PoolingChoice;
  /** L2-normalise the result (on top of what the pipeline does). */
  normalize?: boolean;
  /** Advanced by the number of texts of each batch. */
  progress?: Progress;
  /**
   * `fp32` (default) or `bf16`: the forward pass under autocast (bf16 matrix products, float32 weights);
   * the vectors returned are float32 either way.
   */
  precision?: Precision;
}

export interface EncodedTexts {
  /** Row-major [N, dim], in input order. */
  vectors: Float32Array;
  dim: number;
}

export class SentenceEncoder {
  readonly transformer: BertModel;
  readonly tokenizer: HfTokenizer;
  readonly stages: SentenceStage[];
  readonly maxSeqLength: number;
  readonly tokenizerFiles: string[];
  readonly prompts: Record<string, string>;
  readonly sourceDir: string | undefined;
  private dev = 'cpu';

  constructor(p: SentenceEncoderParts) {
    this.transformer = p.transformer;
    this.tokenizer = p.tokenizer;
    this.stages = p.stages;
    this.tokenizerFiles = p.tokenizerFiles;
    this.prompts = p.prompts ?? {};
    this.sourceDir = p.sourceDir;
    const limit = maxSequenceLength(p.transformer.config);
    this.maxSeqLength = Math.min(limit, p.maxSeqLength ?? p.tokenizer.modelMaxLength ?? limit);
    if (!this.stages.some((s) => s.kind === 'pooling')) throw new Error('sentence encoder: the pipeline has no Pooling module');
  }

  get config() {
    return this.transformer.config;
  }

  get device(): string {
    return this.dev;
  }

  /** Size of the pipeline's output vectors. */
  get dimension(): number {
    let d = this.config.hiddenSize;
    for (const s of this.stages) {
      if (s.kind === 'pooling') d = d * s.config.modes.length;
      else if (s.kind === 'dense') d = s.module.config.outFeatures;
    }
    return d;
  }

  /** Output size for a pooling choice. */
  dimensionFor(pooling: PoolingChoice): number {
    return pooling === 'model' ? this.dimension : this.config.hiddenSize;
  }

  /** Transformer and Dense parameters; Dense ones are named `<folder>.linear.weight`, as in their files. */
  namedParameters(): NamedTensor[] {
    const out = this.transformer.namedParameters();
    for (const s of this.stages) if (s.kind === 'dense') out.push(...s.module.namedParameters(`${s.path}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  train(on = true): this {
    this.transformer.train(on);
    for (const s of this.stages) if (s.kind === 'dense') s.module.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  to(device: string): this {
    this.transformer.to(device);
    for (const s of this.stages) if (s.kind === 'dense') s.module.to(device);
    this.dev = device;
    return this;
  }

  dispose(): void {
    this.transformer.dispose();
    for (const s of this.stages) if (s.kind === 'dense') s.module.dispose();
  }

  /** Token ids per text (special tokens added, truncated to maxLength). */
  tokenize(texts: readonly string[], opts: { maxLength?: number; prefix?: string } = {}): number[][] {
    const maxLength = opts.maxLength ?? this.maxSeqLength;
    if (maxLength > maxSequenceLength(this.config)) {
      throw new Error(`max length ${maxLength} exceeds what ${this.config.source} can take (${maxSequenceLength(this.config)} tokens)`);
    }
    const prefix = opts.prefix ?? '';
    return texts.map((t) => this.tokenizer.encode(prefix + t, null, { maxLength }).ids);
  }

  private get padId(): number {
    return this.tokenizer.padTokenId ?? this.config.padTokenId;
  }

  /** Right-padded int64 tensors for rows of ids, on the encoder's device. */
  batchInputs(rows: readonly (readonly number[])[]): EncoderInputs {
    const s = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * s).fill(BigInt(this.padId));
    const mask = new BigInt64Array(rows.length * s);
    rows.forEach((r, i) => {
      for (let k = 0; k < r.length; k++) {
        ids[i * s + k] = BigInt(r[k]!);
        mask[i * s + k] = 1n;
      }
    });
    const device = this.dev === 'cpu' ? undefined : this.dev;
    // On CUDA the ids go through pinned memory, so the upload overlaps work already queued on the GPU.
    const pin = device !== undefined;
    return { inputIds: fromArray(ids, [rows.length, s], { device, pin }), attentionMask: fromArray(mask, [rows.length, s], { device, pin }) };
  }

  /** Pipeline from model inputs to sentence embeddings [B, D] (differentiable in training mode). */
  forward(inp: EncoderInputs, pooling: PoolingChoice = 'model', l2 = false): Tensor {
    return tidy(() => {
      const { lastHiddenState } = this.transformer.forward(inp);
      let x: Tensor;
      if (pooling !== 'model') {
        x = poolAll(lastHiddenState, inp.attentionMask, [pooling]);
      } else {
        x = lastHiddenState;
        for (const s of this.stages) {
          if (s.kind === 'pooling') x = poolAll(x, inp.attentionMask, s.config.modes);
          else if (s.kind === 'dense') x = s.module.forward(x);
          else x = normalize(x, 2, 1);
        }
      }
      return l2 ? normalize(x, 2, 1) : x;
    });
  }

  /** Texts → embeddings [N, D] as one batch, keeping the autograd graph (for training). */
  embed(texts: readonly string[], opts: { maxLength?: number; prefix?: string; pooling?: PoolingChoice } = {}): Tensor {
    return tidy(() => this.forward(this.batchInputs(this.tokenize(texts, opts)), opts.pooling ?? 'model'));
  }

  /** Batched inference over texts; see `encodeIds`. */
  encode(texts: readonly string[], opts: EncodeOptions = {}): EncodedTexts {
    return this.encodeIds(this.tokenize(texts, opts), opts);
  }

  /**
   * Batched inference over token id rows: rows are sorted by length (longest first, so a too-large batch fails
   * at once), run in batches without autograd, and written back in input order.
   */
  encodeIds(rows: readonly (readonly number[])[], opts: EncodeOptions = {}): EncodedTexts {
    const batchSize = opts.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    const pooling = opts.pooling ?? 'model';
    const precision = opts.precision ?? 'fp32';
    const dim = this.dimensionFor(pooling);
    const order = rows.map((_, i) => i).sort((a, b) => rows[b]!.length - rows[a]!.length || a - b);
    const vectors = new Float32Array(rows.length * dim);
    const wasTraining = this.transformer.training;
    this.eval();
    try {
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const out = noGrad(() => tidy(() => withPrecision(precision, this.dev, () => this.forward(this.batchInputs(idx.map((i) => rows[i]!)), pooling, opts.normalize ?? false)).toFloat32Array()));
        idx.forEach((row, k) => vectors.set(out.subarray(k * dim, (k + 1) * dim), row * dim));
        opts.progress?.tick(idx.length);
      }
    } finally {
      if (wasTraining) this.train();
    }
    return { vectors, dim };
  }
}
