import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { exportOnnx } from '../../src/export/exportOnnx.js';
import { loadModelEncoder } from '../../src/eval/encoder.js';
import { loadOnnxEncoder, OnnxSentenceEncoder } from '../../src/eval/onnxEncoder.js';
import { runEval } from '../../src/eval/runEval.js';
import { loadSentenceEncoder } from '../../src/models/index.js';
import type { EvalResults } from '../../src/eval/results.js';
import { assertClose, readFixture } from '../helpers/fixtures.js';

const ROOT = projectRoot();
const FIX = join(ROOT, 'test', 'fixtures', 'models');
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'run', 'hello', 'world', 'a', 'is', 'red', 'blue', 'house', 'playing', 'played', 'player'];

/** A deterministic word sequence generator (LCG), so the synthetic set is the same on every machine. */
function words(seed: number): (n: number) => string {
  let s = seed >>> 0;
  return (n) => Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return WORDS[s % WORDS.length]!;
  }).join(' ');
}

/** An MLQA-R-shaped (LAReQA) file: 3 articles × 2 paragraphs × 3 sentences, one question per sentence 0 and 2. */
function lareqaFile(seed: number): unknown {
  const w = words(seed);
  return {
    version: 'synthetic',
    data: Array.from({ length: 3 }, (_, a) => ({
      title: `article ${a}`,
      paragraphs: Array.from({ length: 2 }, (_, p) => {
        const sentences = Array.from({ length: 3 }, (_, k) => `${w(3 + ((a + p + k) % 5))} .`);
        const breaks: [number, number][] = [];
        let at = 0;
        for (const s of sentences) {
          breaks.push([at, at + s.length]);
          at += s.length + 1;
        }
        return {
          context: sentences.join(' '),
          sentences,
          sentence_breaks: breaks,
          qas: [0, 2].map((k) => ({ id: `q${a}-${p}-${k}`, question: `${w(4)} ?`, answers: [{ text: sentences[k]!.slice(0, 3), answer_start: breaks[k]![0] }] })),
        };
      }),
    })),
  };
}

test('eval --runtime onnx: the exported folder gives the libtorch path\'s LAReQA results (every setting, per query) within 1e-4', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-eval-onnx-'));
  const saved = process.env.POLYRET_DATA;
  try {
    mkdirSync(join(tmp, 'data', 'mlqa-r'), { recursive: true });
    writeFileSync(join(tmp, 'data', 'mlqa-r', 'en.json'), JSON.stringify(lareqaFile(1)));
    writeFileSync(join(tmp, 'data', 'mlqa-r', 'de.json'), JSON.stringify(lareqaFile(2)));
    process.env.POLYRET_DATA = join(tmp, 'data');
    const out = join(tmp, 'onnx');
    exportOnnx({ model: join(FIX, 'tiny-labse'), output: out, quantize: 'int8' });
    const common = { task: 'mlqa-r' as const, languages: ['en', 'de'], progress: false };
    const lt = await runEval({ ...common, source: { kind: 'model', dir: join(FIX, 'tiny-labse'), encoder: await loadModelEncoder(join(FIX, 'tiny-labse'), 'cpu', { batchSize: 4 }), batchSize: 4 } });
    const onnx = await loadOnnxEncoder(out, { batchSize: 4, threads: 1 });
    const ox = await runEval({ ...common, source: { kind: 'model', dir: out, encoder: onnx, batchSize: 4 }, runtime: { name: 'onnx', file: 'onnx/model.onnx' } });
    await onnx.onnx.release();
    assert.deepEqual(ox.config.runtime, { name: 'onnx', file: 'onnx/model.onnx' });
    assert.deepEqual(lt.config.runtime, { name: 'libtorch' });
    const a = lt.lareqa!.settings;
    const b = ox.lareqa!.settings;
    assert.equal(a.length, 6, 'en→en, de→de, en→de, de→en, en→all, de→all');
    assert.deepEqual(b.map((s) => [s.query, s.pool]), a.map((s) => [s.query, s.pool]));
    a.forEach((s, i) => {
      assert.ok(Math.abs(s.metrics.mAP! - b[i]!.metrics.mAP!) <= 1e-4, `${s.query}→${s.pool}: mAP ${s.metrics.mAP} vs ${b[i]!.metrics.mAP}`);
      assertClose(b[i]!.perQuery.values.mAP!, s.perQuery.values.mAP!, `${s.query}→${s.pool} per-query AP`, 1e-4, 0);
    });
    for (const k of ['mono', 'cross', 'multi'] as const) {
      assert.ok(Math.abs(lt.lareqa!.summary[k].metrics.mAP! - ox.lareqa!.summary[k].metrics.mAP!) <= 1e-4, `${k} mAP`);
    }
  } finally {
    if (saved === undefined) delete process.env.POLYRET_DATA;
    else process.env.POLYRET_DATA = saved;
    rmSync(tmp, { recursive: true, force: true });
  }
});

// The reference is onnxruntime's quantize_dynamic applied to polyret's fp32 graph (committed as a graph, not as outputs:
// onnxruntime's int8 kernels give different numbers on CPUs with and without AVX512-VNNI, see the generator). Both
// graphs run here, on this CPU's kernels, so they must agree whatever the CPU.
test('int8 export: model_quantized.onnx equals onnxruntime\'s own dynamic quantization of the fp32 graph (committed reference graph)', async () => {
  const R = readFixture<{ input_ids: number[][]; attention_mask: number[][]; shape: [number, number, number]; graph: string }>('export', 'int8_reference.json');
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-int8-'));
  try {
    const out = join(tmp, 'out');
    const r = exportOnnx({ model: join(FIX, 'tiny-xlmr'), output: out, quantize: 'int8' });
    assert.ok(r.files.includes('onnx/model_quantized.onnx') && r.files.includes('onnx/model.onnx'));
    copyFileSync(join(ROOT, 'test', 'fixtures', 'export', R.graph), join(out, 'onnx', 'ort_quantized.onnx'));
    const [b, s, h] = R.shape;
    const ids = BigInt64Array.from(R.input_ids.flat(), (x) => BigInt(x));
    const mask = BigInt64Array.from(R.attention_mask.flat(), (x) => BigInt(x));
    const run = async (file?: string) => {
      const enc = await OnnxSentenceEncoder.load(out, { ...(file ? { file } : {}), threads: 1 });
      try {
        return (await enc.run(ids, mask, [b, s])).lastHiddenState;
      } finally {
        await enc.release();
      }
    };
    const got = await run('onnx/model_quantized.onnx');
    const ref = await run('onnx/ort_quantized.onnx');
    const fp32 = await run();
    const onTokens = (x: ArrayLike<number>) => Array.from({ length: b * s }, (_, t) => t).filter((t) => mask[t] === 1n).flatMap((t) => Array.from({ length: h }, (_, d) => x[t * h + d]!));
    assertClose(onTokens(got), onTokens(ref), 'int8 last_hidden_state vs onnxruntime quantize_dynamic', 1e-4, 0);
    // Quantization really changes the numbers: the int8 graph is not the fp32 one.
    const drift = onTokens(got).reduce((m, v, i) => Math.max(m, Math.abs(v - onTokens(fp32)[i]!)), 0);
    assert.ok(drift > 1e-3, `int8 vs fp32 max |Δ| ${drift}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('polyret encode --runtime onnx on the export equals polyret encode on the source folder (round trip, CLI)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-encode-onnx-'));
  try {
    const out = join(tmp, 'onnx');
    exportOnnx({ model: join(FIX, 'tiny-labse'), output: out });
    const input = join(tmp, 'texts.jsonl');
    const texts = ['hello world', 'a', 'the cat sat on the mat', 'world hello the cat', 'the dog ran away'];
    writeFileSync(input, `${texts.map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n')}\n`);
    const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), 'encode', '--input', input, '--batch-size', '2', ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });
    const r = run(['--model', out, '--runtime', 'onnx', '--output', join(tmp, 'onnx.npy'), '--threads', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /encoded 5 texts .* into \[5, 24\] with onnxruntime/);
    const npy = (p: string) => {
      const b = readFileSync(p);
      const body = b.subarray(10 + b.readUInt16LE(8));
      return Array.from(new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)));
    };
    const enc = loadSentenceEncoder(join(FIX, 'tiny-labse'));
    const ref = Array.from(enc.encode(texts, { batchSize: 2 }).vectors);
    enc.dispose();
    assertClose(npy(join(tmp, 'onnx.npy')), ref, 'encode --runtime onnx vs libtorch', 1e-5, 0);
    assert.deepEqual(JSON.parse(readFileSync(join(tmp, 'onnx.npy.ids.json'), 'utf8')), texts.map((_, i) => `t${i}`));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
