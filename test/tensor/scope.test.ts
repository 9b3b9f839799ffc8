// Memory scopes: tidy/keep/dispose free native tensors deterministically, without the GC, and a
// 1,000-step training loop keeps resident memory flat.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, tensor, ones, zeros, randn, linear, mseLoss, noGrad, tidy, keep, unkeep, dispose, scopeDepth, manualSeed,
  leakedTensorCount,
  liveTensorCount,
} from '../../src/tensor/index.js';

describe('tidy', () => {
  it('frees every tensor created inside except the result', () => {
    let a!: Tensor, b!: Tensor, g!: Tensor;
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const c = tidy(() => {
      a = ones([3]);
      b = a.mul(2);
      x.mul(b).sum().backward();
      g = x.grad!;
      return b.add(a);
    });
    assert.equal(a.isDisposed, true);
    assert.equal(b.isDisposed, true);
    assert.equal(g.isDisposed, true, 'the handle made by reading .grad is scoped too');
    assert.equal(c.isDisposed, false);
    assert.deepEqual(c.toNumbers(), [3, 3, 3]);
    assert.equal(x.isDisposed, false, 'tensors from outside are not touched');
    assert.deepEqual(tidy(() => x.grad!.toNumbers()), [2, 2, 2], 'the gradient itself outlives the freed handle');
    dispose([c, x]);
  });

  it('passes results of a nested tidy to the enclosing scope, which frees them unless returned', () => {
    let inner!: Tensor, innerTmp!: Tensor, outerTmp!: Tensor;
    const out = tidy(() => {
      assert.equal(scopeDepth(), 1);
      inner = tidy(() => {
        assert.equal(scopeDepth(), 2);
        innerTmp = zeros([2]);
        return innerTmp.add(1);
      });
      assert.equal(innerTmp.isDisposed, true);
      assert.equal(inner.isDisposed, false);
      outerTmp = inner.mul(3);
      return outerTmp;
    });
    assert.equal(scopeDepth(), 0);
    assert.equal(inner.isDisposed, true, 'the outer scope freed what the inner one returned');
    assert.equal(out, outerTmp);
    assert.deepEqual(out.toNumbers(), [3, 3]);
    out.dispose();
  });

  it('keeps tensors reachable from returned arrays, plain objects and Maps', () => {
    let dropped!: Tensor;
    const r = tidy(() => {
      dropped = ones([1]);
      return {
        list: [ones([1]), [ones([2])]],
        nested: { t: zeros([3]), n: 5, s: 'text' },
        map: new Map([['k', randn([2])]]),
      };
    });
    assert.equal(dropped.isDisposed, true);
    const all = [r.list[0] as Tensor, (r.list[1] as Tensor[])[0]!, r.nested.t, r.map.get('k')!];
    for (const t of all) assert.equal(t.isDisposed, false);
    dispose(r);
    for (const t of all) assert.equal(t.isDisposed, true, 'dispose() walks the same structures');
  });

  it('keep() exempts a tensor from every enclosing scope; unkeep() hands it back', () => {
    let kept!: Tensor;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]));
      });
    });
    assert.equal(kept.isDisposed, false);
    tidy(() => {
      unkeep(kept);
    });
    assert.equal(kept.isDisposed, true);
  });

  it('an exception inside frees everything created in it (nested scopes too) and propagates', () => {
    const made: Tensor[] = [];
    const boom = new Error('boom');
    assert.throws(
      () =>
        tidy(() => {
          made.push(ones([2]));
          tidy(() => {
            made.push(ones([3]));
            tidy(() => {
              made.push(ones([4]));
              throw boom;
            });
          });
        }),
      (e) => e === boom,
    );
    assert.equal(made.length, 3);
    for (const t of made) assert.equal(t.isDisposed, true);
    assert.equal(scopeDepth(), 0);
  });

  it('an op error inside tidy frees the scope and leaves the engine usable', () => {
    let a!: Tensor;
    assert.throws(() => tidy(() => {
      a = ones([2, 3]);
      return a.mm(ones([2, 3]));
    }), /aten::mm/);
    assert.equal(a.isDisposed, true);
    assert.deepEqual(tidy(() => ones([2]).add(1).toNumbers()), [2, 2]);
  });

  it('refuses an async function, freeing what it created synchronously', async () => {
    let t!: Tensor;
    assert.throws(
      () =>
        tidy(async () => {
          t = ones([2]);
          return t;
        }),
      /tidy\(fn\): fn returned a Promise/,
    );
    assert.equal(t.isDisposed, true);
    assert.equal(scopeDepth(), 0);
  });

  it('dispose() is idempotent and a disposed tensor says so', () => {
    const t = ones([2]);
    t.dispose();
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(t.toString(), 'Tensor(disposed)');
  });

  it('outside any scope nothing is freed automatically', () => {
    assert.equal(scopeDepth(), 0);
    const t = ones([2]);
    tidy(() => t.add(1)).dispose();
    assert.equal(t.isDisposed, false);
    t.dispose();
  });
});

/**
 * A small MLP trained with raw tensors and manual SGD, one tidy per step (8 JS handles and ~30
 * libtorch tensors per step, counting autograd's saved ones). Returns the losses and the RSS
 * growth over the `measured` steps that follow `warmup` steps.
 */
async function trainLoop(warmup: number, measured: number, yieldEvery: number) {
  manualSeed(0);
  const [n, din, dh] = [128, 32, 64];
  const x = keep(randn([n, din]));
  const wTrue = keep(randn([din, 1]));
  const y = keep(tidy(() => x.matmul(wTrue).tanh()));
  const params = [
    randn([dh, din]).mul_(0.2).requiresGrad_(),
    zeros([dh]).requiresGrad_(),
    randn([1, dh]).mul_(0.2).requiresGrad_(),
    zeros([1]).requiresGrad_(),
  ].map(keep) as [Tensor, Tensor, Tensor, Tensor];
  const [w1, b1, w2, b2] = params;
  const lr = 0.05;
  const step = (): number =>
    tidy(() => {
      const h = linear(x, w1, b1).relu();
      const loss = mseLoss(linear(h, w2, b2), y);
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!, lr);
          p.zeroGrad();
        }
      });
      return loss.item();
    });
  const t0 = performance.now();
  let first = NaN;
  let last = NaN;
  let rssWarm = 0;
  let heapWarm = 0;
  for (let i = 0; i < warmup + measured; i++) {
    if (i === warmup) ({ rss: rssWarm, heapTotal: heapWarm } = process.memoryUsage());
    last = step();
    if (i === 0) first = last;
    if (yieldEvery > 0 && i % yieldEvery === yieldEvery - 1) await new Promise((r) => setImmediate(r));
  }
  const end = process.memoryUsage();
  const growthMB = (end.rss - rssWarm) / 2 ** 20;
  const heapGrowthMB = (end.heapTotal - heapWarm) / 2 ** 20;
  const seconds = (performance.now() - t0) / 1000;
  dispose([x, wTrue, y, params]);
  for (const p of params) assert.equal(p.isDisposed, true);
  return { first, last, growthMB, heapGrowthMB, seconds };
}

test('1,000 training steps of an MLP keep resident memory flat', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run without --expose-gc: scopes must not need the GC');
  // Tensor storage is freed at the end of each step by tidy, and JS holds tensors as plain numbers
  // (slots in the addon's table), so nothing waits for the GC: the loop never yields to the event
  // loop and resident memory must still stay flat after a short warm-up.
  // Checked by mutation: keeping one 128x64 activation per step makes this fail (+46 MB), and the
  // live-handle count catches a single handle left undisposed per step.
  // The warm-up lets malloc arenas and libtorch caches settle (measured: flat from ~2,000 to 20,000 steps).
  // Sizes stay below ATen's parallel grain so the loop is fast even on a loaded 2-core machine.
  const liveBefore = liveTensorCount();
  const r = await trainLoop(2000, 1000, 0);
  console.log(`# 3000 steps in ${r.seconds.toFixed(2)} s; loss ${r.first.toFixed(4)} -> ${r.last.toExponential(2)}; rss growth over the last 1000 steps ${r.growthMB.toFixed(2)} MB (V8 heap ${r.heapGrowthMB.toFixed(2)} MB)`);
  assert.ok(r.last < r.first * 0.01, `the loop really trains (loss ${r.first} -> ${r.last})`);
  assert.ok(r.growthMB < 2, `resident memory grew by ${r.growthMB.toFixed(2)} MB over 1,000 steps`);
  assert.equal(liveTensorCount(), liveBefore, 'every tensor made by the loop was released');
  assert.equal(leakedTensorCount(), 0);
});
