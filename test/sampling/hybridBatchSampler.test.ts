import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridBatchSampler, type TextBatch } from '../../src/sampling/hybridBatchSampler.js';
import { IdBatchSampler, type SamplerOptions } from '../../src/sampling/idBatchSampler.js';
import { applyPrefixes, E5_PREFIXES } from '../../src/sampling/prefixes.js';
import { Rng } from '../../src/sampling/rng.js';
import { openSquad } from '../../src/data/squad.js';
import { dataPath, hasData } from '../../src/util/dataDir.js';
import { syntheticDataset } from './synthetic.js';

function all(s: HybridBatchSampler): TextBatch[] {
  const out: TextBatch[] = [];
  for (let b = s.next(); b; b = s.next()) out.push(b);
  return out;
}

const langs = (i: number): string[] => (i % 4 === 0 ? ['en'] : i % 4 === 1 ? ['de', 'en'] : ['de', 'en', 'fr']);

test('texts are in the languages the batch says: query in Lq, positive and negatives in Lp', () => {
  const ds = syntheticDataset(300, langs);
  for (const b of all(HybridBatchSampler.create(ds, { batchSize: 12, mode: 'hybrid', seed: 2, epochs: 1 }))) {
    for (const it of b.items) {
      const i = it.id.slice(2);
      assert.equal(it.query, `q:${i}:${it.queryLang}`);
      assert.equal(it.positive, `p:${i}:${it.passageLang}`);
      assert.deepEqual(it.negatives, [`n:${i}:${it.passageLang}`]);
      if (b.mode === 'cross') assert.notEqual(it.queryLang, it.passageLang);
    }
  }
});

test('without duplicate texts the text sampler composes exactly the id-level batches', () => {
  const ds = syntheticDataset(300, langs);
  const opts: SamplerOptions = { batchSize: 10, mode: 'hybrid', seed: 9, epochs: 2 };
  const text = all(HybridBatchSampler.create(ds, opts));
  const ids = new IdBatchSampler(ds, opts);
  for (const b of text) {
    const x = ids.next()!;
    assert.equal(x.mode, b.mode);
    assert.deepEqual(b.items.map((it) => [it.id, it.queryLang, it.passageLang]), x.items.map((it) => [ds.id(it.index), ds.languages[it.queryLang], ds.languages[it.passageLang]]));
  }
  assert.equal(ids.next(), null);
});

test('duplicate positive texts never share a batch, and deferred ids are still visited once per epoch', () => {
  // Ids 0..199 come in pairs with the same positive text (key = i >> 1), like two queries of one passage.
  const ds = syntheticDataset(200, () => ['de', 'en'], (i) => String(i >> 1));
  let deferred = 0;
  for (let seed = 0; seed < 10; seed++) {
    const batches = all(HybridBatchSampler.create(ds, { batchSize: 40, mode: 'mono', seed, epochs: 2 }));
    const perEpoch = new Map<number, string[]>();
    for (const b of batches) {
      const pos = b.items.map((it) => it.positive);
      assert.equal(new Set(pos).size, pos.length, 'duplicate positive in a batch');
      deferred += b.deferred.length;
      perEpoch.set(b.epoch, [...(perEpoch.get(b.epoch) ?? []), ...b.items.map((it) => it.id)]);
    }
    for (const ids of perEpoch.values()) {
      assert.equal(ids.length, 200);
      assert.equal(new Set(ids).size, 200);
    }
  }
  assert.ok(deferred > 0, 'the test must exercise deferral');
});

test('resume equals uninterrupted for the text sampler, deferrals included', () => {
  const ds = syntheticDataset(150, langs, (i) => String(i % 60));
  const opts: SamplerOptions = { batchSize: 16, mode: 'hybrid', seed: 4, epochs: 2, alpha: 0.4 };
  const full = all(HybridBatchSampler.create(ds, opts));
  assert.ok(full.some((b) => b.deferred.length > 0));
  const cut = Rng.fromSeed(5);
  for (let t = 0; t < 20; t++) {
    const k = cut.nextInt(full.length + 1);
    const s = HybridBatchSampler.create(ds, opts);
    for (let i = 0; i < k; i++) s.next();
    const r = HybridBatchSampler.restore(ds, JSON.parse(JSON.stringify(s.state())));
    assert.deepEqual(all(r), full.slice(k), `cut at ${k}`);
  }
});

test('E5 prefixes are added after sampling', () => {
  const ds = syntheticDataset(10, () => ['en']);
  const b = HybridBatchSampler.create(ds, { batchSize: 2, mode: 'mono', seed: 1 }).next()!;
  const p = applyPrefixes(b, E5_PREFIXES);
  assert.equal(p.items[0]!.query, `query: ${b.items[0]!.query}`);
  assert.equal(p.items[0]!.positive, `passage: ${b.items[0]!.positive}`);
  assert.equal(p.items[0]!.negatives[0], `passage: ${b.items[0]!.negatives[0]}`);
  assert.equal(b.items[0]!.query.startsWith('query: '), false);
});

test('hybrid batches over real XQuAD-R: parallel ids, no id twice per batch, one epoch covers all', { skip: hasData('xquad-r') ? false : 'no shared data' }, () => {
  const ds = openSquad(['ar', 'de', 'en', 'zh'].map((l) => dataPath('xquad-r', `${l}.json`)), { negatives: 1 });
  const batches = all(HybridBatchSampler.create(ds, { batchSize: 32, mode: 'hybrid', seed: 1, epochs: 1 }));
  const seen: string[] = [];
  for (const b of batches) {
    const ids = b.items.map((it) => it.id);
    assert.equal(new Set(ids).size, ids.length);
    const passages = b.items.map((it) => it.positive);
    assert.equal(new Set(passages).size, passages.length);
    seen.push(...ids);
  }
  assert.equal(seen.length, 1190);
  assert.equal(new Set(seen).size, 1190);
  const mono = batches.filter((b) => b.mode === 'mono').length;
  assert.ok(mono > 5 && mono < batches.length - 5);
});
