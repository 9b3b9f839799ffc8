import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autocast, bf16Products, linear, manualSeed, mseLoss, randn, tidy } from '../../src/tensor/index.js';
import { hasData, projectRoot } from '../../src/util/dataDir.js';
import { MetricsLog } from '../../src/train/metricsLog.js';

test('autocast (CPU, bfloat16): products run in bf16 exactly as inputs cast by hand; losses stay fp32; the outer setting returns', () => {
  manualSeed(3);
  tidy(() => {
    const x = randn([4, 8]);
    const w = randn([5, 8]);
    assert.equal(linear(x, w).dtype, 'float32');
    const y = autocast('cpu', 'bfloat16', () => linear(x, w));
    assert.equal(y.dtype, 'bfloat16');
    // Autocast casts the operands and runs the bf16 product: the same bits as doing it by hand, with libtorch's bf16
    // kernel where bf16 is native, with polyret's emulation elsewhere (test/tensor/bf16Products.test.ts).
    const byHand = bf16Products() === 'emulated'
      ? linear(x.to('bfloat16').float(), w.to('bfloat16').float()).to('bfloat16')
      : linear(x.to('bfloat16'), w.to('bfloat16'));
    assert.deepEqual(Array.from(y.data<'bfloat16'>()), Array.from(byHand.data<'bfloat16'>()));
    // Losses are on CPU autocast's fp32 list (checked against PyTorch 1.13: mse_loss → float32, softmax stays bf16).
    assert.equal(autocast('cpu', 'bfloat16', () => mseLoss(y, y)).dtype, 'float32');
    assert.equal(autocast('cpu', 'bfloat16', () => y.softmax(-1)).dtype, 'bfloat16');
    // Nested regions and exceptions restore the enclosing state.
    autocast('cpu', 'bfloat16', () => {
      autocast('cpu', 'bfloat16', () => undefined);
      assert.equal(linear(x, w).dtype, 'bfloat16');
    });
    assert.throws(() => autocast('cpu', 'bfloat16', () => {
      throw new Error('inside');
    }), /inside/);
    assert.equal(linear(x, w).dtype, 'float32');
  });
});

test('training.precision=bf16 trains under autocast with float32 loss and weights', { skip: !hasData('xquad') && 'no XQuAD', timeout: 120_000 }, () => {
  const root = projectRoot();
  const run = (out: string, precision: string) =>
    spawnSync(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), '--output', out, '--quiet',
      '--set', 'training.maxSteps=3', '--set', `training.precision=${precision}`], {
      env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' },
      encoding: 'utf8',
    });
  const a = mkdtempSync(join(tmpdir(), 'polyret-bf16-'));
  const b = mkdtempSync(join(tmpdir(), 'polyret-fp32-'));
  try {
    const rb = run(a, 'bf16');
    assert.equal(rb.status, 0, rb.stderr);
    const rf = run(b, 'fp32');
    assert.equal(rf.status, 0, rf.stderr);
    const lb = MetricsLog.read(join(a, 'metrics.jsonl')).filter((x) => x.kind === 'train').map((x) => x.loss as number);
    const lf = MetricsLog.read(join(b, 'metrics.jsonl')).filter((x) => x.kind === 'train').map((x) => x.loss as number);
    assert.equal(lb.length, 3);
    // Same batches and initial weights: the bf16 losses track the fp32 ones to bf16's precision, but not bit for bit.
    lb.forEach((l, i) => assert.ok(Math.abs(l - lf[i]!) < 0.05 * Math.abs(lf[i]!), `step ${i}: bf16 loss ${l} vs fp32 ${lf[i]}`));
    assert.ok(lb.some((l, i) => l !== lf[i]), 'autocast changed the arithmetic');
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
