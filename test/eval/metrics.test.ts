import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeRanking } from '../../src/eval/metrics/judgedRanking.js';
import { rankTrec } from '../../src/eval/metrics/rankRun.js';
import { averagePrecision } from '../../src/eval/metrics/averagePrecision.js';
import { thresholdAveragePrecision, poolAveragePrecision } from '../../src/eval/metrics/thresholdAveragePrecision.js';
import { ndcgAt } from '../../src/eval/metrics/ndcg.js';
import { recallAt } from '../../src/eval/metrics/recall.js';
import { precisionAt, rPrecision } from '../../src/eval/metrics/precision.js';
import { reciprocalRank } from '../../src/eval/metrics/reciprocalRank.js';
import { compareDocids } from '../../src/eval/metrics/compareDocids.js';
import { parseMetric } from '../../src/eval/metrics/metricSpec.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

/** Ranking helper: list of [docid, score] and qrels as an object. */
function judged(results: [string, number][], qrels: Record<string, number>) {
  return judgeRanking(
    rankTrec(results.map(([docid, score]) => ({ docid, score }))),
    new Map(Object.entries(qrels)),
  );
}

test('ties are broken by docid descending, as trec_eval', () => {
  const r = rankTrec([
    { docid: 'a', score: 1 },
    { docid: 'c', score: 1 },
    { docid: 'b', score: 2 },
    { docid: 'b2', score: 1 },
  ]);
  assert.deepEqual(r.map((x) => x.docid), ['b', 'c', 'b2', 'a']);
  // byte order, not numeric: 'd9' > 'd10'
  assert.deepEqual(rankTrec([{ docid: 'd10', score: 0 }, { docid: 'd9', score: 0 }]).map((x) => x.docid), ['d9', 'd10']);
});

test('docid comparison is code point order (strcmp on UTF-8), not UTF-16 order', () => {
  // U+FF61 is one UTF-16 unit 0xFF61; U+1F600 is surrogates 0xD83D...: UTF-16 order says 😀 < ｡, UTF-8 says ｡ < 😀
  assert.equal(compareDocids('\uFF61', '\u{1F600}'), -1);
  assert.equal(compareDocids('ab', 'abc'), -1);
  assert.equal(compareDocids('abc', 'abc'), 0);
});

test('AP: hand computed, unretrieved relevant documents count as 0', () => {
  // ranks: d1 (rel) d2 d3 (rel) ; d4 relevant but not retrieved → (1/1 + 2/3) / 3
  const r = judged([['d1', 3], ['d2', 2], ['d3', 1]], { d1: 1, d3: 1, d4: 1, d2: 0 });
  close(averagePrecision(r), (1 + 2 / 3) / 3);
  close(averagePrecision(r, 2), 1 / 3); // AP@2 = map_cut.2
  close(rPrecision(r), 2 / 3);
  close(reciprocalRank(r), 1);
});

test('ties across the @k cutoff: trec order decides, threshold AP counts the tie group as one step', () => {
  // scores: x=0.9, then a tie at 0.5 among a1 (rel), n1, n2; trec order in the tie: n2, n1, a1 (docid descending)
  const r = judged([['x', 0.9], ['a1', 0.5], ['n1', 0.5], ['n2', 0.5]], { a1: 1, x: 0 });
  assert.deepEqual(Array.from(r.grades), [0, -1, -1, 1]);
  close(precisionAt(r, 2), 0);
  close(recallAt(r, 3), 0);
  close(recallAt(r, 4), 1);
  close(averagePrecision(r), 1 / 4);
  close(reciprocalRank(r), 1 / 4);
  close(reciprocalRank(r, 4), 1 / 4); // RR@k: the first relevant at rank 4 counts within 4, not within 3
  close(reciprocalRank(r, 3), 0);
  // threshold: the tie group {a1,n1,n2} ends at rank 4: precision 1/4 as well; here the same
  close(thresholdAveragePrecision(r), 1 / 4);
  // a tie group straddling k=2 does not count at all for AP@2 in threshold mode
  close(thresholdAveragePrecision(r, 2), 0);
  close(thresholdAveragePrecision(r, 4), 1 / 4);
  // with the relevant document sorted first inside the tie, trec AP would be 1/2 — docid decides
  const r2 = judged([['x', 0.9], ['z', 0.5], ['n1', 0.5], ['n2', 0.5]], { z: 1 });
  close(averagePrecision(r2), 1 / 2);
  close(thresholdAveragePrecision(r2), 1 / 4);
});

test('threshold AP equals scikit-learn on a hand case with mixed ties', () => {
  // sklearn: average_precision_score([1,0,1,0],[.5,.5,.5,.1]) = 2/3
  const r = judged([['a', 0.5], ['b', 0.5], ['c', 0.5], ['d', 0.1]], { a: 1, c: 1 });
  close(thresholdAveragePrecision(r), 2 / 3);
  close(poolAveragePrecision([0.5, 0.5, 0.5, 0.1], [0, 2]), 2 / 3);
  close(poolAveragePrecision([0.3, 0.3, 0.1], [1]), 0.5);
  close(poolAveragePrecision([0.3, 0.3, 0.1], []), 0);
});

test('queries without relevant documents score 0 everywhere', () => {
  const r = judged([['a', 1], ['b', 0]], { a: 0, b: 0 });
  for (const v of [averagePrecision(r), thresholdAveragePrecision(r), ndcgAt(r, 10), recallAt(r, 10), precisionAt(r, 1), reciprocalRank(r), rPrecision(r)]) {
    assert.equal(v, 0);
  }
});

test('runs shorter than k: P@k divides by k, nDCG@k keeps the ideal cut at k', () => {
  const r = judged([['a', 1]], { a: 1, b: 1, c: 1 });
  close(precisionAt(r, 10), 1 / 10);
  close(recallAt(r, 100), 1 / 3);
  close(ndcgAt(r, 10), 1 / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)));
  const empty = judged([], { a: 1 });
  assert.equal(ndcgAt(empty, 10), 0);
  assert.equal(averagePrecision(empty), 0);
});

test('graded relevance: nDCG uses linear gain and the ideal over all judged grades', () => {
  // ranking: a(1) b(3) c(0) d(2); judged also e(2) not retrieved
  const r = judged([['a', 4], ['b', 3], ['c', 2], ['d', 1]], { a: 1, b: 3, c: 0, d: 2, e: 2 });
  const dcg3 = 1 / Math.log2(2) + 3 / Math.log2(3);
  const ideal3 = 3 / Math.log2(2) + 2 / Math.log2(3) + 2 / Math.log2(4);
  close(ndcgAt(r, 3), dcg3 / ideal3);
  const dcg4 = dcg3 + 2 / Math.log2(5);
  const ideal4 = ideal3 + 1 / Math.log2(5);
  close(ndcgAt(r, 4), dcg4 / ideal4);
  // grades ≥ 1 are relevant for AP: a, b, d (of 4 relevant: a, b, d, e)
  close(averagePrecision(r), (1 + 1 + 3 / 4) / 4);
});

test('metric names are parsed and checked', () => {
  assert.deepEqual(parseMetric('nDCG@10'), { name: 'nDCG@10', kind: 'nDCG', k: 10 });
  assert.deepEqual(parseMetric('AP'), { name: 'AP', kind: 'AP' });
  assert.deepEqual(parseMetric('RR'), { name: 'RR', kind: 'RR' });
  assert.throws(() => parseMetric('nDCG'), /needs a cutoff/);
  assert.deepEqual(parseMetric('RR@3'), { name: 'RR@3', kind: 'RR', k: 3 });
  assert.throws(() => parseMetric('Rprec@3'), /takes no cutoff/);
  assert.throws(() => parseMetric('F1'), /unknown metric 'F1'/);
  assert.throws(() => parseMetric('P@0'), /positive integer/);
});
