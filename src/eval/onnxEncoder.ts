/**
 * The ONNX runtime path: an exported model folder (`polyret export --format onnx`, or any folder with
 * onnx/model.onnx, config.json and tokenizer.json) run through onnxruntime-node, behind the same Encoder seam as
 * the libtorch path, so `polyret eval --runtime onnx` checks the deployed artifact with the same protocol.
 *
 * Tokenization, prompts and the length limit are polyret's (the folder's tokenizer.json, prompts from
 * config_sentence_transformers.json, max_seq_length from sentence_bert_config.json); vectors are the graph's
 * `sentence_embedding` when it has one, else the masked mean of `last_hidden_state` (sentence-transformers'
 * default for plain models, as in the libtorch path).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { HfTokenizer } from '../models/tokenizer.js';
import { maxSequenceLength, readEncoderConfig } from '../models/config.js';
import type { Encoder } from './encoder.js';

type Ort = typeof import('onnxruntime-node');

let ort: Ort | null = null;

/** onnxruntime-node, loaded on first use: it is an optional dependency, and only this path needs it. */
export async function loadOnnxRuntime(): Promise<Ort> {
  if (ort) return ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    throw new Error(`onnxruntime-node is not installed or does not load (${(err as Error).message}); ` +
      'install it with: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0');
  }
  return ort;
}

export interface OnnxEncoderOptions {
  /** Graph file inside the folder (default onnx/model.onnx; onnx/model_quantized.onnx for the int8 one). */
  file?: string;
  /** onnxruntime's intra-op threads (default: all cores). */
  threads?: number;
  /** Tokens per text, special tokens included (default: the folder's max_seq_length, clamped to the position table). */
  maxLength?: number;
}

function readJsonIf(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** `model`: the graph's sentence_embedding (else masked mean); `mean`: masked mean of last_hidden_state. */
export type OnnxPooling = 'model' | 'mean';

export interface OnnxRunOutput {
  /** [B, S, H] row-major. */
  lastHiddenState: Float32Array;
  hidden: number;
  /** [B, D] when the graph has sentence_embedding. */
  sentenceEmbedding: Float32Array | null;
}

/** An exported folder's graph in an onnxruntime session, with the folder's tokenizer and prompts. */
export class OnnxSentenceEncoder {
  readonly hasTokenTypes: boolean;
  readonly hasSentenceEmbedding: boolean;

  private constructor(
    private readonly rt: Ort,
    readonly session: InferenceSession,
    readonly tokenizer: HfTokenizer,
    readonly maxSeqLength: number,
    readonly prompts: Record<string, string>,
    readonly padId: number,
    readonly path: string,
    /** Tokens the position table holds. */
    readonly positionLimit: number,
  ) {
    this.hasTokenTypes = session.inputNames.includes('token_type_ids');
    this.hasSentenceEmbedding = session.outputNames.includes('sentence_embedding');
    for (const n of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(n)) throw new Error(`${path}: the graph has no input '${n}' (inputs: ${session.inputNames.join(', ')})`);
    }
    if (!session.outputNames.includes('last_hidden_state') && !this.hasSentenceEmbedding) {
      throw new Error(`${path}: the graph has neither 'sentence_embedding' nor 'last_hidden_state' (outputs: ${session.outputNames.join(', ')})`);
    }
  }

  static async load(dir: string, opts: OnnxEncoderOptions = {}): Promise<OnnxSentenceEncoder> {
    const rt = await loadOnnxRuntime();
    const file = join(dir, opts.file ?? join('onnx', 'model.onnx'));
    if (!existsSync(file)) {
      throw new Error(`${file} not found: --runtime onnx needs a folder written by 'polyret export --format onnx' (onnx/model.onnx)`);
    }
    const config = readEncoderConfig(join(dir, 'config.json'));
    const tokenizer = HfTokenizer.fromFolder(dir);
    const sb = readJsonIf(join(dir, 'sentence_bert_config.json'));
    const limit = maxSequenceLength(config);
    const declared = typeof sb?.max_seq_length === 'number' ? sb.max_seq_length : tokenizer.modelMaxLength;
    const maxSeqLength = Math.min(limit, opts.maxLength ?? declared ?? limit);
    const st = readJsonIf(join(dir, 'config_sentence_transformers.json'));
    const prompts = st?.prompts && typeof st.prompts === 'object'
      ? Object.fromEntries(Object.entries(st.prompts as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>
      : {};
    const threads = opts.threads ?? availableParallelism();
    let session: InferenceSession;
    try {
      session = await rt.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
    } catch (err) {
      throw new Error(`${file}: onnxruntime cannot load the graph (${(err as Error).message})`);
    }
    return new OnnxSentenceEncoder(rt, session, tokenizer, maxSeqLength, prompts, tokenizer.padTokenId ?? config.padTokenId, file, limit);
  }

  /** Token ids per text (special tokens added, truncated to `maxLength`, default the folder's length limit). */
  tokenize(texts: readonly string[], prefix = '', maxLength = this.maxSeqLength): number[][] {
    if (maxLength > this.positionLimit) {
      throw new Error(`max length ${maxLength} exceeds what ${this.path} can take (${this.positionLimit} tokens)`);
    }
    return texts.map((t) => this.tokenizer.encode(prefix + t, null, { maxLength }).ids);
  }

  /** Runs the graph on int64 [B, S] inputs (token types zero). */
  async run(inputIds: BigInt64Array, attentionMask: BigInt64Array, shape: [number, number]): Promise<OnnxRunOutput> {
    const T = this.rt.Tensor;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new T('int64', inputIds, shape),
      attention_mask: new T('int64', attentionMask, shape),
    };
    if (this.hasTokenTypes) feeds.token_type_ids = new T('int64', new BigInt64Array(inputIds.length), shape);
    const out = await this.session.run(feeds);
    const lhs = out.last_hidden_state;
    const se = out.sentence_embedding;
    return {
      lastHiddenState: lhs ? (lhs.data as Float32Array) : new Float32Array(0),
      hidden: lhs ? lhs.dims[2]! : 0,
      sentenceEmbedding: se ? (se.data as Float32Array) : null,
    };
  }

  /**
   * Right-padded rows of ids → sentence vectors [N, D]: `model`, the graph's sentence_embedding (else the masked
   * mean); `mean`, the masked mean of last_hidden_state.
   */
  async embedRows(rows: readonly (readonly number[])[], pooling: OnnxPooling = 'model'): Promise<{ vectors: Float32Array; dim: number }> {
    const b = rows.length;
    const s = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(b * s).fill(BigInt(this.padId));
    const mask = new BigInt64Array(b * s);
    rows.forEach((r, i) => r.forEach((id, k) => {
      ids[i * s + k] = BigInt(id);
      mask[i * s + k] = 1n;
    }));
    const out = await this.run(ids, mask, [b, s]);
    if (pooling === 'mean' && out.hidden === 0) throw new Error(`${this.path}: --pooling mean needs the graph's last_hidden_state output`);
    if (pooling === 'model' && out.sentenceEmbedding) return { vectors: out.sentenceEmbedding, dim: out.sentenceEmbedding.length / b };
    return { vectors: meanPool(out.lastHiddenState, mask, b, s, out.hidden), dim: out.hidden };
  }

  /**
   * Batched encoding in input order: rows sorted by length (longest first, as the libtorch path), run in batches
   * of `batchSize`.
   */
  async encodeIds(rows: readonly (readonly number[])[], batchSize = 32, onBatch?: (n: number) => void, pooling: OnnxPooling = 'model'): Promise<{ vectors: Float32Array; dim: number }> {
    const order = rows.map((_, i) => i).sort((a, z) => rows[z]!.length - rows[a]!.length || a - z);
    let out: Float32Array | null = null;
    let dim = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const r = await this.embedRows(idx.map((i) => rows[i]!), pooling);
      if (!out) {
        dim = r.dim;
        out = new Float32Array(rows.length * dim);
      }
      idx.forEach((row, k) => out!.set(r.vectors.subarray(k * dim, (k + 1) * dim), row * dim));
      onBatch?.(idx.length);
    }
    return { vectors: out ?? new Float32Array(0), dim };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Masked mean over the sequence: Σ h·m / max(Σ m, 1e-9), as sentence-transformers' Pooling. */
export function meanPool(h: Float32Array, mask: BigInt64Array, b: number, s: number, hidden: number): Float32Array {
  const out = new Float32Array(b * hidden);
  for (let i = 0; i < b; i++) {
    let n = 0;
    for (let k = 0; k < s; k++) {
      if (mask[i * s + k] === 0n) continue;
      n++;
      for (let d = 0; d < hidden; d++) out[i * hidden + d]! += h[(i * s + k) * hidden + d]!;
    }
    const c = Math.max(n, 1e-9);
    for (let d = 0; d < hidden; d++) out[i * hidden + d]! /= c;
  }
  return out;
}

/**
 * An exported folder as an evaluation encoder (`polyret eval --runtime onnx`): prompts for queries and passages
 * as the libtorch path takes them (prefixesOf: query, then passage or document).
 */
export async function loadOnnxEncoder(dir: string, opts: OnnxEncoderOptions & { batchSize?: number } = {}): Promise<Encoder & { onnx: OnnxSentenceEncoder }> {
  const enc = await OnnxSentenceEncoder.load(dir, opts);
  const prefixes = { query: enc.prompts.query ?? '', passage: enc.prompts.passage ?? enc.prompts.document ?? '' };
  const probe = await enc.embedRows(enc.tokenize(['']));
  return {
    dim: probe.dim,
    onnx: enc,
    encode: async (texts, kind) => {
      const { vectors, dim } = await enc.encodeIds(enc.tokenize(texts, prefixes[kind]), opts.batchSize);
      return Array.from({ length: texts.length }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));
    },
  };
}
