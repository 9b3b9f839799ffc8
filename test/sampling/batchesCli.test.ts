import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, dataPath, hasData } from '../../src/util/dataDir.js';

const bin = join(projectRoot(), 'bin', 'polyret.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'batches', ...args], { encoding: 'utf8' });
const skip = hasData('xquad-r') ? false : 'no shared data';

interface Line {
  mode: 'mono' | 'cross';
  items: { id: string; queryLang: string; passageLang: string }[];
}

test('polyret batches --json prints one composition line per batch', { skip }, () => {
  const data = ['de', 'en', 'zh'].flatMap((l) => ['--data', dataPath('xquad-r', `${l}.json`)]);
  const r = cli(...data, '--mode', 'hybrid', '--alpha', '0.5', '--batch-size', '16', '--seed', '3', '--limit', '30', '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, 30);
  for (const b of lines) {
    assert.deepEqual(Object.keys(b), ['mode', 'items']);
    assert.equal(b.items.length, 16);
    assert.equal(new Set(b.items.map((it) => it.id)).size, 16);
    for (const it of b.items) {
      assert.deepEqual(Object.keys(it), ['id', 'queryLang', 'passageLang']);
      if (b.mode === 'cross') assert.notEqual(it.queryLang, it.passageLang);
    }
    if (b.mode === 'mono') assert.equal(new Set(b.items.flatMap((it) => [it.queryLang, it.passageLang])).size, 1);
  }
  assert.ok(lines.some((b) => b.mode === 'mono') && lines.some((b) => b.mode === 'cross'));
  // Same seed, same batches.
  const again = cli(...data, '--mode', 'hybrid', '--batch-size', '16', '--seed', '3', '--limit', '30', '--json');
  assert.equal(again.stdout, r.stdout);
  // The table form names the composition.
  const table = cli(...data, '--mode', 'cross', '--batch-size', '8', '--limit', '2');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /batch 0 \(epoch 0\) cross 8 items: [a-z]{2}→[a-z]{2}×\d/);
});

test('polyret batches --plot draws the language pairs of exactly the batches --json lists', { skip }, () => {
  const data = ['de', 'en', 'zh'].flatMap((l) => ['--data', dataPath('xquad-r', `${l}.json`)]);
  const dir = mkdtempSync(join(tmpdir(), 'polyret-batches-plot-'));
  const args = [...data, '--batch-size', '16', '--seed', '5', '--limit', '12'];
  const r = cli(...args, '--json', '--plot', join(dir, 'pairs.svg'));
  assert.equal(r.status, 0, r.stderr);
  const counts = new Map<string, number>();
  for (const l of r.stdout.trim().split('\n').map((x) => JSON.parse(x) as Line)) {
    for (const it of l.items) counts.set(`${it.queryLang} → ${it.passageLang}`, (counts.get(`${it.queryLang} → ${it.passageLang}`) ?? 0) + 1);
  }
  const svg = readFileSync(join(dir, 'pairs.svg'), 'utf8');
  // Each cell carries its exact count in a tooltip: "de → en: 7.0000".
  for (const a of ['de', 'en', 'zh']) {
    for (const b of ['de', 'en', 'zh']) {
      const m = new RegExp(`<title>${a} → ${b}: (\\d+)\\.0000</title>`).exec(svg);
      assert.ok(m, `cell ${a} → ${b}`);
      assert.equal(Number(m[1]), counts.get(`${a} → ${b}`) ?? 0, `${a} → ${b}`);
    }
  }
  assert.deepEqual([...readFileSync(join(dir, 'pairs.png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

test('polyret batches reports bad flags and unknown languages clearly', { skip }, () => {
  const bad = cli('--data', dataPath('xquad-r', 'de.json'), '--mode', 'both');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--mode must be mono, cross or hybrid/);
  const dir = mkdtempSync(join(tmpdir(), 'polyret-cli-'));
  copyFileSync(dataPath('xquad-r', 'de.json'), join(dir, 'train.json'));
  const unk = cli('--data', join(dir, 'train.json'));
  assert.equal(unk.status, 1);
  assert.match(unk.stderr, /train\.json: cannot tell the language from the file name/);
  const ok = cli('--data', join(dir, 'train.json'), '--lang', 'de', '--mode', 'mono', '--limit', '1', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const none = cli('--data', join(dir, 'train.json'), '--lang', 'de', '--mode', 'cross');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /at least two languages/);
});
