import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBf16Support, loadTensors, setNumThreads, tidy } from '../../src/tensor/index.js';
import { AdamW } from '../../src/nn/optim/index.js';
import { createEncoderFromScratch } from '../../src/models/index.js';
import { SentenceTextEncoder } from '../../src/train/modelSource.js';
import { infoNCELoss, tripletLayout } from '../../src/train/losses/infoNCE.js';
import { hasData, projectRoot } from '../../src/util/dataDir.js';

const ROOT = projectRoot();
const QUERIES = ['where is the red house', 'who wrote the book', 'when does the train leave', 'what is the capital of france',
  'how tall is the tower', 'why is the sky blue', 'which river is longest', 'how many legs has a spider'];
const PASSAGES = ['the red house stands by the lake', 'the book was written by a young author', 'the train leaves at nine in the morning',
  'paris is the capital of france', 'the tower is three hundred metres tall', 'light scattering makes the sky look blue',
  'the nile is the longest river', 'a spider has eight legs'];

/** Losses of `steps` AdamW steps on one fixed batch (the model should learn to pair each query with its passage). */
function lossCurve(precision: 'fp32' | 'bf16', steps: number): { losses: number[]; firstQueries: Float32Array } {
  const model = createEncoderFromScratch({
    arch: 'bert', layers: 1, hidden: 32, heads: 2, intermediate: 64, pooling: 'mean', seed: 5,
    vocabFrom: join(ROOT, 'test', 'fixtures', 'models', 'tiny-bert', 'tokenizer.json'),
  });
  try {
    const enc = new SentenceTextEncoder(model, 16, 16, precision === 'bf16' ? { device: 'cpu', dtype: 'bfloat16' } : null);
    enc.train(false); // no dropout: the curve depends on the arithmetic alone
    const opt = new AdamW(enc.namedParameters(), { lr: 1e-2, weightDecay: 0 });
    const layout = tripletLayout(QUERIES.map((_, i) => `id${i}`), QUERIES.map(() => 0));
    const losses: number[] = [];
    let firstQueries: Float32Array = new Float32Array(0);
    for (let s = 0; s < steps; s++) {
      losses.push(tidy(() => {
        const q = enc.embed(QUERIES, 'query');
        if (s === 0) firstQueries = q.toFloat32Array();
        const p = enc.embed(PASSAGES, 'passage');
        // Embeddings come out of the autocast region as float32; the loss is computed in float32.
        assert.equal(q.dtype, 'float32');
        const loss = infoNCELoss(q, p, layout, { scale: 20 });
        loss.backward();
        return loss.item();
      }));
      opt.step();
      opt.zeroGrad();
    }
    for (const [name, t] of enc.namedParameters()) assert.equal(t.dtype, 'float32', `${name} stays float32 (autocast, not a cast model)`);
    return { losses, firstQueries };
  } finally {
    model.dispose();
  }
}

test('bf16 training (autocast on the CPU): the loss is finite and falls, tracking fp32 without being bit-equal', () => {
  setNumThreads(1);
  const steps = 10;
  const b = lossCurve('bf16', steps);
  const f = lossCurve('fp32', steps);
  const [bf16, fp32] = [b.losses, f.losses];
  if (process.env.POLYRET_SHOW_CURVES) console.log({ bf16, fp32 });
  bf16.forEach((l, i) => assert.ok(Number.isFinite(l), `step ${i}: loss ${l}`));
  // Chance level is log(8) ≈ 2.08; memorising one batch of 8 pairs drives the loss far below it.
  assert.ok(bf16[0]! > 1.5, `initial loss ${bf16[0]} near chance`);
  assert.ok(bf16.at(-1)! < 0.5 * bf16[0]!, `bf16 loss ${bf16[0]} → ${bf16.at(-1)} did not fall by half: ${bf16.map((x) => x.toFixed(3)).join(' ')}`);
  assert.ok(fp32.at(-1)! < 0.5 * fp32[0]!, `fp32 loss ${fp32[0]} → ${fp32.at(-1)}`);
  // The first forward pass (same initial weights): at BERT's init (weights N(0, 0.02)) the layer's products are
  // small next to the residual stream, so bf16's 8-bit mantissas move the pooled embeddings (elements of order 1)
  // by ~1e-4 — still ~100× fp32's rounding noise on such values (~1e-6) — and keep their direction.
  let worst = 0;
  for (let i = 0; i < f.firstQueries.length; i++) worst = Math.max(worst, Math.abs(b.firstQueries[i]! - f.firstQueries[i]!));
  assert.ok(worst > 2e-5, `bf16 embeddings within ${worst} of fp32: the forward did not run in bf16`);
  const D = f.firstQueries.length / QUERIES.length;
  for (let r = 0; r < QUERIES.length; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let k = r * D; k < (r + 1) * D; k++) {
      ab += b.firstQueries[k]! * f.firstQueries[k]!;
      aa += b.firstQueries[k]! ** 2;
      bb += f.firstQueries[k]! ** 2;
    }
    assert.ok(ab / Math.sqrt(aa * bb) > 0.99, `query ${r}: cosine ${ab / Math.sqrt(aa * bb)} between bf16 and fp32 embeddings`);
  }
});

test('polyret train --precision bf16: runs end to end on the CPU, says when bf16 is emulated, saves float32 weights', { skip: !hasData('xquad') && 'no XQuAD', timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'polyret-train-bf16-'));
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), 'train', '--config', join(ROOT, 'test', 'fixtures', 'train', 'tiny.yaml'),
      '--output', out, '--quiet', '--max-steps', '2', '--precision', 'bf16'], { env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = cpuBf16Support();
    if (s.native) assert.doesNotMatch(r.stderr, /note: bf16/);
    else assert.ok(r.stderr.includes(`note: bf16 requested, but ${s.reason}`), r.stderr);
    const { tensors } = loadTensors(join(out, 'final', 'model.safetensors'));
    assert.ok(tensors.size > 0);
    for (const [name, t] of tensors) {
      assert.equal(t.dtype, 'float32', name);
      t.dispose();
    }
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), 'train', '--config', join(ROOT, 'test', 'fixtures', 'train', 'tiny.yaml'), '--precision', 'half'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--precision must be fp32 or bf16, got 'half'/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
