import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBf16Support } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { EmbeddingsFile } from '../../src/eval/embeddings.js';
import { loadSentenceEncoder } from '../../src/models/index.js';
import { readFixture, type FixtureTensor } from '../helpers/fixtures.js';

const ROOT = projectRoot();
const FIX = join(ROOT, 'test', 'fixtures', 'models');

function cosines(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < a.length / dim; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) {
      ab += a[k]! * b[k]!;
      aa += a[k]! * a[k]!;
      bb += b[k]! * b[k]!;
    }
    out.push(ab / Math.sqrt(aa * bb));
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// The committed reference: PyTorch fp32 embeddings of a LaBSE-style pipeline (Transformer → CLS → Dense(tanh) →
// Normalize), which polyret's fp32 encode matches to 1e-5 (test/models/sentence.test.ts).
const E = readFixture<{ texts: string[]; embeddings: FixtureTensor }>('models', 'tiny-labse', 'expected.json');
const D = E.embeddings.shape[1]!;

test('encode in bf16: fp32 vectors within bf16 accuracy of the fp32 reference, and really computed in bf16', () => {
  const enc = loadSentenceEncoder(join(FIX, 'tiny-labse'));
  try {
    const fp32 = enc.encode(E.texts, { batchSize: 3 }).vectors;
    const bf16 = enc.encode(E.texts, { batchSize: 3, precision: 'bf16' }).vectors;
    assert.equal(bf16.length, E.texts.length * D, 'float32 [N, D] out');
    assert.ok(maxAbsDiff(fp32, E.embeddings.data) < 1e-5, 'fp32 matches PyTorch');
    const cos = cosines(bf16, E.embeddings.data, D);
    cos.forEach((c, i) => assert.ok(c > 0.99, `text ${i}: cosine ${c} with the fp32 reference`));
    // bf16 keeps 8 significant bits (relative step 2^-8 ≈ 0.4%): on unit vectors the products' rounding shows
    // as differences around 1e-3, two orders above fp32's noise (≤ 1e-5 here, above), so this fails if autocast
    // silently did nothing.
    const d = maxAbsDiff(bf16, E.embeddings.data);
    assert.ok(d > 1e-3, `bf16 differs from fp32 by only ${d}: the products did not run in bf16`);
    // Same input, same arithmetic: deterministic.
    assert.deepEqual(enc.encode(E.texts, { batchSize: 3, precision: 'bf16' }).vectors, bf16);
  } finally {
    enc.dispose();
  }
});

test('polyret encode --precision bf16 writes the library\'s bf16 vectors (float32) and says when bf16 is emulated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bf16-encode-'));
  try {
    const input = join(dir, 'texts.jsonl');
    writeFileSync(input, `${E.texts.map((t, i) => JSON.stringify({ id: `t${i}`, text: t })).join('\n')}\n`);
    const out = join(dir, 'emb.safetensors');
    const run = (...extra: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), 'encode', '--model', join(FIX, 'tiny-labse'), '--input', input, '--output', out, '--batch-size', '3', ...extra],
      { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });
    const r = run('--precision', 'bf16');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /, bf16\): /);
    const support = cpuBf16Support();
    if (support.native) assert.doesNotMatch(r.stderr, /note: bf16/);
    else assert.ok(r.stderr.includes(`note: bf16 requested, but ${support.reason}`), r.stderr);
    const f = new EmbeddingsFile(out);
    const got = f.readRows(0, E.texts.length);
    f.close();
    const enc = loadSentenceEncoder(join(FIX, 'tiny-labse'));
    const lib = enc.encode(E.texts, { batchSize: 3, precision: 'bf16' }).vectors;
    enc.dispose();
    assert.deepEqual(Array.from(got), Array.from(lib));
    const bad = run('--precision', 'fp16');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--precision must be fp32 or bf16, got 'fp16'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
