import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { EmbeddingsFile } from '../../src/eval/embeddings.js';
import { loadSentenceEncoder } from '../../src/models/index.js';
import { exportOnnx } from '../../src/export/exportOnnx.js';
import { assertClose } from '../helpers/fixtures.js';

const ROOT = projectRoot();
const FIX = join(ROOT, 'test', 'fixtures', 'models');

function polyret(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

// Different lengths, so the batch is padded. All fit the models' limits: transformers.js truncates after adding
// special tokens (an over-long text loses its final [SEP] / </s>), polyret and transformers before (docs/deploying.md).
const TEXTS = ['hello world', 'a', 'the cat sat on the mat', 'world hello the cat', 'the dog ran away'];

async function transformersJsMean(dir: string): Promise<{ dims: number[]; data: number[] }> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', dir, { local_files_only: true });
  try {
    const got = await extractor(TEXTS, { pooling: 'mean' });
    return { dims: got.dims, data: Array.from(got.data as Float32Array) };
  } finally {
    await extractor.dispose();
  }
}

for (const model of ['tiny-bert', 'tiny-xlmr']) {
  test(`transformers.js pipeline('feature-extraction', export, {local_files_only}) with mean pooling, from text, equals polyret's mean pooling (${model})`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'polyret-tjs-'));
    const enc = loadSentenceEncoder(join(FIX, model));
    try {
      exportOnnx({ model: join(FIX, model), output: join(tmp, 'out') });
      // What polyret encode --pooling mean runs (SentenceEncoder.encode), in this process.
      const expected = Array.from(enc.encode(TEXTS, { pooling: 'mean', batchSize: 2 }).vectors);
      const got = await transformersJsMean(join(tmp, 'out'));
      assert.deepEqual(got.dims, [TEXTS.length, 32]);
      assertClose(got.data, expected, `${model}: transformers.js vs polyret`, 1e-4, 0);
    } finally {
      enc.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('transformers.js on `polyret export` output equals `polyret encode --pooling mean` (CLI, LaBSE-style folder), within 1e-4', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'polyret-tjs-cli-'));
  try {
    const out = join(tmp, 'out');
    const ex = polyret(['export', '--model', join(FIX, 'tiny-labse'), '--format', 'onnx', '--output', out]);
    assert.equal(ex.status, 0, ex.stderr);
    assert.match(ex.stderr, /outputs last_hidden_state, sentence_embedding \[24\]/);
    // transformers.js truncates at the tokenizer config's model_max_length: the export writes polyret's limit there.
    assert.equal(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).model_max_length, 12);
    const input = join(tmp, 'texts.jsonl');
    writeFileSync(input, `${TEXTS.map((text, i) => JSON.stringify({ id: i, text })).join('\n')}\n`);
    const emb = join(tmp, 'emb.safetensors');
    const enc = polyret(['encode', '--model', join(FIX, 'tiny-labse'), '--input', input, '--output', emb, '--pooling', 'mean', '--batch-size', '2']);
    assert.equal(enc.status, 0, enc.stderr);
    const f = new EmbeddingsFile(emb);
    const expected = Array.from(f.readRows(0, TEXTS.length));
    f.close();
    const got = await transformersJsMean(out);
    assert.deepEqual(got.dims, [TEXTS.length, 32]);
    assertClose(got.data, expected, 'tiny-labse: transformers.js vs polyret encode', 1e-4, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
