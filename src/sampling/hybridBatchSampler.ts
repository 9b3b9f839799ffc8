import type { ParallelDataset } from '../data/parallelDataset.js';
import { IdBatchSampler, type BatchMode, type IdItem, type SamplerOptions, type SamplerState } from './idBatchSampler.js';

/** One training triplet with its texts. */
export interface TextItem {
  id: string;
  queryLang: string;
  passageLang: string;
  query: string;
  positive: string;
  negatives: string[];
}

export interface TextBatch {
  mode: BatchMode;
  epoch: number;
  batchInEpoch: number;
  items: TextItem[];
  /** Ids put back for a later batch because a passage duplicated one already in this batch. */
  deferred: string[];
}

/**
 * The sampler a trainer uses: {@link IdBatchSampler}'s composition, with texts looked up lazily
 * and exact duplicate passages kept out of a batch. An item is put back (deferred to a later batch,
 * still visited once in the epoch) when its positive equals any passage already in the batch, or
 * one of its negatives equals a positive already in the batch — either would make a relevant
 * passage an in-batch negative. Negatives equal to the item's own positive or repeated within the
 * item are dropped. Without such duplicates the batches are exactly the id-level sampler's.
 */
export class HybridBatchSampler {
  private constructor(
    readonly dataset: ParallelDataset,
    readonly ids: IdBatchSampler,
  ) {}

  static create(dataset: ParallelDataset, opts: SamplerOptions): HybridBatchSampler {
    return new HybridBatchSampler(dataset, new IdBatchSampler(dataset, opts));
  }

  /** Continues from a state saved by {@link state} (same dataset, same options). */
  static restore(dataset: ParallelDataset, state: unknown): HybridBatchSampler {
    return new HybridBatchSampler(dataset, IdBatchSampler.restore(dataset, state));
  }

  state(): SamplerState {
    return this.ids.state();
  }

  /** The next batch; null after the configured number of epochs. */
  next(): TextBatch | null {
    const ds = this.dataset;
    const head = this.ids.beginBatch();
    if (!head) return null;
    const items: TextItem[] = [];
    const deferred: string[] = [];
    const passages = new Set<string>();
    const positives = new Set<string>();
    const B = this.ids.options.batchSize;
    while (items.length < B) {
      const it: IdItem | null = this.ids.takeOne();
      if (!it) break;
      const qLang = ds.languages[it.queryLang]!;
      const pLang = ds.languages[it.passageLang]!;
      const ex = ds.example(it.index, pLang, it.variant);
      const query = it.queryLang === it.passageLang ? ex.query : ds.query(it.index, qLang, it.variant);
      const negatives: string[] = [];
      for (const n of ex.negatives) if (n !== ex.positive && !negatives.includes(n)) negatives.push(n);
      if (passages.has(ex.positive) || negatives.some((n) => positives.has(n))) {
        this.ids.release(it);
        deferred.push(ds.id(it.index));
        continue;
      }
      passages.add(ex.positive);
      positives.add(ex.positive);
      for (const n of negatives) passages.add(n);
      items.push({ id: ds.id(it.index), queryLang: qLang, passageLang: pLang, query, positive: ex.positive, negatives });
    }
    this.ids.endBatch();
    return { mode: head.mode, epoch: head.epoch, batchInEpoch: head.batchInEpoch, items, deferred };
  }
}
