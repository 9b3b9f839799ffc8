import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { parseQrels } from '../../src/eval/trec/qrels.js';
import { parseRun } from '../../src/eval/trec/run.js';
import { scoreRun } from '../../src/eval/metrics/scoreRun.js';
import { judgeRanking } from '../../src/eval/metrics/judgedRanking.js';
import { rankTrec } from '../../src/eval/metrics/rankRun.js';
import { thresholdAveragePrecision, poolAveragePrecision } from '../../src/eval/metrics/thresholdAveragePrecision.js';

interface TrecCase {
  name: string;
  complete: boolean;
  qrels: string;
  run: string;
  metrics: Record<string, number>;
  perQuery: Record<string, Record<string, number>>;
}
const fixture = (name: string) => JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'eval', name), 'utf8'));

test('every metric equals trec_eval (v9.0.8) per query and averaged, with and without -c, to 1e-6', () => {
  const { cases } = fixture('trec_eval.json') as { cases: TrecCase[] };
  assert.ok(cases.length >= 8);
  for (const c of cases) {
    const names = Object.keys(c.metrics);
    assert.ok(names.length >= 12, `${c.name}: fixture has ${names.length} metrics`);
    const got = scoreRun(parseQrels(c.qrels, c.name), parseRun(c.run, c.name), names, { complete: c.complete });
    for (const m of names) assert.ok(Math.abs(got.metrics[m]! - c.metrics[m]!) <= 1e-6, `${c.name} ${m}: ${got.metrics[m]} vs trec_eval ${c.metrics[m]}`);
    for (const [qid, values] of Object.entries(c.perQuery)) {
      for (const m of names) {
        const v = got.perQuery[qid]?.[m];
        assert.ok(v !== undefined && Math.abs(v - values[m]!) <= 1e-6, `${c.name} ${qid} ${m}: ${v} vs trec_eval ${values[m]}`);
      }
    }
    // trec_eval 9.0.8 -q prints only evaluated queries: without -c those are exactly ours
    if (!c.complete) assert.deepEqual(Object.keys(got.perQuery).sort(), Object.keys(c.perQuery).sort());
  }
});

test('threshold AP equals scikit-learn average_precision_score to 1e-9 on 120 random pools with ties', () => {
  const { cases } = fixture('sklearn_ap.json') as { cases: { scores: number[]; positives: number[]; ap: number }[] };
  assert.equal(cases.length, 120);
  let nontrivial = 0;
  for (const [i, c] of cases.entries()) {
    const pos = new Set(c.positives);
    const ranked = rankTrec(c.scores.map((score, j) => ({ docid: `d${j}`, score })));
    const qrels = new Map(c.positives.map((j) => [`d${j}`, 1] as [string, number]));
    const viaRanking = thresholdAveragePrecision(judgeRanking(ranked, qrels));
    const viaPool = poolAveragePrecision(Float32Array.from(c.scores), c.positives);
    assert.ok(Math.abs(viaRanking - c.ap) <= 1e-9, `case ${i}: ranking ${viaRanking} vs sklearn ${c.ap}`);
    assert.ok(Math.abs(viaPool - c.ap) <= 1e-9, `case ${i}: pool ${viaPool} vs sklearn ${c.ap}`);
    if (c.ap > 0 && c.ap < 1 && pos.size > 1) nontrivial++;
  }
  assert.ok(nontrivial > 20);
});
