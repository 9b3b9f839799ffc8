import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/tensor/index.js';
import { infoNCELoss, tripletLayout } from '../../src/train/losses/infoNCE.js';
import { Temperature } from '../../src/train/losses/temperature.js';
import { assertClose, fx, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface Case {
  name: string; B: number; D: number; negatives: number[]; groups: number[];
  temperature: number; symmetric: boolean; learned: boolean;
  q: FixtureTensor; p: FixtureTensor; loss: number; gradQ: FixtureTensor; gradP: FixtureTensor; gradLogScale?: number;
}
const { cases } = readFixture<{ cases: Case[] }>('train', 'infonce.json');

for (const c of cases) {
  test(`InfoNCE matches PyTorch (loss and gradients): ${c.name}`, () => {
    // Group numbers stand for example ids: equal numbers are translations of one example.
    const layout = tripletLayout(c.groups.map((g) => `id${g}`), c.negatives);
    const temp = new Temperature(c.temperature, c.learned);
    tidy(() => {
      const q = fx(c.q).requiresGrad_(true);
      const p = fx(c.p).requiresGrad_(true);
      const loss = infoNCELoss(q, p, layout, { scale: temp.scale(), symmetric: c.symmetric });
      assert.ok(Math.abs(loss.item() - c.loss) < 1e-5 * Math.max(1, Math.abs(c.loss)), `loss ${loss.item()} vs ${c.loss}`);
      loss.backward();
      assertClose(q.grad!, c.gradQ, 'dL/dq', 1e-6, 1e-4);
      assertClose(p.grad!, c.gradP, 'dL/dp', 1e-6, 1e-4);
      if (c.learned) {
        const [[, ls]] = temp.namedParameters() as [[string, ReturnType<typeof fx>]];
        const g = ls.grad!.item();
        assert.ok(Math.abs(g - c.gradLogScale!) < 1e-4 * Math.max(1, Math.abs(c.gradLogScale!)), `dL/dlogscale ${g} vs ${c.gradLogScale}`);
      }
    });
    temp.dispose();
  });
}

test('a translation in the batch is never a negative; own hard negatives are', () => {
  tidy(() => {
    // Triplets 0 and 1 are translations with identical embeddings: unmasked, query 0 would see
    // passage 1 (as similar as its positive) as a negative and pay log 2 for it.
    const q = tensor([[1, 0], [1, 0]]);
    const p = tensor([[1, 0], [1, 0]]);
    const same = infoNCELoss(q, p, tripletLayout(['a', 'a'], [0, 0]), { scale: 20 }).item();
    const distinct = infoNCELoss(q, p, tripletLayout(['a', 'b'], [0, 0]), { scale: 20 }).item();
    assert.ok(Math.abs(same) < 1e-6, `masked loss ${same}`);
    assert.ok(Math.abs(distinct - Math.log(2)) < 1e-5, `unmasked loss ${distinct}`);
    // An own hard negative equal to the positive does count (loss log 2), even with a translation present.
    const withNeg = infoNCELoss(tensor([[1, 0]]), tensor([[1, 0], [1, 0]]), tripletLayout(['a'], [1]), { scale: 20 }).item();
    assert.ok(Math.abs(withNeg - Math.log(2)) < 1e-5, `own-negative loss ${withNeg}`);
  });
});

test('InfoNCE is stable for large scales (log-softmax, no overflow)', () => {
  tidy(() => {
    const q = tensor([[1, 0], [0, 1]]);
    const p = tensor([[1, 0], [0, 1]]);
    const l = infoNCELoss(q, p, tripletLayout(['a', 'b'], [0, 0]), { scale: 1e4 }).item();
    assert.ok(Number.isFinite(l) && l >= 0 && l < 1e-6, `loss ${l}`);
    const wrong = infoNCELoss(q, tensor([[0, 1], [1, 0]]), tripletLayout(['a', 'b'], [0, 0]), { scale: 1e4 }).item();
    assert.ok(Math.abs(wrong - 1e4) < 1, `loss ${wrong}`);
  });
});
