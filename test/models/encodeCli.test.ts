import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { EmbeddingsFile } from '../../src/eval/embeddings.js';
import { loadSentenceEncoder } from '../../src/models/index.js';
import { readTexts } from '../../src/models/textInput.js';
import { assertClose, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

const ROOT = projectRoot();
const FIX = join(ROOT, 'test', 'fixtures', 'models');
const E = readFixture<{ texts: string[]; embeddings: FixtureTensor }>('models', 'tiny-labse', 'expected.json');
const D = 24;

function polyret(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

function expectedRow(i: number): number[] {
  return E.embeddings.data.slice(i * D, (i + 1) * D);
}

/** Reads a float32 C-order .npy written by encodeNpyFloat32 (header parsed independently here). */
function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const b = readFileSync(path);
  assert.equal(b.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  assert.equal((10 + hlen) % 64, 0, 'npy header is padded to 64 bytes');
  assert.match(header, /'descr': '<f4', 'fortran_order': False/);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
  const body = b.subarray(10 + hlen);
  return { shape, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) };
}

test('polyret encode: JSONL → safetensors in input order (length-sorted batches restored), ids in __metadata__', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-encode-'));
  try {
    // Shuffled order and ids, so a failure to restore order after sorting by length shows.
    const order = [3, 0, 6, 2, 5, 1, 4];
    const input = join(dir, 'texts.jsonl');
    writeFileSync(input, `${order.map((i) => JSON.stringify({ id: `t${i}`, text: E.texts[i] })).join('\n')}\n`);
    const out = join(dir, 'emb.safetensors');
    const r = polyret(['encode', '--model', join(FIX, 'tiny-labse'), '--input', input, '--output', out, '--batch-size', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /encoded 7 texts .* into \[7, 24\]/);
    const f = new EmbeddingsFile(out);
    assert.deepEqual(f.ids, order.map((i) => `t${i}`));
    assert.equal(f.dim, D);
    order.forEach((i, row) => assertClose(Array.from(f.readRows(row, row + 1)), expectedRow(i), `row ${row} (text ${i})`));
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polyret encode: TSV → .npy + ids.json, with --pooling cls --normalize and a prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-encode-'));
  try {
    const input = join(dir, 'texts.tsv');
    writeFileSync(input, 'id\ttext\na\tthe cat\nb\tred house\n');
    assert.deepEqual(readTexts(input), [{ id: 'a', text: 'the cat' }, { id: 'b', text: 'red house' }]);
    const out = join(dir, 'emb.npy');
    const r = polyret(['encode', '--model', join(FIX, 'tiny-bert'), '--input', input, '--output', out, '--pooling', 'cls', '--normalize', '--prefix', 'hello ']);
    assert.equal(r.status, 0, r.stderr);
    const npy = readNpy(out);
    assert.deepEqual(npy.shape, [2, 32]);
    assert.deepEqual(JSON.parse(readFileSync(`${out}.ids.json`, 'utf8')), ['a', 'b']);
    const enc = loadSentenceEncoder(join(FIX, 'tiny-bert'));
    const ref = enc.encode(['hello the cat', 'hello red house'], { pooling: 'cls', normalize: true });
    assertClose(npy.data, Array.from(ref.vectors), 'npy rows');
    enc.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polyret encode --prefix "query: " on the E5-style folder equals SentenceTransformer.encode(prompt_name="query")', () => {
  const e5 = readFixture<{ texts: string[]; query_embeddings: FixtureTensor }>('models', 'tiny-e5', 'expected.json');
  const dir = mkdtempSync(join(tmpdir(), 'polyret-encode-'));
  try {
    const input = join(dir, 'q.jsonl');
    writeFileSync(input, `${e5.texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n')}\n`);
    const out = join(dir, 'q.safetensors');
    const r = polyret(['encode', '--model', join(FIX, 'tiny-e5'), '--input', input, '--output', out, '--prefix', 'query: ']);
    assert.equal(r.status, 0, r.stderr);
    const f = new EmbeddingsFile(out);
    assertClose(Array.from(f.readRows(0, f.rows)), e5.query_embeddings.data, 'query embeddings');
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polyret init-model creates a loadable from-scratch folder that polyret encode uses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-init-'));
  try {
    const model = join(dir, 'model');
    let r = polyret(['init-model', '--arch', 'bert', '--layers', '2', '--hidden', '32', '--heads', '4', '--vocab-from', join(FIX, 'tiny-bert', 'tokenizer.json'), '--pooling', 'mean', '--output', model]);
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.model_type, 'bert');
    assert.equal(cfg.vocab_size, 80);
    assert.equal(cfg.num_hidden_layers, 2);
    const input = join(dir, 't.jsonl');
    writeFileSync(input, '{"id": 1, "text": "the dog"}\n');
    r = polyret(['encode', '--model', model, '--input', input, '--output', join(dir, 'o.safetensors')]);
    assert.equal(r.status, 0, r.stderr);
    const f = new EmbeddingsFile(join(dir, 'o.safetensors'));
    assert.deepEqual([f.rows, f.dim, f.ids[0]], [1, 32, '1']);
    f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polyret encode: bad flags and bad input lines are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-encode-'));
  try {
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, '{"id": "a", "text": "ok"}\n{"id": "b"}\n');
    let r = polyret(['encode', '--model', join(FIX, 'tiny-bert'), '--input', input, '--output', join(dir, 'o.safetensors')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad.jsonl:2: field "text" missing/);
    r = polyret(['encode', '--model', join(FIX, 'tiny-bert'), '--input', input, '--output', join(dir, 'o.safetensors'), '--pooling', 'median']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--pooling must be/);
    r = polyret(['encode', '--model', join(FIX, 'tiny-bert'), '--input', input, '--output', join(dir, 'o.txt')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected a .safetensors or .npy/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
