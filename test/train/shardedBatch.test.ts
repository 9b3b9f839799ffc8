import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardBatch, shardRange } from '../../src/train/shardedBatch.js';
import type { TextBatch } from '../../src/sampling/hybridBatchSampler.js';

function batch(negatives: number[]): TextBatch {
  return {
    mode: 'cross', epoch: 0, batchInEpoch: 0, deferred: [],
    items: negatives.map((n, i) => ({
      id: `id${i}`, queryLang: 'de', passageLang: 'en', query: `q${i}`, positive: `p${i}`,
      negatives: Array.from({ length: n }, (_, k) => `n${i}.${k}`),
    })),
  };
}

/** What a single process encodes: queries, then all positives, then every triplet's negatives. */
function singleProcess(b: TextBatch): { queries: string[]; passages: string[] } {
  return { queries: b.items.map((it) => it.query), passages: [...b.items.map((it) => it.positive), ...b.items.flatMap((it) => it.negatives)] };
}

test('shard ranges cover the batch in order, sizes differing by at most one', () => {
  assert.deepEqual([0, 1, 2].map((r) => shardRange(7, 3, r)), [{ lo: 0, hi: 2 }, { lo: 2, hi: 4 }, { lo: 4, hi: 7 }]);
  assert.deepEqual([0, 1].map((r) => shardRange(8, 2, r)), [{ lo: 0, hi: 4 }, { lo: 4, hi: 8 }]);
});

test('gathering every rank\'s padded rows and indexing them gives the single-process order', () => {
  for (const [negs, world] of [[[1, 0, 2, 1, 1], 2], [[1, 1, 1, 1, 1, 1, 1], 3], [[0, 0, 3], 3], [[2, 1], 1]] as const) {
    const b = batch([...negs]);
    const shards = Array.from({ length: world }, (_, r) => shardBatch(b, world, r));
    // all-gather: rank by rank, each padded to the same number of rows
    const pad = (xs: string[], n: number) => [...xs, ...Array.from({ length: n - xs.length }, () => '<pad>')];
    const gq = shards.flatMap((s) => pad(s.queries, s.maxQueries));
    const gp = shards.flatMap((s) => pad(s.passages, s.maxPassages));
    const s0 = shards[0]!;
    for (const s of shards) {
      assert.deepEqual(s.queryIndex, s0.queryIndex, 'every rank has the same index');
      assert.deepEqual(s.layout, s0.layout);
    }
    const want = singleProcess(b);
    assert.deepEqual(s0.queryIndex.map((i) => gq[i]), want.queries, `queries, ${world} ranks, negatives ${negs.join(',')}`);
    assert.deepEqual(s0.passageIndex.map((i) => gp[i]), want.passages, `passages, ${world} ranks, negatives ${negs.join(',')}`);
    assert.deepEqual(s0.layout.passageOwner.slice(0, b.items.length), b.items.map((_, i) => i));
  }
});

test('a batch smaller than the world is refused', () => {
  assert.throws(() => shardBatch(batch([1, 1]), 3, 0), /a batch of 2 triplets cannot be split over 3 ranks/);
});
