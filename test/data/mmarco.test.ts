import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMmarco } from '../../src/data/mmarco.js';
import { languagesOf } from '../../src/data/parallelDataset.js';

/**
 * A small mMARCO-layout folder written by hand: 3 queries, passages 10..15, de and en folders
 * plus a flat "french_" pair (mMARCO's own naming). Query 2 lacks German; passage 15 lacks French.
 */
function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'polyret-mmarco-'));
  const lang = (name: string, queries: [number, string][], passages: [number, string][], flat = false): void => {
    const q = queries.map(([i, t]) => `${i}\t${t}`).join('\n') + '\n';
    const c = passages.map(([i, t]) => `${i}\t${t}`).join('\n') + '\n';
    if (flat) {
      writeFileSync(join(root, `${name}_queries.train.tsv`), q);
      writeFileSync(join(root, `${name}_collection.tsv`), c);
    } else {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'queries.train.tsv'), q);
      writeFileSync(join(root, name, 'collection.tsv'), c);
    }
  };
  const P = (l: string): [number, string][] => [10, 11, 12, 13, 14, 15].map((p) => [p, `${l} passage ${p}\twith tab`]);
  lang('en', [[3, 'en q3'], [1, 'en q1'], [2, 'en q2']], P('en'));
  lang('de', [[1, 'de q1'], [3, 'de q3 ä漢']], P('de'));
  lang('french', [[1, 'fr q1'], [2, 'fr q2'], [3, 'fr q3']], P('fr').filter(([p]) => p !== 15), true);
  // qid 1: triples (10,11), (10,12); qid 2: (13,14); qid 3: (14,15), (12,11), (10,13). Unsorted on purpose.
  writeFileSync(join(root, 'triples.train.ids.small.tsv'), ['3\t14\t15', '1\t10\t11', '2\t13\t14', '1\t10\t12', '3\t12\t11', '3\t10\t13'].join('\n') + '\n');
  return root;
}

test('mMARCO: ids are query ids; availability and texts follow the files', () => {
  const root = fixture();
  const ds = openMmarco(root, { progress: false, negatives: 2 });
  assert.deepEqual(ds.languages, ['de', 'en', 'fr']);
  assert.deepEqual([0, 1, 2].map((i) => ds.id(i)), ['1', '2', '3']);
  assert.deepEqual(languagesOf(ds, 0), ['de', 'en', 'fr']);
  assert.deepEqual(languagesOf(ds, 1), ['en', 'fr']); // no German query 2
  assert.deepEqual(languagesOf(ds, 2), ['de', 'en']); // passage 15 has no French text
  // Query 1's triples in file order: (10,11), (10,12). variant 1 starts at the second.
  assert.deepEqual(ds.example(0, 'en', 0), { query: 'en q1', positive: 'en passage 10\twith tab', negatives: ['en passage 11\twith tab', 'en passage 12\twith tab'] });
  assert.deepEqual(ds.example(0, 'fr', 1), { query: 'fr q1', positive: 'fr passage 10\twith tab', negatives: ['fr passage 12\twith tab', 'fr passage 11\twith tab'] });
  // Query 3: (14,15), (12,11), (10,13); variant 5 → 5 % 3 = 2 → (10,13), then (14,15).
  assert.deepEqual(ds.example(2, 'de', 5), { query: 'de q3 ä漢', positive: 'de passage 10\twith tab', negatives: ['de passage 13\twith tab', 'de passage 15\twith tab'] });
  assert.equal(ds.query(2, 'de'), 'de q3 ä漢');
  assert.equal(ds.triplesOf(2), 3);
  ds.close();
});

test('mMARCO: the index is reused while sources are unchanged and rebuilt when one changes', () => {
  const root = fixture();
  openMmarco(root, { progress: false }).close();
  const meta = join(root, '.polyret-index', 'meta.json');
  const t0 = statSync(meta).mtimeMs;
  openMmarco(root, { progress: false }).close();
  assert.equal(statSync(meta).mtimeMs, t0);
  writeFileSync(join(root, 'en', 'queries.train.tsv'), '1\tEN Q1\n2\ten q2\n3\ten q3\n');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(root, 'en', 'queries.train.tsv'), later, later);
  const ds = openMmarco(root, { progress: false });
  assert.equal(ds.query(0, 'en'), 'EN Q1');
  ds.close();
});

test('mMARCO: malformed files fail naming file and line', () => {
  const root = fixture();
  writeFileSync(join(root, 'triples.train.ids.small.tsv'), '1\t10\t11\n1\tten\t12\n');
  assert.throws(() => openMmarco(root, { progress: false }), /triples\.train\.ids\.small\.tsv:2: expected integer ids/);
  writeFileSync(join(root, 'triples.train.ids.small.tsv'), '1\t10\n');
  assert.throws(() => openMmarco(root, { progress: false }), /:1: expected 3 ids/);
  writeFileSync(join(root, 'triples.train.ids.small.tsv'), '1\t10\t11\n');
  writeFileSync(join(root, 'de', 'collection.tsv'), '10\tx\nabc\ty\n');
  assert.throws(() => openMmarco(root, { progress: false }), /de[/\\]collection\.tsv:2: expected "<integer id><TAB><text>"/);
  writeFileSync(join(root, 'de', 'collection.tsv'), '10\tx\n10\ty\n11\tz\n');
  assert.throws(() => openMmarco(root, { progress: false }), /id 10 appears on more than one line/);
  const bad = mkdtempSync(join(tmpdir(), 'polyret-mmarco-'));
  mkdirSync(join(bad, 'xx'));
  writeFileSync(join(bad, 'xx', 'queries.train.tsv'), '1\tq\n');
  writeFileSync(join(bad, 'xx', 'collection.tsv'), '1\tp\n');
  writeFileSync(join(bad, 'triples.tsv'), '1\t1\t1\n');
  assert.throws(() => openMmarco(bad, { progress: false }), /unknown language "xx"/);
});

test('mMARCO through the hybrid sampler: cross pairs use one triple on both sides, every query once', async () => {
  const { HybridBatchSampler } = await import('../../src/sampling/hybridBatchSampler.js');
  const root = fixture();
  const ds = openMmarco(root, { progress: false, indexDir: join(root, 'idx') });
  for (let seed = 0; seed < 20; seed++) {
    const s = HybridBatchSampler.create(ds, { batchSize: 2, mode: 'hybrid', seed, epochs: 1 });
    const seen: string[] = [];
    for (let b = s.next(); b; b = s.next()) {
      for (const it of b.items) {
        seen.push(it.id);
        assert.ok(it.query.startsWith(`${it.queryLang} q${it.id}`));
        // "<lang> passage <pid>": the passage id must be a positive of this query in the triples file.
        const pid = Number(/passage (\d+)/.exec(it.positive)![1]);
        assert.ok(it.positive.startsWith(`${it.passageLang} passage`));
        assert.ok({ '1': [10], '2': [13], '3': [14, 12, 10] }[it.id]!.includes(pid), `${it.id} → ${pid}`);
      }
    }
    assert.deepEqual(seen.sort(), ['1', '2', '3']);
  }
  ds.close();
});
