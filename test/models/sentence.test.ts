import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tidy } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { DualEncoder, E5_TEXT_PREFIXES, loadSentenceEncoder, prefixesOf } from '../../src/models/index.js';
import { assertClose, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LabseExpected {
  texts: string[]; ids: number[][]; max_seq_length: number;
  cls: FixtureTensor; dense: FixtureTensor; embeddings: FixtureTensor; mean_pooled: FixtureTensor;
}
const DIR = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-labse');
const E = readFixture<LabseExpected>('models', 'tiny-labse', 'expected.json');

test('LaBSE-style folder (SentenceTransformer.save): Transformer → CLS → Dense(tanh) → Normalize matches SentenceTransformer.encode from text', () => {
  const enc = loadSentenceEncoder(DIR);
  assert.deepEqual(enc.stages.map((s) => s.kind), ['pooling', 'dense', 'normalize']);
  assert.equal(enc.maxSeqLength, E.max_seq_length);
  assert.equal(enc.dimension, 24);
  // Token ids against sentence-transformers' own tokenization (incl. truncation to max_seq_length, empty text).
  assert.deepEqual(enc.tokenize(E.texts), E.ids);
  const out = enc.encode(E.texts, { batchSize: 3 });
  assert.equal(out.dim, 24);
  assertClose(out.vectors, E.embeddings, 'sentence embeddings');
  const cls = enc.encode(E.texts, { pooling: 'cls' });
  assertClose(cls.vectors, E.cls, 'cls pooling override');
  const mean = enc.encode(E.texts, { pooling: 'mean', batchSize: 2 });
  assertClose(mean.vectors, E.mean_pooled, 'mean pooling override');
  for (let i = 0; i < E.texts.length; i++) {
    const n = Math.hypot(...out.vectors.subarray(i * 24, (i + 1) * 24));
    assert.ok(Math.abs(n - 1) < 1e-5, `row ${i} has norm ${n}`);
  }
  enc.dispose();
});

test('embed() (differentiable forward) equals encode() and gradients reach the Dense and Transformer weights', () => {
  const enc = loadSentenceEncoder(DIR);
  tidy(() => {
    const e = enc.embed(E.texts.slice(0, 4));
    assertClose(e, { shape: [4, 24], data: E.embeddings.data.slice(0, 4 * 24) }, 'embed');
    e.select(1, 0).sum().backward();
  });
  const named = new Map(enc.namedParameters());
  assert.ok(named.has('2_Dense.linear.weight'));
  for (const n of ['2_Dense.linear.weight', 'encoder.layer.1.output.dense.weight', 'embeddings.word_embeddings.weight']) {
    const g = named.get(n)!.grad;
    assert.ok(g && tidy(() => g.abs().sum().item()) > 0, `no gradient for ${n}`);
    g?.dispose();
  }
  enc.dispose();
});

test('dual encoder: queries and passages share weights; E5 prefixes are prepended before tokenization', () => {
  const enc = loadSentenceEncoder(DIR);
  const plain = new DualEncoder(enc);
  const q = plain.encodeQueries(E.texts);
  const p = plain.encodePassages(E.texts);
  assert.deepEqual(Array.from(q.vectors), Array.from(p.vectors), 'same text, no prefixes → identical embeddings (one set of weights)');
  const e5 = new DualEncoder(enc, E5_TEXT_PREFIXES);
  const texts = ['the cat sat', 'hello world'];
  const q5 = e5.encodeQueries(texts);
  const direct = enc.encode(texts.map((t) => `query: ${t}`));
  assert.deepEqual(Array.from(q5.vectors), Array.from(direct.vectors));
  const p5 = e5.encodePassages(texts);
  assert.notDeepEqual(Array.from(q5.vectors), Array.from(p5.vectors), 'query and passage prefixes must change the input');
  assert.deepEqual(enc.tokenize(['x'], { prefix: 'query: ' })[0], enc.tokenize(['query: x'])[0]);
  enc.dispose();
});

interface E5Expected {
  texts: string[]; max_seq_length: number; prompts: Record<string, string>;
  query_ids: number[][]; passage_ids: number[][];
  query_embeddings: FixtureTensor; passage_embeddings: FixtureTensor; plain_embeddings: FixtureTensor;
}
const E5_DIR = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-e5');
const E5 = readFixture<E5Expected>('models', 'tiny-e5', 'expected.json');

test('E5-style folder (XLM-R, mean pooling, Normalize, prompts): queries and passages match SentenceTransformer.encode with prompt_name', () => {
  const enc = loadSentenceEncoder(E5_DIR);
  assert.deepEqual(enc.stages.map((s) => s.kind), ['pooling', 'normalize']);
  assert.equal(enc.maxSeqLength, E5.max_seq_length);
  assert.equal(enc.prompts.query, 'query: ');
  assert.equal(enc.prompts.passage, 'passage: ');
  const dual = new DualEncoder(enc); // prefixes from the folder's prompts
  assert.deepEqual(prefixesOf(enc), E5_TEXT_PREFIXES);
  assert.deepEqual(enc.tokenize(E5.texts, { prefix: 'query: ' }), E5.query_ids);
  assert.deepEqual(enc.tokenize(E5.texts, { prefix: 'passage: ' }), E5.passage_ids);
  assertClose(dual.encodeQueries(E5.texts, { batchSize: 2 }).vectors, E5.query_embeddings, 'query embeddings');
  assertClose(dual.encodePassages(E5.texts).vectors, E5.passage_embeddings, 'passage embeddings');
  assertClose(enc.encode(E5.texts).vectors, E5.plain_embeddings, 'no prompt');
  enc.dispose();
});
