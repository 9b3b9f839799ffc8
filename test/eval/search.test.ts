import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DenseScorer } from '../../src/eval/search/denseScorer.js';
import { ExactTopK } from '../../src/eval/search/exactTopK.js';
import { innerProductsJs, normalizeRows } from '../../src/eval/search/innerProductsJs.js';
import { EmbeddingsFile, writeEmbeddings } from '../../src/eval/embeddings.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

test('DenseScorer (tensor engine) equals plain inner products', () => {
  const dim = 48;
  const q = rand(7 * dim, 1);
  const c = rand(300 * dim, 2);
  const scorer = new DenseScorer(c, dim);
  const got = scorer.scores(q);
  scorer.dispose();
  const want = innerProductsJs(q, c, dim);
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-5, `${i}: ${got[i]} vs ${want[i]}`);
});

test('ExactTopK streamed in uneven chunks returns the exact top-k of the whole corpus (ip and cosine)', () => {
  const dim = 32;
  const nq = 5;
  const n = 1000;
  const q = rand(nq * dim, 3);
  const c = rand(n * dim, 4);
  for (const similarity of ['ip', 'cosine'] as const) {
    const search = new ExactTopK(q, dim, { k: 10, similarity });
    for (const [a, b] of [[0, 3], [3, 250], [250, 251], [251, 1000]] as const) search.add(c.subarray(a * dim, b * dim));
    const res = search.result();
    search.dispose();
    const qq = similarity === 'cosine' ? normalizeRows(q.slice(), dim) : q;
    const cc = similarity === 'cosine' ? normalizeRows(c.slice(), dim) : c;
    const all = innerProductsJs(qq, cc, dim);
    for (let i = 0; i < nq; i++) {
      const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => all[i * n + y]! - all[i * n + x]!);
      assert.deepEqual(Array.from(res.indices.subarray(i * 10, i * 10 + 10)), order.slice(0, 10), `${similarity} query ${i}`);
      for (let j = 0; j < 10; j++) assert.ok(Math.abs(res.scores[i * 10 + j]! - all[i * n + order[j]!]!) < 1e-5);
    }
  }
  // a corpus smaller than k gives all of it
  const small = new ExactTopK(q, dim, { k: 50 });
  small.add(c.subarray(0, 20 * dim));
  assert.equal(small.result().k, 20);
  small.dispose();
});

test('embeddings file: round trip, partial row reads, clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-emb-'));
  const path = join(dir, 'e.safetensors');
  const v = rand(4 * 3, 5);
  writeEmbeddings(path, ['a', 'b', 'c', 'd'], v, 3);
  const f = new EmbeddingsFile(path);
  assert.equal(f.rows, 4);
  assert.equal(f.dim, 3);
  assert.deepEqual(Array.from(f.readRows(1, 3)), Array.from(v.subarray(3, 9)));
  assert.deepEqual(Array.from(f.gather(['d', 'a'])), [...v.subarray(9, 12), ...v.subarray(0, 3)]);
  assert.throws(() => f.gather(['a', 'zz'], 'query'), /no embedding for 1 query\(s\), e\.g\. 'zz'/);
  f.close();
  assert.throws(() => writeEmbeddings(path, ['a'], v, 3), /12 values for 1 ids × 3/);
});
