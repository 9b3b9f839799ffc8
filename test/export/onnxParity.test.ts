import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { fromArray, noGrad, tidy } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { loadSentenceEncoder, type SentenceEncoder } from '../../src/models/index.js';
import { exportOnnx } from '../../src/export/exportOnnx.js';
import { decodeOnnxModel } from '../../src/export/onnxProto.js';
import { readFixture } from '../helpers/fixtures.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'models');
const TOL = 1e-5;

interface Batch {
  ids: number[];
  mask: number[];
  types?: number[];
  shape: [number, number];
}

/** Rows of ids padded to the longest on the right or on the left. */
function pad(rows: number[][], padId: number, side: 'left' | 'right'): Batch {
  const s = Math.max(...rows.map((r) => r.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const r of rows) {
    const fill = Array<number>(s - r.length).fill(padId);
    const ones = Array<number>(r.length).fill(1);
    const zeros = Array<number>(s - r.length).fill(0);
    ids.push(...(side === 'right' ? [...r, ...fill] : [...fill, ...r]));
    mask.push(...(side === 'right' ? [...ones, ...zeros] : [...zeros, ...ones]));
  }
  return { ids, mask, shape: [rows.length, s] };
}

const i64 = (a: number[]) => BigInt64Array.from(a, (x) => BigInt(x));

/** polyret's last hidden state and pipeline output for a batch. */
function polyretOutputs(enc: SentenceEncoder, b: Batch): { lhs: Float32Array; emb: Float32Array } {
  return noGrad(() => tidy(() => {
    const inp = {
      inputIds: fromArray(i64(b.ids), b.shape),
      attentionMask: fromArray(i64(b.mask), b.shape),
      tokenTypeIds: b.types ? fromArray(i64(b.types), b.shape) : null,
    };
    return { lhs: enc.transformer.forward(inp).lastHiddenState.toFloat32Array(), emb: enc.forward(inp, 'model').toFloat32Array() };
  }));
}

async function ortOutputs(session: ort.InferenceSession, b: Batch): Promise<Record<string, Float32Array>> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', i64(b.ids), b.shape),
    attention_mask: new ort.Tensor('int64', i64(b.mask), b.shape),
  };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', i64(b.types ?? b.ids.map(() => 0)), b.shape);
  const out = await session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** max |a − e| over the real tokens (mask 1) of [B, S, H] states. */
function maxDiffOnTokens(a: Float32Array, e: Float32Array, mask: number[], hidden: number): number {
  assert.equal(a.length, e.length, 'element count');
  let worst = 0;
  mask.forEach((m, t) => {
    if (!m) return;
    for (let d = 0; d < hidden; d++) worst = Math.max(worst, Math.abs(a[t * hidden + d]! - e[t * hidden + d]!));
  });
  return worst;
}

function maxDiff(a: Float32Array, e: Float32Array): number {
  assert.equal(a.length, e.length, 'element count');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  return Number.isNaN(worst) ? Infinity : worst;
}

/** Rows of token ids for texts with the model's tokenizer. */
const tokenRows = (enc: SentenceEncoder, texts: string[]) => enc.tokenize(texts);

const TEXTS = ['hello world', 'a', 'the cat sat on the mat and the dog ran away quickly', 'world hello the cat'];

async function withExport(model: string, opset: number, fn: (dir: string, enc: SentenceEncoder, session: ort.InferenceSession) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-onnx-'));
  const enc = loadSentenceEncoder(join(FIX, model));
  try {
    const out = join(tmp, 'out');
    exportOnnx({ model: join(FIX, model), output: out, opset });
    const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'), { intraOpNumThreads: 1 });
    try {
      await fn(out, enc, session);
    } finally {
      await session.release();
    }
  } finally {
    enc.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

for (const opset of [17, 14]) {
  test(`ONNX (opset ${opset}) BERT: onnxruntime's last_hidden_state equals polyret's on the real tokens (token types, padding)`, async () => {
    const E = readFixture<{ input_ids: number[]; attention_mask: number[]; token_type_ids: number[]; shape: [number, number] }>('models', 'tiny-bert', 'expected.json');
    await withExport('tiny-bert', opset, async (_dir, enc, session) => {
      assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
      assert.deepEqual(session.outputNames, ['last_hidden_state']);
      const batches: Batch[] = [
        { ids: E.input_ids, mask: E.attention_mask, types: E.token_type_ids, shape: E.shape },
        pad(tokenRows(enc, TEXTS), 0, 'right'),
      ];
      for (const b of batches) {
        const p = polyretOutputs(enc, b);
        const o = await ortOutputs(session, b);
        const d = maxDiffOnTokens(o.last_hidden_state!, p.lhs, b.mask, 32);
        assert.ok(d <= TOL, `max |Δ| on tokens ${d} > ${TOL} (batch ${b.shape.join('×')})`);
      }
    });
  });

  test(`ONNX (opset ${opset}) XLM-R: padding-offset position ids, left- and right-padded batches equal polyret's`, async () => {
    const X = readFixture<{ batches: Record<'left' | 'right', { input_ids: number[]; attention_mask: number[]; shape: [number, number] }> }>('models', 'tiny-xlmr', 'expected.json');
    await withExport('tiny-xlmr', opset, async (_dir, enc, session) => {
      assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask'], 'XLM-R takes no token_type_ids');
      const rows = tokenRows(enc, TEXTS);
      const right = pad(rows, 1, 'right');
      const left = pad(rows, 1, 'left');
      // The fixture's batches (from transformers): right- and left-padded.
      const fixtureBatches = (['right', 'left'] as const).map((k) => ({ ids: X.batches[k].input_ids, mask: X.batches[k].attention_mask, shape: X.batches[k].shape }));
      for (const b of [...fixtureBatches, right, left]) {
        const p = polyretOutputs(enc, b);
        const o = await ortOutputs(session, b);
        const d = maxDiffOnTokens(o.last_hidden_state!, p.lhs, b.mask, 32);
        assert.ok(d <= TOL, `max |Δ| on tokens ${d} > ${TOL} (batch ${b.shape.join('×')})`);
      }
      // Left padding moves the tokens, not their states: token k of a row is the same in both batches.
      const oR = (await ortOutputs(session, right)).last_hidden_state!;
      const oL = (await ortOutputs(session, left)).last_hidden_state!;
      const s = right.shape[1];
      rows.forEach((r, i) => {
        const off = s - r.length;
        const a = oR.subarray(i * s * 32, (i * s + r.length) * 32);
        const z = oL.subarray((i * s + off) * 32, (i * s + off + r.length) * 32);
        assert.ok(maxDiff(a, z) <= TOL, `row ${i}: left- vs right-padded states differ by ${maxDiff(a, z)}`);
      });
    });
  });

  test(`ONNX (opset ${opset}) LaBSE-style: sentence_embedding (CLS → Dense tanh → Normalize) and last_hidden_state equal polyret's`, async () => {
    await withExport('tiny-labse', opset, async (_dir, enc, session) => {
      assert.deepEqual(session.outputNames, ['last_hidden_state', 'sentence_embedding']);
      const b = pad(tokenRows(enc, TEXTS), 0, 'right');
      const p = polyretOutputs(enc, b);
      const o = await ortOutputs(session, b);
      assert.ok(maxDiffOnTokens(o.last_hidden_state!, p.lhs, b.mask, 32) <= TOL, 'last_hidden_state');
      assert.equal(o.sentence_embedding!.length, TEXTS.length * 24);
      const d = maxDiff(o.sentence_embedding!, p.emb);
      assert.ok(d <= TOL, `sentence_embedding max |Δ| ${d} > ${TOL}`);
      // Normalize is inside the graph: unit vectors.
      for (let i = 0; i < TEXTS.length; i++) {
        const v = o.sentence_embedding!.subarray(i * 24, (i + 1) * 24);
        assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, `row ${i} has norm ${Math.hypot(...v)}`);
      }
    });
  });
}

test('ONNX pooling modes in the graph (mean, max, mean_sqrt_len, concatenated) equal polyret\'s', async () => {
  const { saveSentenceEncoder } = await import('../../src/models/save.js');
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-onnx-pool-'));
  const enc = loadSentenceEncoder(join(FIX, 'tiny-xlmr'));
  try {
    // Same weights, another pipeline: four pooling modes concatenated, no Dense, then Normalize.
    enc.stages.splice(0, enc.stages.length,
      { kind: 'pooling', path: '1_Pooling', config: { wordEmbeddingDimension: 32, modes: ['cls', 'max', 'mean', 'mean_sqrt_len'] } },
      { kind: 'normalize', path: '2_Normalize' });
    saveSentenceEncoder(enc, join(tmp, 'src'));
    exportOnnx({ model: join(tmp, 'src'), output: join(tmp, 'out') });
    const session = await ort.InferenceSession.create(join(tmp, 'out', 'onnx', 'model.onnx'), { intraOpNumThreads: 1 });
    const b = pad(tokenRows(enc, TEXTS), 1, 'left');
    const p = polyretOutputs(enc, b);
    const o = await ortOutputs(session, b);
    assert.equal(o.sentence_embedding!.length, TEXTS.length * 128);
    const d = maxDiff(o.sentence_embedding!, p.emb);
    assert.ok(d <= TOL, `sentence_embedding max |Δ| ${d} > ${TOL}`);
    await session.release();
  } finally {
    enc.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('ONNX file: opset and IR version, dynamic batch and sequence axes, int64 inputs, producer', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-onnx-meta-'));
  try {
    const r = exportOnnx({ model: join(FIX, 'tiny-labse'), output: join(tmp, 'out'), opset: 14 });
    assert.deepEqual(r.files.sort(), [
      '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', '3_Normalize/config.json', 'config.json',
      'config_sentence_transformers.json', 'modules.json', 'onnx/model.onnx',
      'polyret_export.json', 'sentence_bert_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json',
    ]);
    const m = decodeOnnxModel(readFileSync(join(tmp, 'out', 'onnx', 'model.onnx'))) as {
      ir_version: number; producer_name: string; opset_import: { domain?: string; version: number }[];
      graph: { input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
        output: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[] };
    };
    assert.equal(m.ir_version, 7);
    assert.equal(m.producer_name, 'polyret');
    assert.deepEqual(m.opset_import.map((o) => [o.domain ?? '', o.version]), [['', 14]]);
    for (const i of m.graph.input) {
      assert.equal(i.type.tensor_type.elem_type, 7, `${i.name} is int64`);
      assert.deepEqual(i.type.tensor_type.shape.dim.map((d) => d.dim_param), ['batch_size', 'sequence_length'], i.name);
    }
    const out = Object.fromEntries(m.graph.output.map((o) => [o.name, o.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value)]));
    assert.deepEqual(out, { last_hidden_state: ['batch_size', 'sequence_length', 32], sentence_embedding: ['batch_size', 24] });
    // The special tokens map is written even though the source folder has none.
    assert.deepEqual(JSON.parse(readFileSync(join(tmp, 'out', 'special_tokens_map.json'), 'utf8')),
      { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
