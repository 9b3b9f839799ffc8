import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, hasData } from '../../src/util/dataDir.js';
import { TATOEBA_LANGUAGES, XTREME_TATOEBA_LANGUAGES, resolveTatoebaLanguage, tatoebaLanguageSeen } from '../../src/eval/tasks/tatoebaLanguages.js';
import { tatoebaAccuracy, tatoebaId, tatoebaLanguages } from '../../src/eval/tasks/tatoeba.js';
import { EmbeddingsFile, writeEmbeddings } from '../../src/eval/embeddings.js';
import { runEval } from '../../src/eval/runEval.js';
import { writeTrainingLanguages } from '../../src/models/trainingLanguages.js';
import type { EvalResults } from '../../src/eval/results.js';

const root = projectRoot();
const bin = join(root, 'bin', 'polyret.js');
const dir = mkdtempSync(join(tmpdir(), 'polyret-tatoeba-'));
const polyret = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });

test('Tatoeba languages: LASER\'s 112, XTREME\'s 36, --lang by LASER or ISO 639-1 code, seen by ISO code', () => {
  assert.equal(TATOEBA_LANGUAGES.length, 112);
  assert.equal(new Set(TATOEBA_LANGUAGES.map((l) => l.laser)).size, 112);
  assert.equal(XTREME_TATOEBA_LANGUAGES.length, 36);
  for (const l of XTREME_TATOEBA_LANGUAGES) assert.ok(TATOEBA_LANGUAGES.some((t) => t.laser === l && t.iso1), l);
  assert.equal(resolveTatoebaLanguage('de'), 'deu');
  assert.equal(resolveTatoebaLanguage('DEU'), 'deu');
  assert.equal(resolveTatoebaLanguage('zh'), 'cmn');
  assert.equal(resolveTatoebaLanguage('sw'), 'swh');
  assert.equal(resolveTatoebaLanguage('fa'), 'pes');
  assert.equal(resolveTatoebaLanguage('yue'), 'yue');
  assert.throws(() => resolveTatoebaLanguage('en'), /pivot/);
  assert.throws(() => resolveTatoebaLanguage('xx'), /unknown language 'xx'.*LASER/);
  assert.deepEqual(tatoebaLanguages([]), [...XTREME_TATOEBA_LANGUAGES]);
  assert.throws(() => tatoebaLanguages(['de', 'deu']), /twice/);
  assert.equal(tatoebaLanguageSeen('cmn', ['en', 'zh-Hans']), true);
  assert.equal(tatoebaLanguageSeen('yue', ['zh']), false);
  assert.equal(tatoebaLanguageSeen('deu', ['en', 'es']), false);
});

test('tatoebaAccuracy: argmax of rows (xx→en) and columns (en→xx), first maximum on a tie (hand-computed)', () => {
  // S[i][j] = cos(xx_i, en_j)
  const s = Float32Array.from([
    0.9, 0.1, 0.2, //
    0.5, 0.5, 0.1, // tie in row 1: column 0 wins, so xx_1 is wrong
    0.3, 0.8, 0.7, // row 2 picks column 1: wrong; column 2's best is row 2: right
  ]);
  const r = tatoebaAccuracy(s, 3);
  assert.deepEqual(r.xx2en, [1, 0, 0]);
  // columns: 0 → row 0 (0.9), 1 → row 2 (0.8), 2 → row 2 (0.7)
  assert.deepEqual(r.en2xx, [1, 0, 1]);
  assert.throws(() => tatoebaAccuracy(s, 2), /9 scores for 2 × 2/);
});

/** The generator's LCG (scripts/fixtures/eval/make_tatoeba_fixture.py), value by value. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

interface Fixture {
  seed: number;
  languages: string[];
  n: Record<string, number>;
  dim: number;
  signal: number;
  expected: Record<string, { xx2en: number; en2xx: number; xx2enCorrect: string; en2xxCorrect: string }>;
  average: { xx2en: number; en2xx: number };
}

test('eval --task tatoeba on fixed vectors equals the numpy check (scripts/checks/tatoeba_check.py) in both directions', { skip: !hasData('tatoeba_laser') && 'no shared data' }, async () => {
  const fx = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'eval', 'tatoeba_lcg.json'), 'utf8')) as Fixture;
  const rnd = lcg(fx.seed);
  const ids: string[] = [];
  const rows: number[] = [];
  for (const lang of fx.languages) {
    const n = fx.n[lang]!;
    const en: number[] = [];
    for (let i = 0; i < n * fx.dim; i++) en.push(rnd());
    for (let i = 0; i < n; i++) {
      ids.push(tatoebaId(lang, 'xx', i));
      for (let d = 0; d < fx.dim; d++) rows.push(fx.signal * en[i * fx.dim + d]! + rnd());
    }
    for (let i = 0; i < n; i++) ids.push(tatoebaId(lang, 'en', i));
    rows.push(...en);
  }
  const path = join(dir, 'lcg.safetensors');
  writeEmbeddings(path, ids, Float32Array.from(rows), fx.dim);
  const file = new EmbeddingsFile(path);
  let res: EvalResults;
  try {
    // ISO 639-1 codes where they exist: de → deu, sw → swh; yue has none.
    res = await runEval({ task: 'tatoeba', languages: ['de', 'yue', 'sw'], source: { kind: 'embeddings', file }, progress: false });
  } finally {
    file.close();
  }
  const t = res.tatoeba!;
  assert.equal(res.task, 'tatoeba');
  assert.deepEqual(t.order, fx.languages);
  for (const lang of fx.languages) {
    const e = fx.expected[lang]!;
    assert.equal(t.languages[lang]!.n, fx.n[lang]);
    assert.equal(t.languages[lang]!.xx2en, e.xx2en, `${lang} xx2en`);
    assert.equal(t.languages[lang]!.en2xx, e.en2xx, `${lang} en2xx`);
    assert.equal(t.perQuery[lang]!.xx2en.join(''), e.xx2enCorrect);
    assert.equal(t.perQuery[lang]!.en2xx.join(''), e.en2xxCorrect);
  }
  assert.ok(Math.abs(t.average.xx2en - fx.average.xx2en) < 1e-12 && Math.abs(t.average.en2xx - fx.average.en2xx) < 1e-12);
  assert.equal(res.seenUnseen, undefined);
  assert.deepEqual(Object.keys(res.data.sha256).sort(), ['tatoeba_laser/tatoeba.deu-eng.deu', 'tatoeba_laser/tatoeba.deu-eng.eng', 'tatoeba_laser/tatoeba.swh-eng.eng', 'tatoeba_laser/tatoeba.swh-eng.swh', 'tatoeba_laser/tatoeba.yue-eng.eng', 'tatoeba_laser/tatoeba.yue-eng.yue']);
});

test('eval --task tatoeba --model: seen / unseen from the folder\'s training languages, export-texts ids, report tables', { skip: !hasData('tatoeba_laser') && 'no shared data' }, () => {
  const model = join(dir, 'model');
  cpSync(join(root, 'test', 'fixtures', 'models', 'tiny-labse'), model, { recursive: true });
  writeTrainingLanguages(model, ['en', 'jv']);
  const out = join(dir, 'model.json');
  const r = polyret('eval', '--task', 'tatoeba', '--lang', 'jv,tzl', '--model', model, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /jav\s+jv\s+Javanese\s+205/);
  const res = JSON.parse(readFileSync(out, 'utf8')) as EvalResults;
  assert.equal(res.config.similarity, 'cosine');
  const g = res.seenUnseen!.groups.languages!;
  assert.deepEqual(res.seenUnseen!.trainingLanguages, ['en', 'jv']);
  assert.deepEqual(g.seen!.items, ['jav']);
  assert.deepEqual(g.unseen!.items, ['tzl']);
  assert.equal(g.seen!.metrics.xx2en, res.tatoeba!.languages.jav!.xx2en);
  assert.equal(g.unseen!.metrics.en2xx, res.tatoeba!.languages.tzl!.en2xx);
  for (const v of Object.values(res.tatoeba!.languages)) assert.ok(v.xx2en >= 0 && v.xx2en <= 1 && v.en2xx >= 0 && v.en2xx <= 1);

  const texts = join(dir, 'texts.jsonl');
  assert.equal(polyret('eval', '--task', 'tatoeba', '--lang', 'tzl', '--export-texts', texts).status, 0);
  const lines = readFileSync(texts, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; kind: string });
  assert.equal(lines.length, 208);
  assert.deepEqual([lines[0]!.id, lines[104]!.id, lines[207]!.id], ['tatoeba/tzl/xx/0', 'tatoeba/tzl/en/0', 'tatoeba/tzl/en/103']);

  const rep = polyret('report', out, '--out', join(dir, 'report'), '--no-png');
  assert.equal(rep.status, 0, rep.stderr);
  const md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
  assert.match(md, /\| tzl \|  \| Talossan \| 104 \|/);
  assert.match(md, /\| languages \| unseen \| 1 \|/);
  assert.ok(existsSync(join(dir, 'report', 'summary.csv')));
  assert.equal(polyret('eval', '--task', 'tatoeba', '--lang', 'xx', '--model', model).status, 1);
});
