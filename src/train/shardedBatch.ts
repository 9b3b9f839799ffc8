import { cat, fromArray, zeros, type Tensor } from '../tensor/index.js';
import { allGatherWithGrad } from '../dist/index.js';
import type { TextBatch } from '../sampling/hybridBatchSampler.js';
import { tripletLayout, type TripletLayout } from './losses/infoNCE.js';

/**
 * One rank's share of a global batch. Every rank draws the same global batch (one sampler, in the
 * same state everywhere) and encodes the triplets [lo, hi): its queries, then its positives, then
 * its triplets' negatives. The loss is computed on the whole global batch: the embeddings are
 * all-gathered with gradient and put back into the single-process order (all positives, then every
 * triplet's negatives), so every rank's in-batch negatives are the whole batch's, and the loss — and
 * its value, logged by rank 0 — is the one a single process computes on that batch.
 */
export interface ShardedBatch {
  /** This rank's texts. */
  queries: string[];
  passages: string[];
  /** The global batch's layout (groups and passage owners in single-process order). */
  layout: TripletLayout;
  /** Rows per rank after padding (gathering needs the same shape on every rank). */
  maxQueries: number;
  maxPassages: number;
  /** Row of each global query / passage (single-process order) in the gathered, padded tensors. */
  queryIndex: number[];
  passageIndex: number[];
  /** Triplets this rank encodes. */
  lo: number;
  hi: number;
}

/** Triplets [lo, hi) of rank `r` in a batch of `n` split over `world` ranks (sizes differ by at most one). */
export function shardRange(n: number, world: number, r: number): { lo: number; hi: number } {
  return { lo: Math.floor((r * n) / world), hi: Math.floor(((r + 1) * n) / world) };
}

export function shardBatch(b: TextBatch, world: number, rank: number): ShardedBatch {
  const items = b.items;
  const B = items.length;
  if (B < world) throw new Error(`a batch of ${B} triplets cannot be split over ${world} ranks (training.batchSize must be at least the world size)`);
  const ranges = Array.from({ length: world }, (_, r) => shardRange(B, world, r));
  const counts = ranges.map(({ lo, hi }) => {
    let negs = 0;
    for (let i = lo; i < hi; i++) negs += items[i]!.negatives.length;
    return { q: hi - lo, p: hi - lo + negs };
  });
  const maxQueries = Math.max(...counts.map((c) => c.q));
  const maxPassages = Math.max(...counts.map((c) => c.p));
  const rankOf = new Array<number>(B);
  ranges.forEach(({ lo, hi }, r) => {
    for (let i = lo; i < hi; i++) rankOf[i] = r;
  });
  const queryIndex = items.map((_, i) => rankOf[i]! * maxQueries + (i - ranges[rankOf[i]!]!.lo));
  const positiveIndex = items.map((_, i) => rankOf[i]! * maxPassages + (i - ranges[rankOf[i]!]!.lo));
  const negativeIndex: number[] = [];
  const negOffset = ranges.map(({ lo, hi }) => hi - lo);
  items.forEach((it, i) => {
    const r = rankOf[i]!;
    for (let k = 0; k < it.negatives.length; k++) negativeIndex.push(r * maxPassages + negOffset[r]++);
  });
  const { lo, hi } = ranges[rank]!;
  const mine = items.slice(lo, hi);
  return {
    queries: mine.map((it) => it.query),
    passages: [...mine.map((it) => it.positive), ...mine.flatMap((it) => it.negatives)],
    layout: tripletLayout(items.map((it) => it.id), items.map((it) => it.negatives.length)),
    maxQueries,
    maxPassages,
    queryIndex,
    passageIndex: [...positiveIndex, ...negativeIndex],
    lo,
    hi,
  };
}

function padRows(x: Tensor, rows: number): Tensor {
  const n = x.size(0);
  if (n === rows) return x;
  return cat([x, zeros([rows - n, ...x.shape.slice(1)], { dtype: x.dtype, device: x.device })]);
}

/**
 * The global batch's query and passage embeddings, in single-process order, from this rank's
 * (q: [hi−lo, D], p: [its passages, D]); differentiable, the gradient of every row reaching the
 * rank that encoded it (torch.distributed.nn.all_gather semantics).
 */
export function gatherBatch(q: Tensor, p: Tensor, s: ShardedBatch): { q: Tensor; p: Tensor } {
  const gq = allGatherWithGrad(padRows(q, s.maxQueries));
  const gp = allGatherWithGrad(padRows(p, s.maxPassages));
  const qi = fromArray(new BigInt64Array(s.queryIndex.map(BigInt)), [s.queryIndex.length], { device: q.device });
  const pi = fromArray(new BigInt64Array(s.passageIndex.map(BigInt)), [s.passageIndex.length], { device: p.device });
  return { q: gq.indexSelect(0, qi), p: gp.indexSelect(0, pi) };
}
