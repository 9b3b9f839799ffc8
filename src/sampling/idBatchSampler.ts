import { languageCounts, type ParallelDataset } from '../data/parallelDataset.js';
import { languageWeights, WEIGHTINGS, type Weighting } from './languageWeights.js';
import { Rng, mixSeed, type RngState } from './rng.js';

/**
 * The batch composer at the level of ids and languages (no texts), which is all the method
 * changes: for each batch it picks a mode (monolingual X-X or cross-lingual X-Y), a language or
 * language pairs, and B example ids, so that
 *  - an id appears at most once per batch (a translation of an item would be a false in-batch negative);
 *  - an epoch visits every id once; a language or pair an id lacks is never produced;
 *  - the whole state (epoch, cursors, used ids, RNG) serialises to JSON and resumes exactly.
 *
 * Epoch mechanics: each epoch shuffles the ids with an RNG derived from (seed, epoch). Every pool
 * (one per language for mono batches, one of ids with ≥ 2 languages for cross batches) reads that
 * one permutation through its own forward cursor, skipping ids already used, so the whole epoch
 * costs O(ids × (languages + 1)) and memory is ~5 bytes per id (permutation + used bits).
 *
 * When the drawn mode cannot fill a batch (see docs/data-and-sampling.md, "Running out"):
 *  1. a mono batch's language is drawn (by the weighting) only among languages with ≥ B unused ids;
 *  2. if no language (mono) or too few multi-language ids (cross) can fill B, a hybrid sampler
 *     uses the other mode when that one can fill B;
 *  3. if neither can, the epoch's tail is emitted as smaller batches (same rules with "≥ 1"),
 *     or, with `dropLast`, the epoch ends and the leftover ids wait for the next epoch;
 *  4. ids that the allowed modes cannot use (single-language ids in a pure cross sampler) are
 *     skipped; the epoch ends when nothing usable is left.
 */

export type SamplingMode = 'mono' | 'cross' | 'hybrid';
export type BatchMode = 'mono' | 'cross';

export interface SamplerOptions {
  batchSize: number;
  /** `mono` (X-X), `cross` (X-Y) or `hybrid` (mono with probability `alpha`). */
  mode: SamplingMode;
  /** Probability of a mono batch in hybrid mode (default 0.5, the paper's value). */
  alpha?: number;
  weighting?: Weighting;
  /** For `temperature` weighting: p ∝ n^(1/T). */
  temperature?: number;
  seed: number;
  /** Stop after this many epochs (default: never stop). */
  epochs?: number;
  /** End the epoch when no full batch can be formed instead of emitting smaller tail batches. */
  dropLast?: boolean;
}

/** Options with defaults filled in, as stored in the state. */
export interface ResolvedSamplerOptions {
  batchSize: number;
  mode: SamplingMode;
  alpha: number;
  weighting: Weighting;
  temperature: number;
  seed: number;
  epochs: number | null;
  dropLast: boolean;
}

/** One triplet slot: id index and language indices (into dataset.languages). */
export interface IdItem {
  index: number;
  queryLang: number;
  passageLang: number;
  /** A random 32-bit number the text layer passes to `dataset.example` (picks a triple in mMARCO). */
  variant: number;
}

export interface IdBatch {
  mode: BatchMode;
  epoch: number;
  /** Position of this batch in its epoch (0-based). */
  batchInEpoch: number;
  items: IdItem[];
}

export interface SamplerState {
  format: 'polyret-sampler';
  version: 1;
  options: ResolvedSamplerOptions;
  /** Identifies the dataset the state belongs to. */
  dataset: { size: number; languages: string[]; counts: number[] };
  epoch: number;
  batchInEpoch: number;
  finished: boolean;
  rng: RngState;
  monoCursors: number[];
  crossCursor: number;
  deferred: number[];
  /** Used-id bitset of the current epoch, base64. */
  used: string;
}

export function resolveOptions(opts: SamplerOptions): ResolvedSamplerOptions {
  const { batchSize, mode, seed } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (mode !== 'mono' && mode !== 'cross' && mode !== 'hybrid') throw new Error(`mode must be mono, cross or hybrid, got "${String(mode)}"`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const alpha = mode === 'mono' ? 1 : mode === 'cross' ? 0 : (opts.alpha ?? 0.5);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`alpha must be in [0, 1], got ${opts.alpha}`);
  const weighting = opts.weighting ?? 'uniform';
  if (!WEIGHTINGS.includes(weighting)) throw new Error(`weighting must be one of ${WEIGHTINGS.join(', ')}, got "${String(weighting)}"`);
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`temperature must be a positive number, got ${opts.temperature}`);
  const epochs = opts.epochs === undefined || opts.epochs === Infinity ? null : opts.epochs;
  if (epochs !== null && !(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`epochs must be a positive integer, got ${opts.epochs}`);
  return { batchSize, mode, alpha, weighting, temperature, seed, epochs, dropLast: opts.dropLast ?? false };
}

export class IdBatchSampler {
  readonly options: ResolvedSamplerOptions;
  private readonly n: number;
  private readonly L: number;
  private readonly classOf: Uint8Array | Uint16Array;
  private readonly classLangs: readonly (readonly number[])[];
  /** classHas[c * L + l] = 1 when class c has language l. */
  private readonly classHas: Uint8Array;
  private readonly classMulti: Uint8Array;
  private readonly counts: number[];
  private readonly weights: Float64Array;

  private rng: Rng;
  private epoch = 0;
  private batchInEpoch = 0;
  private finished = false;
  private perm: Uint32Array;
  private used: Uint8Array;
  private monoCursor: Float64Array;
  private crossCursor = 0;
  private deferred: number[] = [];
  private remaining: Float64Array;
  private remainingCross = 0;
  private remainingTotal = 0;

  // The batch being assembled.
  private current: { mode: BatchMode; lang: number; excluded: Set<number> | null } | null = null;
  private scratchWeights: Float64Array;

  constructor(readonly dataset: ParallelDataset, opts: SamplerOptions) {
    this.options = resolveOptions(opts);
    this.n = dataset.size;
    this.L = dataset.languages.length;
    if (this.n === 0) throw new Error(`${dataset.name}: no examples`);
    if (this.n > 0xffffffff) throw new Error(`${dataset.name}: more than 2^32 examples`);
    const { classOf, classLanguages } = dataset.availability;
    this.classOf = classOf;
    this.classLangs = classLanguages;
    this.classHas = new Uint8Array(classLanguages.length * this.L);
    this.classMulti = new Uint8Array(classLanguages.length);
    classLanguages.forEach((langs, c) => {
      for (const l of langs) this.classHas[c * this.L + l] = 1;
      this.classMulti[c] = langs.length >= 2 ? 1 : 0;
    });
    this.counts = languageCounts(dataset);
    this.weights = Float64Array.from(languageWeights(this.counts, this.options.weighting, this.options.temperature));
    this.scratchWeights = new Float64Array(this.L);
    this.rng = Rng.fromSeed(mixSeed(this.options.seed, 0x5a3d));
    this.perm = new Uint32Array(this.n);
    this.used = new Uint8Array((this.n + 7) >>> 3);
    this.monoCursor = new Float64Array(this.L);
    this.remaining = new Float64Array(this.L);
    this.startEpoch(0);
    if (this.options.alpha === 0 && this.remainingCross === 0) {
      throw new Error(`${dataset.name}: cross-lingual batches need ids in at least two languages, and no id has more than one`);
    }    // With dropLast, an epoch in which no full batch can be formed yields nothing: training would "complete" after
    // 0 steps (and with unlimited epochs the sampler would look for a batch forever). Refused here, before any work.
    const B = this.options.batchSize;
    if (this.options.dropLast && !this.monoFeasible(B) && !this.crossFeasible(B)) {
      const biggest = Math.max(...Array.from(this.remaining));
      throw new Error(
        `${dataset.name}: dropLast with batch size ${B} can never form a batch: ${this.n} ids, at most ${biggest} in one language` +
        `${this.options.alpha < 1 ? `, ${this.remainingCross} usable for cross-lingual batches` : ''}; use a batch size ≤ ${Math.max(this.options.alpha > 0 ? biggest : 0, this.options.alpha < 1 ? this.remainingCross : 0)} or turn dropLast off`,
      );
    }
  }

  /** Per-language probabilities of the weighting (order of dataset.languages). */
  languageProbabilities(): number[] {
    return Array.from(this.weights);
  }

  private startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.batchInEpoch = 0;
    const perm = this.perm;
    for (let i = 0; i < this.n; i++) perm[i] = i;
    Rng.fromSeed(mixSeed(this.options.seed, epoch, 0xe90c)).shuffle(perm);
    this.used.fill(0);
    this.monoCursor.fill(0);
    this.crossCursor = 0;
    this.deferred = [];
    this.recount();
  }

  /** Remaining-id counts from the used bitset (after a new epoch or a restore). */
  private recount(): void {
    const perClass = new Float64Array(this.classLangs.length);
    for (let i = 0; i < this.n; i++) if (!this.isUsed(i)) perClass[this.classOf[i]!]!++;
    this.remaining.fill(0);
    this.remainingCross = 0;
    this.remainingTotal = 0;
    this.classLangs.forEach((langs, c) => {
      const k = perClass[c]!;
      for (const l of langs) this.remaining[l]! += k;
      if (this.classMulti[c]) this.remainingCross += k;
      this.remainingTotal += k;
    });
  }

  private isUsed(i: number): boolean {
    return (this.used[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  private setUsed(i: number, on: boolean): void {
    const c = this.classOf[i]!;
    const d = on ? -1 : 1;
    if (on) this.used[i >>> 3]! |= 1 << (i & 7);
    else this.used[i >>> 3]! &= ~(1 << (i & 7));
    for (const l of this.classLangs[c]!) this.remaining[l]! += d;
    if (this.classMulti[c]) this.remainingCross += d;
    this.remainingTotal += d;
  }

  /** Ids that the allowed modes can still use this epoch. */
  private usableRemaining(): number {
    return this.options.alpha === 0 ? this.remainingCross : this.remainingTotal;
  }

  private monoFeasible(need: number): boolean {
    if (this.options.alpha === 0) return false;
    for (let l = 0; l < this.L; l++) if (this.remaining[l]! >= need && this.weights[l]! > 0) return true;
    return false;
  }

  private crossFeasible(need: number): boolean {
    return this.options.alpha < 1 && this.remainingCross >= need;
  }

  /**
   * Starts the next batch: chooses its mode (and language, for mono). Returns null when the
   * configured number of epochs is done. Follow with {@link takeOne} calls and {@link endBatch}.
   */
  beginBatch(): { mode: BatchMode; epoch: number; batchInEpoch: number; lang: number } | null {
    if (this.current) throw new Error('beginBatch called twice without endBatch');
    const B = this.options.batchSize;
    const alpha = this.options.alpha;
    for (;;) {
      if (this.finished) return null;
      // The mode is drawn first, every batch, so the RNG stream does not depend on pool sizes.
      const want: BatchMode = alpha >= 1 ? 'mono' : alpha <= 0 ? 'cross' : this.rng.nextFloat() < alpha ? 'mono' : 'cross';
      const other: BatchMode = want === 'mono' ? 'cross' : 'mono';
      const feasible = (m: BatchMode, need: number): boolean => (m === 'mono' ? this.monoFeasible(need) : this.crossFeasible(need));
      let mode: BatchMode | null = null;
      let need = B;
      if (feasible(want, B)) mode = want;
      else if (feasible(other, B)) mode = other;
      else if (!this.options.dropLast && this.usableRemaining() > 0) {
        need = 1;
        mode = feasible(want, 1) ? want : feasible(other, 1) ? other : null;
      }
      if (mode === null) {
        this.nextEpoch();
        continue;
      }
      let lang = -1;
      if (mode === 'mono') {
        const w = this.scratchWeights;
        for (let l = 0; l < this.L; l++) w[l] = this.remaining[l]! >= need ? this.weights[l]! : 0;
        lang = this.rng.weightedIndex(w);
      }
      this.current = { mode, lang, excluded: null };
      return { mode, epoch: this.epoch, batchInEpoch: this.batchInEpoch, lang };
    }
  }

  private nextEpoch(): void {
    const next = this.epoch + 1;
    if (this.options.epochs !== null && next >= this.options.epochs) {
      this.finished = true;
      return;
    }
    this.startEpoch(next);
  }

  private eligible(i: number): boolean {
    const cur = this.current!;
    if (this.isUsed(i)) return false;
    if (cur.excluded && cur.excluded.has(i)) return false;
    const c = this.classOf[i]!;
    return cur.mode === 'mono' ? this.classHas[c * this.L + cur.lang] === 1 : this.classMulti[c] === 1;
  }

  /** Adds the next id to the current batch; null when its pool has no unused id left. */
  takeOne(): IdItem | null {
    const cur = this.current;
    if (!cur) throw new Error('takeOne called outside a batch');
    let id = -1;
    if (this.deferred.length > 0) {
      for (let k = 0; k < this.deferred.length; k++) {
        const d = this.deferred[k]!;
        if (this.eligible(d)) {
          id = d;
          this.deferred.splice(k, 1);
          break;
        }
      }
      // Ids used since they were deferred need not stay in the list.
      if (id < 0) this.deferred = this.deferred.filter((d) => !this.isUsed(d));
    }
    if (id < 0) {
      const perm = this.perm;
      const n = this.n;
      if (cur.mode === 'mono') {
        const L = this.L;
        const lang = cur.lang;
        let pos = this.monoCursor[lang]!;
        while (pos < n) {
          const i = perm[pos++]!;
          if ((this.used[i >>> 3]! & (1 << (i & 7))) === 0 && this.classHas[this.classOf[i]! * L + lang] === 1) {
            id = i;
            break;
          }
        }
        this.monoCursor[lang] = pos;
      } else {
        let pos = this.crossCursor;
        while (pos < n) {
          const i = perm[pos++]!;
          if ((this.used[i >>> 3]! & (1 << (i & 7))) === 0 && this.classMulti[this.classOf[i]!] === 1) {
            id = i;
            break;
          }
        }
        this.crossCursor = pos;
      }
      // An id released in this batch came from this pool's cursor or from `deferred`, so it lies
      // behind the cursor: the scan cannot offer it again in the same batch.
    }
    if (id < 0) return null;
    this.setUsed(id, true);
    let queryLang: number;
    let passageLang: number;
    if (cur.mode === 'mono') {
      queryLang = passageLang = cur.lang;
    } else {
      const langs = this.classLangs[this.classOf[id]!]!;
      if (this.options.weighting === 'uniform') {
        // Equal weights: an ordered pair of distinct languages, uniformly, without weight sums.
        const k = langs.length;
        const qi = this.rng.nextInt(k);
        queryLang = langs[qi]!;
        passageLang = langs[(qi + 1 + this.rng.nextInt(k - 1)) % k]!;
      } else {
        const w = this.scratchWeights;
        w.fill(0);
        for (const l of langs) w[l] = this.weights[l]!;
        queryLang = this.rng.weightedIndex(w);
        w[queryLang] = 0;
        passageLang = this.rng.weightedIndex(w);
      }
    }
    return { index: id, queryLang, passageLang, variant: this.rng.nextU32() };
  }

  /**
   * Returns an id taken in this batch to the epoch's pool (the text layer does this when the id's
   * passage duplicates one already in the batch): it stays unused, is not offered again in this
   * batch, and is offered first to later batches.
   */
  release(item: IdItem): void {
    const cur = this.current;
    if (!cur) throw new Error('release called outside a batch');
    if (!this.isUsed(item.index)) throw new Error(`release: id #${item.index} was not taken`);
    this.setUsed(item.index, false);
    (cur.excluded ??= new Set()).add(item.index);
    this.deferred.push(item.index);
  }

  endBatch(): void {
    if (!this.current) throw new Error('endBatch called outside a batch');
    this.current = null;
    this.batchInEpoch++;
  }

  /** The next batch of ids; null when the configured epochs are done. */
  next(): IdBatch | null {
    const head = this.beginBatch();
    if (!head) return null;
    const items: IdItem[] = [];
    for (let k = 0; k < this.options.batchSize; k++) {
      const it = this.takeOne();
      if (!it) break;
      items.push(it);
    }
    this.endBatch();
    return { mode: head.mode, epoch: head.epoch, batchInEpoch: head.batchInEpoch, items };
  }

  /** The full state as JSON-safe data. Only valid between batches. */
  state(): SamplerState {
    if (this.current) throw new Error('state() called in the middle of a batch');
    return {
      format: 'polyret-sampler',
      version: 1,
      options: { ...this.options },
      dataset: { size: this.n, languages: [...this.dataset.languages], counts: [...this.counts] },
      epoch: this.epoch,
      batchInEpoch: this.batchInEpoch,
      finished: this.finished,
      rng: this.rng.state(),
      monoCursors: Array.from(this.monoCursor),
      crossCursor: this.crossCursor,
      deferred: [...this.deferred],
      used: Buffer.from(this.used.buffer, this.used.byteOffset, this.used.byteLength).toString('base64'),
    };
  }

  /** A sampler continuing exactly where `state` was taken, on the same dataset. */
  static restore(dataset: ParallelDataset, state: unknown): IdBatchSampler {
    const s = checkState(state);
    const counts = languageCounts(dataset);
    if (
      s.dataset.size !== dataset.size ||
      JSON.stringify(s.dataset.languages) !== JSON.stringify(dataset.languages) ||
      JSON.stringify(s.dataset.counts) !== JSON.stringify(counts)
    ) {
      throw new Error(
        `sampler state belongs to another dataset (state: ${s.dataset.size} ids in ${s.dataset.languages.join(',')}; ` +
          `data: ${dataset.size} ids in ${dataset.languages.join(',')})`,
      );
    }
    const o = s.options;
    const sampler = new IdBatchSampler(dataset, { ...o, epochs: o.epochs ?? undefined });
    if (s.epoch !== 0) sampler.startEpoch(s.epoch);
    sampler.batchInEpoch = s.batchInEpoch;
    sampler.finished = s.finished;
    sampler.rng = Rng.fromState(s.rng);
    const used = Buffer.from(s.used, 'base64');
    if (used.length !== sampler.used.length) throw new Error(`sampler state: used bitset has ${used.length} bytes, expected ${sampler.used.length}`);
    sampler.used.set(used);
    if (s.monoCursors.length !== sampler.L) throw new Error('sampler state: wrong number of language cursors');
    sampler.monoCursor.set(s.monoCursors);
    sampler.crossCursor = s.crossCursor;
    sampler.deferred = [...s.deferred];
    sampler.recount();
    return sampler;
  }
}

function checkState(state: unknown): SamplerState {
  const s = state as Partial<SamplerState> | null;
  if (typeof s !== 'object' || s === null || s.format !== 'polyret-sampler') throw new Error('not a polyret sampler state (field "format" must be "polyret-sampler")');
  if (s.version !== 1) throw new Error(`sampler state version ${String(s.version)} is not supported (expected 1)`);
  const need: (keyof SamplerState)[] = ['options', 'dataset', 'epoch', 'batchInEpoch', 'finished', 'rng', 'monoCursors', 'crossCursor', 'deferred', 'used'];
  for (const k of need) if (s[k] === undefined) throw new Error(`sampler state: field "${k}" is missing`);
  const nonNegInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  if (!nonNegInt(s.epoch) || !nonNegInt(s.batchInEpoch) || !nonNegInt(s.crossCursor)) throw new Error('sampler state: epoch, batchInEpoch and crossCursor must be non-negative integers');
  if (!Array.isArray(s.monoCursors) || !s.monoCursors.every(nonNegInt)) throw new Error('sampler state: monoCursors must be non-negative integers');
  if (!Array.isArray(s.deferred) || !s.deferred.every(nonNegInt)) throw new Error('sampler state: deferred must be non-negative integers');
  if (typeof s.used !== 'string') throw new Error('sampler state: used must be a base64 string');
  return s as SamplerState;
}
