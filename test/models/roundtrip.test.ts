import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTensors, tidy } from '../../src/tensor/index.js';
import { readSafetensorsHeader } from '../../src/tensor/safetensors.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { createEncoderFromScratch, loadSentenceEncoder, readWeights, saveSentenceEncoder, type SentenceEncoder } from '../../src/models/index.js';
import { locateModelFiles } from '../../src/models/modelFiles.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'models');
const TEXTS = ['The cat sat on the mat.', 'Hello, world!', 'blue houses', ''];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'polyret-models-'));
}

function assertSameTensors(a: SentenceEncoder, b: SentenceEncoder): void {
  const pa = a.namedParameters();
  const pb = new Map(b.namedParameters());
  assert.deepEqual(pa.map(([n]) => n), [...pb.keys()]);
  for (const [n, t] of pa) {
    const u = pb.get(n)!;
    assert.deepEqual(u.shape, t.shape, n);
    assert.ok(Buffer.from(t.data().buffer).equals(Buffer.from(u.data().buffer)), `${n} differs`);
  }
}

test('round trip: load → save → load gives identical tensors and embeddings; save again is byte-identical', () => {
  const d1 = tmp();
  const d2 = tmp();
  try {
    const a = loadSentenceEncoder(join(FIX, 'tiny-labse'));
    const files = saveSentenceEncoder(a, d1);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors']) {
      assert.ok(files.includes(f) && existsSync(join(d1, f)), `missing ${f}`);
    }
    assert.ok(existsSync(join(d1, '3_Normalize')));
    assert.equal(readSafetensorsHeader(join(d1, 'model.safetensors')).metadata.format, 'pt', 'transformers refuses safetensors without format=pt');
    const b = loadSentenceEncoder(d1);
    assertSameTensors(a, b);
    assert.deepEqual(Array.from(b.encode(TEXTS).vectors), Array.from(a.encode(TEXTS).vectors));
    assert.equal(b.maxSeqLength, a.maxSeqLength);
    saveSentenceEncoder(b, d2);
    for (const f of files) assert.ok(readFileSync(join(d1, f)).equals(readFileSync(join(d2, f))), `${f} differs between saves`);
    const cfg = JSON.parse(readFileSync(join(d1, 'config.json'), 'utf8')) as Record<string, unknown>;
    const orig = JSON.parse(readFileSync(join(FIX, 'tiny-labse', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg, orig, 'config.json keeps every field');
    a.dispose();
    b.dispose();
  } finally {
    rmSync(d1, { recursive: true, force: true });
    rmSync(d2, { recursive: true, force: true });
  }
});

test('round trip: a bert.-prefixed task-head checkpoint saves as a plain BertModel (pooler kept, head dropped)', () => {
  const d = tmp();
  try {
    const a = loadSentenceEncoder(join(FIX, 'tiny-bert'));
    saveSentenceEncoder(a, d);
    const names = [...readSafetensorsHeader(join(d, 'model.safetensors')).tensors.keys()];
    assert.ok(names.includes('pooler.dense.weight'));
    assert.ok(names.every((n) => /^(embeddings|encoder|pooler)\./.test(n)), names.join(','));
    assert.deepEqual(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')).architectures, ['BertModel']);
    const b = loadSentenceEncoder(d);
    assertSameTensors(a, b);
    assert.deepEqual(b.stages.map((s) => s.kind), ['pooling']);
    assert.deepEqual(Array.from(b.encode(TEXTS).vectors), Array.from(a.encode(TEXTS).vectors));
    a.dispose();
    b.dispose();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('sharded weights (model.safetensors.index.json) load to the same model', () => {
  const d = tmp();
  try {
    const src = join(FIX, 'tiny-xlmr');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(d, f), readFileSync(join(src, f)));
    const all = [...readWeights(locateModelFiles(src))];
    const half = Math.ceil(all.length / 2);
    const shards = [all.slice(0, half), all.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((s, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      saveTensors(join(d, file), s, { format: 'pt' });
      for (const [n] of s) weightMap[n] = file;
    });
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    for (const [, t] of all) t.dispose();
    const a = loadSentenceEncoder(src);
    const b = loadSentenceEncoder(d);
    assertSameTensors(a, b);
    a.dispose();
    b.dispose();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('from scratch: BERT initialisation (N(0, 0.02), zero biases, LayerNorm 1/0, zero padding rows), seeded, saves and reloads', () => {
  const d = tmp();
  try {
    const opts = { arch: 'xlm-roberta' as const, layers: 2, hidden: 64, heads: 4, vocabFrom: join(FIX, 'tiny-xlmr', 'tokenizer.json'), seed: 7 };
    const enc = createEncoderFromScratch(opts);
    const c = enc.config;
    assert.equal(c.vocabSize, 37);
    assert.equal(c.padTokenId, 1);
    assert.equal(c.intermediateSize, 256);
    assert.equal(c.maxPositionEmbeddings, 16 + 2, 'XLM-R needs pad + 1 extra positions');
    const p = new Map(enc.namedParameters());
    tidy(() => {
      for (const n of ['encoder.layer.0.attention.self.query.weight', 'encoder.layer.1.intermediate.dense.weight']) {
        const w = p.get(n)!;
        const std = w.pow(2).mean().sqrt().item();
        assert.ok(Math.abs(std - 0.02) < 0.0015, `${n}: std ${std}`);
        assert.ok(Math.abs(w.mean().item()) < 0.002, `${n}: mean`);
      }
      assert.equal(p.get('encoder.layer.0.attention.self.query.bias')!.abs().sum().item(), 0);
      assert.equal(p.get('pooler.dense.bias')!.abs().sum().item(), 0);
      assert.deepEqual([...new Set(p.get('encoder.layer.0.output.LayerNorm.weight')!.toNumbers())], [1]);
      assert.deepEqual([...new Set(p.get('embeddings.LayerNorm.bias')!.toNumbers())], [0]);
      assert.equal(p.get('embeddings.word_embeddings.weight')!.select(0, 1).abs().sum().item(), 0, 'pad row of the word table');
      assert.equal(p.get('embeddings.position_embeddings.weight')!.select(0, 1).abs().sum().item(), 0, 'pad row of the position table');
      assert.ok(p.get('embeddings.word_embeddings.weight')!.select(0, 2).abs().sum().item() > 0);
    });
    const again = createEncoderFromScratch(opts);
    assertSameTensors(enc, again);
    saveSentenceEncoder(enc, d);
    const back = loadSentenceEncoder(d);
    assertSameTensors(enc, back);
    assert.equal(back.config.modelType, 'xlm-roberta');
    assert.deepEqual(Array.from(back.encode(TEXTS).vectors), Array.from(enc.encode(TEXTS).vectors));
    for (const e of [enc, again, back]) e.dispose();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
