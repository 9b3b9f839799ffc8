import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJsonl } from '../../src/data/jsonl.js';
import { openDataset } from '../../src/data/openDataset.js';
import { languagesOf } from '../../src/data/parallelDataset.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'polyret-jsonl-'));
}

test('rows of one id in any order and in several files make one parallel example', () => {
  const dir = tmp();
  const row = (id: string | number, lang: string, extra = ''): string =>
    JSON.stringify({ id, lang, query: `q ${id} ${lang}${extra}`, positive: `p ${id} ${lang}`, negatives: [`n ${id} ${lang}`] });
  writeFileSync(join(dir, 'a.jsonl'), [row('x', 'de'), row(7, 'en'), '', row('x', 'en', ' ünïcødé 漢字')].join('\n') + '\n');
  writeFileSync(join(dir, 'b.jsonl'), [row('x', 'fr'), row('y', 'fr')].join('\r\n'));
  const ds = openDataset([dir]);
  assert.deepEqual(ds.languages, ['de', 'en', 'fr']);
  assert.equal(ds.size, 3);
  const ix = (id: string): number => [...Array(ds.size).keys()].find((i) => ds.id(i) === id)!;
  assert.deepEqual(languagesOf(ds, ix('x')), ['de', 'en', 'fr']);
  assert.deepEqual(languagesOf(ds, ix('7')), ['en']);
  assert.deepEqual(languagesOf(ds, ix('y')), ['fr']);
  assert.deepEqual(ds.example(ix('x'), 'en'), { query: 'q x en ünïcødé 漢字', positive: 'p x en', negatives: ['n x en'] });
  assert.equal(ds.query(ix('y'), 'fr'), 'q y fr');
  assert.throws(() => ds.example(ix('y'), 'de'), /has no de row/);
  ds.close();
});

test('malformed JSONL fails naming file, line and field', () => {
  const dir = tmp();
  const cases: [string, RegExp][] = [
    ['{"id": "a", "lang": "de", "query": "q", "positive": "p"}\n{not json', /bad\.jsonl:2: not valid JSON/],
    ['{"id": "a", "query": "q", "positive": "p"}', /bad\.jsonl:1: field "lang" is missing/],
    ['{"id": "a", "lang": "xx", "query": "q", "positive": "p"}', /bad\.jsonl:1: field "lang": unknown language "xx"/],
    ['{"id": "a", "lang": "de", "positive": "p"}', /bad\.jsonl:1: field "query"/],
    ['{"id": "a", "lang": "de", "query": "q"}', /bad\.jsonl:1: field "positive"/],
    ['{"id": "a", "lang": "de", "query": "q", "positive": "p", "negatives": "n"}', /field "negatives": expected an array of strings/],
    ['{"lang": "de", "query": "q", "positive": "p"}', /bad\.jsonl:1: field "id"/],
    ['{"id": "a", "lang": "de", "query": "q", "positive": "p"}\n{"id": "a", "lang": "de", "query": "q2", "positive": "p2"}', /bad\.jsonl:2: id "a" in language de appears twice/],
    ['[1, 2]', /expected a JSON object per line/],
  ];
  for (const [text, re] of cases) {
    const p = join(dir, 'bad.jsonl');
    writeFileSync(p, text);
    assert.throws(() => openJsonl([p]), re, text);
  }
});
