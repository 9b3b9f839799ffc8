import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { autocast, tidy, type Tensor } from '../tensor/index.js';
import type { NamedTensor } from '../nn/index.js';
import { createEncoderFromScratch, loadPretrained, type SentenceEncoder } from '../models/index.js';
import type { TrainConfig } from './config.js';
import { resolveConfigPath } from './config.js';
import type { TextEncoder, TextRole } from './textEncoder.js';

/**
 * Builds the encoder a config asks for: a model folder (or Hub id) loaded with its tokenizer, or a
 * new model from a tokenizer. Every file problem (no tokenizer, bad config.json, missing weights)
 * surfaces here, before any training starts.
 */
export async function buildEncoder(config: TrainConfig, baseDir: string, device: string): Promise<SentenceEncoder> {
  const m = config.model;
  if (m.fromScratch) {
    const fs = m.fromScratch;
    let tok = resolveConfigPath(fs.tokenizer, baseDir);
    if (existsSync(tok) && statSync(tok).isDirectory()) tok = join(tok, 'tokenizer.json');
    if (!existsSync(tok)) throw new Error(`model.fromScratch.tokenizer: ${tok} not found (expected tokenizer.json or a folder holding it)`);
    const enc = createEncoderFromScratch({
      arch: fs.modelType,
      layers: fs.numLayers,
      hidden: fs.hiddenSize,
      heads: fs.numHeads,
      intermediate: fs.intermediateSize,
      vocabFrom: tok,
      maxLength: fs.maxLength,
      pooling: fs.pooling,
      seed: fs.seed ?? config.training.seed,
      dropout: fs.dropout,
    });
    if (device !== 'cpu') enc.to(device);
    return enc;
  }
  const p = m.path!;
  const local = resolveConfigPath(p, baseDir);
  const target = existsSync(local) ? local : p;
  try {
    return await loadPretrained(target, { device });
  } catch (err) {
    throw new Error(`model.path ${p}: ${(err as Error).message}`);
  }
}

/** The training view of a SentenceEncoder: role-specific truncation and a token count for tokens/s. */
export class SentenceTextEncoder implements TextEncoder {
  lastTokenCount = 0;

  constructor(
    readonly encoder: SentenceEncoder,
    readonly maxQueryLength: number,
    readonly maxPassageLength: number,
    /** Mixed precision for the forward pass (training.precision = bf16). */
    readonly mixedPrecision: { device: 'cpu' | 'cuda'; dtype: 'bfloat16' } | null = null,
  ) {
    const limit = encoder.maxSeqLength;
    if (maxQueryLength > limit) throw new Error(`model.maxQueryLength ${maxQueryLength} exceeds the model's ${limit} tokens`);
    if (maxPassageLength > limit) throw new Error(`model.maxPassageLength ${maxPassageLength} exceeds the model's ${limit} tokens`);
  }

  // Token ids by role and text: GradCache embeds each mini-batch twice, and the trainer primes the
  // next batch's ids from a tokenizer worker while the current step runs.
  private readonly tokenCache = new Map<string, number[]>();

  private maxLength(role: TextRole): number {
    return role === 'query' ? this.maxQueryLength : this.maxPassageLength;
  }

  /** Stores token ids computed elsewhere (a worker thread) for `texts`. */
  prime(texts: readonly string[], role: TextRole, rows: readonly number[][]): void {
    if (this.tokenCache.size > 100_000) this.tokenCache.clear();
    texts.forEach((t, i) => this.tokenCache.set(`${role}\u0000${t}`, rows[i] as number[]));
  }

  /** Drops cached ids (after a step) so the cache holds about one batch. */
  forget(texts: readonly string[], role: TextRole): void {
    for (const t of texts) this.tokenCache.delete(`${role}\u0000${t}`);
  }

  /** The tokenizer files, for a worker thread that tokenises the same way. */
  get tokenizerFiles(): { tokenizerPath: string; configPath?: string } {
    return { tokenizerPath: this.encoder.tokenizer.tokenizerPath, configPath: this.encoder.tokenizer.configPath };
  }

  get limits(): Record<TextRole, number> {
    return { query: this.maxQueryLength, passage: this.maxPassageLength };
  }

  embed(texts: readonly string[], role: TextRole): Tensor {
    const rows: number[][] = new Array<number[]>(texts.length);
    const miss: number[] = [];
    texts.forEach((t, i) => {
      const r = this.tokenCache.get(`${role}\u0000${t}`);
      if (r) rows[i] = r;
      else miss.push(i);
    });
    if (miss.length) {
      const missTexts = miss.map((i) => texts[i]!);
      const fresh = this.encoder.tokenize(missTexts, { maxLength: this.maxLength(role) });
      this.prime(missTexts, role, fresh);
      miss.forEach((i, k) => {
        rows[i] = fresh[k]!;
      });
    }
    this.lastTokenCount = rows.reduce((n, r) => n + r.length, 0);
    const mp = this.mixedPrecision;
    if (!mp) return this.encoder.forward(this.encoder.batchInputs(rows));
    // The loss and its gradients stay float32: only the encoder runs under autocast.
    return tidy(() => autocast(mp.device, mp.dtype, () => this.encoder.forward(this.encoder.batchInputs(rows))).float());
  }

  namedParameters(): NamedTensor[] {
    return this.encoder.namedParameters();
  }

  train(on = true): this {
    this.encoder.train(on);
    return this;
  }
}
