import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, manualSeed, tidy, type Tensor } from '../../src/tensor/index.js';
import { contrastiveStep } from '../../src/train/gradCache.js';
import { infoNCELoss, tripletLayout } from '../../src/train/losses/infoNCE.js';
import { ToyEncoder } from './toyEncoder.js';

const B = 7;
const ids = Array.from({ length: B }, (_, i) => `ex${i}`);
const queries = ids.map((id, i) => `what is ${id}? ${'q'.repeat(i)}`);
const positives = ids.map((id, i) => `${id} is the answer ${i}`);
const negatives = ids.map((id, i) => `not ${id}, a distractor ${i * 3}`);
const passages = [...positives, ...negatives];
const layout = tripletLayout(ids, ids.map(() => 1));
const loss = (q: Tensor, p: Tensor): Tensor => infoNCELoss(q, p, layout, { scale: 20 });
const seedFor = (k: number): number => 1000 + k;

function grads(m: ToyEncoder): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [n, p] of m.namedParameters()) {
    const g = p.grad;
    if (g) {
      out.set(n, g.toFloat32Array());
      g.dispose();
    }
  }
  m.zeroGrad();
  return out;
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { diff: number; at: string } {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let diff = 0;
  let at = '';
  for (const [n, x] of a) {
    const y = b.get(n)!;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i]! - y[i]!);
      if (d > diff) {
        diff = d;
        at = n;
      }
    }
  }
  return { diff, at };
}

/** The reference: every mini-batch embedded with its graph kept, one loss, one backward. */
function chunkedWithGraphs(m: ToyEncoder, size: number): number {
  return tidy(() => {
    const embs: Tensor[] = [];
    let k = 0;
    const qs: Tensor[] = [];
    for (let i = 0; i < queries.length; i += size) {
      manualSeed(seedFor(k++));
      qs.push(m.embed(queries.slice(i, i + size), 'query'));
    }
    const ps: Tensor[] = [];
    for (let i = 0; i < passages.length; i += size) {
      manualSeed(seedFor(k++));
      ps.push(m.embed(passages.slice(i, i + size), 'passage'));
    }
    embs.push(...qs, ...ps);
    const l = loss(cat(qs), cat(ps));
    l.backward();
    return l.item();
  });
}

test('GradCache gradients equal full-batch gradients (dropout off), for several mini-batch sizes', () => {
  manualSeed(3);
  const m = new ToyEncoder(16, 0);
  const full = contrastiveStep(m, queries, passages, loss, { miniBatch: null });
  const gFull = grads(m);
  assert.ok(full.finite && full.loss > 0);
  for (const size of [1, 3, 5]) {
    const cached = contrastiveStep(m, queries, passages, loss, { miniBatch: size });
    assert.ok(Math.abs(cached.loss - full.loss) < 1e-6, `loss ${cached.loss} vs ${full.loss}`);
    const { diff, at } = maxDiff(grads(m), gFull);
    assert.ok(diff < 1e-5, `mini-batch ${size}: gradient differs by ${diff} at ${at}`);
  }
  m.dispose();
});

test('GradCache replays dropout masks: gradients equal the graph-keeping run with the same masks', () => {
  manualSeed(4);
  const m = new ToyEncoder(16, 0.3);
  const refLoss = chunkedWithGraphs(m, 3);
  const gRef = grads(m);
  const cached = contrastiveStep(m, queries, passages, loss, { miniBatch: 3, seedFor });
  assert.ok(Math.abs(cached.loss - refLoss) < 1e-6, `loss ${cached.loss} vs ${refLoss}`);
  const { diff, at } = maxDiff(grads(m), gRef);
  assert.ok(diff < 1e-5, `gradient differs by ${diff} at ${at}`);
  // Without the replay the second pass draws different masks, and the gradients are wrong.
  manualSeed(5);
  contrastiveStep(m, queries, passages, loss, { miniBatch: 3 });
  assert.ok(maxDiff(grads(m), gRef).diff > 1e-3, 'unreplayed dropout should change the gradients');
  m.dispose();
});

test('a non-finite loss backpropagates nothing', () => {
  const m = new ToyEncoder(16, 0);
  for (const miniBatch of [null, 2]) {
    const r = contrastiveStep(m, queries, passages, (q) => q.sum().mul(Number.NaN), { miniBatch });
    assert.equal(r.finite, false);
    assert.equal(grads(m).size, 0, 'no parameter should have a gradient');
  }
  m.dispose();
});
