import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, hasData } from '../../src/util/dataDir.js';
import { loadLareqa, type LareqaTask } from '../../src/eval/tasks/lareqaData.js';
import { EmbeddingsFile, writeEmbeddings } from '../../src/eval/embeddings.js';
import { runEval } from '../../src/eval/runEval.js';

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'polyret-lareqa-ref-'));

interface Case {
  task: LareqaTask;
  languages: string[];
  seed: number;
  settings: Record<string, { mAP: number; numQueries: number }>;
  summary: { mono: number; cross: number; multi: number };
}

/** The generator's LCG (scripts/fixtures/eval/make_lareqa_fixture.py). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const fixture = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'eval', 'lareqa_lcg.json'), 'utf8')) as { dim: number; cross: number; cases: Case[] };

for (const c of fixture.cases) {
  test(`${c.task} (${c.languages.join(', ')}): every X→Y mAP and the Mo./Cr./Mul. averages equal XTREME's LAReQA definitions (scikit-learn) within 1e-5`, { skip: !hasData(c.task, 'en.json') && 'no shared data' }, async () => {
    const ds = loadLareqa(c.task, c.languages);
    const dim = fixture.dim;
    const rnd = lcg(c.seed);
    const vec = new Map<string, Float64Array>();
    for (const l of ds.languages) for (const cand of l.candidates) vec.set(cand.id, Float64Array.from({ length: dim }, () => rnd()));
    const en = ds.languages.find((l) => l.lang === 'en');
    const enAnswer = new Map(en ? en.questions.map((q) => [q.qid, en.candidates[q.answers[0]!]!.id]) : []);
    for (const l of ds.languages) {
      for (const q of l.questions) {
        const x = Float64Array.from(vec.get(l.candidates[q.answers[0]!]!.id)!);
        const e = l.lang !== 'en' ? enAnswer.get(q.qid) : undefined;
        if (e) vec.get(e)!.forEach((v, d) => (x[d]! += fixture.cross * v));
        vec.set(q.id, x.map((v) => v + rnd()));
      }
    }
    const ids = [...vec.keys()];
    const rows = new Float32Array(ids.length * dim);
    ids.forEach((id, i) => rows.set(vec.get(id)!, i * dim));
    const path = join(dir, `${c.task}.safetensors`);
    writeEmbeddings(path, ids, rows, dim);
    const file = new EmbeddingsFile(path);
    try {
      const res = await runEval({ task: c.task, languages: c.languages, source: { kind: 'embeddings', file }, progress: false });
      const lq = res.lareqa!;
      assert.equal(lq.settings.length, Object.keys(c.settings).length);
      for (const s of lq.settings) {
        const want = c.settings[`${s.query}→${s.pool}`]!;
        assert.ok(want, `${s.query}→${s.pool}`);
        assert.equal(s.numQueries, want.numQueries, `${s.query}→${s.pool} questions`);
        assert.ok(Math.abs(s.metrics.mAP! - want.mAP) < 1e-5, `${s.query}→${s.pool}: ${s.metrics.mAP} vs ${want.mAP}`);
      }
      for (const kind of ['mono', 'cross', 'multi'] as const) {
        assert.ok(Math.abs(lq.summary[kind].metrics.mAP! - c.summary[kind]) < 1e-5, `${kind}: ${lq.summary[kind].metrics.mAP} vs ${c.summary[kind]}`);
      }
    } finally {
      file.close();
    }
  });
}
