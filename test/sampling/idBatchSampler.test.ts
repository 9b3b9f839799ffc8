import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdBatchSampler, type IdBatch, type SamplerOptions } from '../../src/sampling/idBatchSampler.js';
import { languageWeights } from '../../src/sampling/languageWeights.js';
import { Rng } from '../../src/sampling/rng.js';
import { languagesOf } from '../../src/data/parallelDataset.js';
import { syntheticDataset } from './synthetic.js';

const ALL3 = (): string[] => ['de', 'en', 'fr'];

/** Ids with uneven coverage: all have en, 1/2 de, 1/5 fr, and every 7th id is en only. */
function uneven(n: number) {
  return syntheticDataset(n, (i) => (i % 7 === 0 ? ['en'] : ['en', ...(i % 2 === 0 ? ['de'] : []), ...(i % 5 === 0 ? ['fr'] : [])]));
}

function collect(s: IdBatchSampler, max = Infinity): IdBatch[] {
  const out: IdBatch[] = [];
  for (let b = s.next(); b && out.length < max; b = out.length < max ? s.next() : null) out.push(b);
  return out;
}

test('the fraction of mono batches converges to alpha (binomial bound over many seeds)', () => {
  const ds = syntheticDataset(2000, ALL3);
  for (const alpha of [0.3, 0.5, 0.8]) {
    let mono = 0;
    let total = 0;
    for (let seed = 0; seed < 100; seed++) {
      const s = new IdBatchSampler(ds, { batchSize: 10, mode: 'hybrid', alpha, seed });
      for (const b of collect(s, 40)) {
        total++;
        if (b.mode === 'mono') mono++;
      }
    }
    const sd = Math.sqrt((alpha * (1 - alpha)) / total);
    assert.ok(Math.abs(mono / total - alpha) < 4.5 * sd, `alpha ${alpha}: mono fraction ${mono / total} over ${total} batches`);
  }
  const onlyMono = collect(new IdBatchSampler(ds, { batchSize: 10, mode: 'mono', seed: 1, epochs: 1 }));
  assert.ok(onlyMono.every((b) => b.mode === 'mono'));
  const onlyCross = collect(new IdBatchSampler(ds, { batchSize: 10, mode: 'cross', seed: 1, epochs: 1 }));
  assert.ok(onlyCross.every((b) => b.mode === 'cross'));
});

test('mono languages follow uniform, size and temperature weighting (chi-square)', () => {
  // Coverage: en all ids, de 1/2, fr 1/5 → sizes 20000, 10000, 4000.
  const ds = syntheticDataset(20000, (i) => ['en', ...(i % 2 === 0 ? ['de'] : []), ...(i % 5 === 0 ? ['fr'] : [])]);
  const sizes = { de: 10000, en: 20000, fr: 4000 };
  const cases: [SamplerOptions['weighting'], number, number[]][] = [
    ['uniform', 1, [1 / 3, 1 / 3, 1 / 3]],
    ['size', 1, [sizes.de / 34000, sizes.en / 34000, sizes.fr / 34000]],
    ['temperature', 2, (() => { const r = [Math.sqrt(sizes.de), Math.sqrt(sizes.en), Math.sqrt(sizes.fr)]; const t = r[0]! + r[1]! + r[2]!; return r.map((x) => x / t); })()],
  ];
  for (const [weighting, temperature, expected] of cases) {
    assert.deepEqual(languageWeights([sizes.de, sizes.en, sizes.fr], weighting!, temperature).map((x) => x.toFixed(12)), expected.map((x) => x.toFixed(12)));
    const counts = [0, 0, 0];
    let total = 0;
    for (let seed = 0; seed < 20; seed++) {
      // 150 batches × 5 ids uses at most 750 ids, so every language can always fill a batch.
      const s = new IdBatchSampler(ds, { batchSize: 5, mode: 'mono', weighting, temperature, seed });
      for (const b of collect(s, 150)) {
        counts[b.items[0]!.queryLang]!++;
        total++;
      }
    }
    const chi2 = counts.reduce((acc, c, l) => acc + (c - total * expected[l]!) ** 2 / (total * expected[l]!), 0);
    // 2 degrees of freedom: P(chi2 > 13.82) = 0.001.
    assert.ok(chi2 < 13.82, `${weighting}: counts ${counts} over ${total}, expected ${expected}, chi2 ${chi2}`);
  }
});

test('X-Y pairs two different languages the example has; mono keeps one language per batch', () => {
  const ds = uneven(3000);
  for (let seed = 0; seed < 5; seed++) {
    const s = new IdBatchSampler(ds, { batchSize: 16, mode: 'hybrid', seed, epochs: 2 });
    for (const b of collect(s)) {
      const langs = new Set<number>();
      for (const it of b.items) {
        const has = languagesOf(ds, it.index);
        assert.ok(has.includes(ds.languages[it.queryLang]!) && has.includes(ds.languages[it.passageLang]!));
        if (b.mode === 'cross') assert.notEqual(it.queryLang, it.passageLang);
        else {
          assert.equal(it.queryLang, it.passageLang);
          langs.add(it.queryLang);
        }
      }
      if (b.mode === 'mono') assert.equal(langs.size, 1);
    }
  }
});

test('cross pairs are uniform over the ordered pairs an example has (uniform weighting)', () => {
  const ds = syntheticDataset(3000, ALL3);
  const counts = new Map<string, number>();
  let total = 0;
  for (let seed = 0; seed < 3; seed++) {
    for (const b of collect(new IdBatchSampler(ds, { batchSize: 50, mode: 'cross', seed, epochs: 1 }))) {
      for (const it of b.items) {
        const k = `${it.queryLang}-${it.passageLang}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
        total++;
      }
    }
  }
  assert.equal(counts.size, 6);
  const e = total / 6;
  const chi2 = [...counts.values()].reduce((a, c) => a + (c - e) ** 2 / e, 0);
  assert.ok(chi2 < 20.52, `chi2 ${chi2} (5 df, p=0.001 at 20.52)`);
});

test('no id twice in a batch, every id exactly once per epoch (hybrid, uneven coverage)', () => {
  const ds = uneven(1234);
  for (let seed = 0; seed < 8; seed++) {
    const s = new IdBatchSampler(ds, { batchSize: 32, mode: 'hybrid', alpha: 0.5, seed, epochs: 3 });
    const perEpoch = new Map<number, number[]>();
    for (const b of collect(s)) {
      const ids = b.items.map((it) => it.index);
      assert.equal(new Set(ids).size, ids.length, 'id twice in a batch');
      assert.ok(ids.length >= 1 && ids.length <= 32);
      const seen = perEpoch.get(b.epoch) ?? [];
      seen.push(...ids);
      perEpoch.set(b.epoch, seen);
    }
    assert.deepEqual([...perEpoch.keys()], [0, 1, 2]);
    for (const [, seen] of perEpoch) {
      assert.equal(seen.length, ds.size);
      assert.equal(new Set(seen).size, ds.size);
    }
  }
});

test('pure cross: every multi-language id once per epoch, single-language ids never', () => {
  const ds = uneven(500);
  const multi = Array.from({ length: 500 }, (_, i) => i).filter((i) => languagesOf(ds, i).length >= 2);
  const s = new IdBatchSampler(ds, { batchSize: 8, mode: 'cross', seed: 3, epochs: 1 });
  const seen = collect(s).flatMap((b) => b.items.map((it) => it.index));
  assert.deepEqual([...seen].sort((a, b) => a - b), multi);
});

test('a mono language that runs out is not drawn again; tail batches or dropLast end the epoch', () => {
  // 100 ids in en; 25 of them also in de. B = 10, uniform over {de, en}.
  const ds = syntheticDataset(100, (i) => (i < 25 ? ['de', 'en'] : ['en']));
  const de = ds.languages.indexOf('de');
  for (let seed = 0; seed < 30; seed++) {
    const s = new IdBatchSampler(ds, { batchSize: 10, mode: 'mono', seed, epochs: 1 });
    const batches = collect(s);
    const seen = batches.flatMap((b) => b.items.map((it) => it.index));
    assert.equal(new Set(seen).size, 100);
    assert.equal(seen.length, 100);
    // Replay the remaining counts: a language is drawn for a full batch only while it has ≥ 10 unused ids.
    const used = new Set<number>();
    let tail = false;
    for (const b of batches) {
      const lang = b.items[0]!.queryLang;
      const unusedDe = Array.from({ length: 25 }, (_, i) => i).filter((i) => !used.has(i)).length;
      const unusedAll = 100 - used.size;
      if (b.items.length < 10) tail = true;
      if (!tail) {
        assert.equal(b.items.length, 10);
        if (lang === de) assert.ok(unusedDe >= 10, `de drawn with only ${unusedDe} unused de ids`);
      } else {
        assert.ok(unusedAll < 10 || unusedDe < 10);
      }
      for (const it of b.items) used.add(it.index);
    }
    // dropLast: only full batches; whatever cannot fill one waits for the next epoch.
    const d = collect(new IdBatchSampler(ds, { batchSize: 10, mode: 'mono', seed, epochs: 1, dropLast: true }));
    assert.ok(d.every((b) => b.items.length === 10));
    const ids = d.flatMap((b) => b.items.map((it) => it.index));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.length >= 90);
  }
});

test('hybrid falls back to the other mode when the drawn one cannot fill a batch', () => {
  // Ids 0..9 have de+en, the other 90 only en: cross batches can be formed once at most.
  const ds = syntheticDataset(100, (i) => (i < 10 ? ['de', 'en'] : ['en']));
  const b = collect(new IdBatchSampler(ds, { batchSize: 10, mode: 'hybrid', alpha: 0.5, seed: 5, epochs: 1 }));
  assert.ok(b.filter((x) => x.mode === 'cross').length <= 1);
  assert.equal(b.flatMap((x) => x.items).length, 100);
});

test('same seed gives the same batches; another seed gives others', () => {
  const ds = uneven(800);
  const opts: SamplerOptions = { batchSize: 20, mode: 'hybrid', seed: 42, epochs: 2, weighting: 'temperature', temperature: 3 };
  const a = JSON.stringify(collect(new IdBatchSampler(ds, opts)));
  const b = JSON.stringify(collect(new IdBatchSampler(ds, opts)));
  const c = JSON.stringify(collect(new IdBatchSampler(ds, { ...opts, seed: 43 })));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('resuming from a JSON state equals the uninterrupted run, at many random cut points', () => {
  const ds = uneven(700);
  const cut = Rng.fromSeed(99);
  for (const mode of ['hybrid', 'mono', 'cross'] as const) {
    const opts: SamplerOptions = { batchSize: 24, mode, seed: 7, epochs: 3, weighting: 'size' };
    const full = collect(new IdBatchSampler(ds, opts));
    for (let trial = 0; trial < 15; trial++) {
      const k = cut.nextInt(full.length + 1);
      const s = new IdBatchSampler(ds, opts);
      for (let i = 0; i < k; i++) s.next();
      const saved = JSON.stringify(s.state());
      const r = IdBatchSampler.restore(ds, JSON.parse(saved));
      assert.deepEqual(collect(r), full.slice(k), `${mode}: cut at batch ${k}`);
    }
  }
});

test('restore rejects a state for another dataset or a malformed state', () => {
  const ds = uneven(100);
  const st = new IdBatchSampler(ds, { batchSize: 4, mode: 'hybrid', seed: 1 }).state();
  assert.throws(() => IdBatchSampler.restore(uneven(101), st), /another dataset/);
  assert.throws(() => IdBatchSampler.restore(ds, { ...st, format: 'x' }), /not a polyret sampler state/);
  assert.throws(() => IdBatchSampler.restore(ds, { ...st, rng: [0, 0, 0, 0] }), /all zeros/);
  assert.throws(() => new IdBatchSampler(ds, { batchSize: 0, mode: 'mono', seed: 1 }), /batch size/);
  assert.throws(() => new IdBatchSampler(ds, { batchSize: 4, mode: 'hybrid', alpha: 1.5, seed: 1 }), /alpha/);
  assert.throws(() => new IdBatchSampler(syntheticDataset(10, () => ['en']), { batchSize: 4, mode: 'cross', seed: 1 }), /at least two languages/);
});
