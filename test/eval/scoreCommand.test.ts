import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { parseRun, writeRun } from '../../src/eval/trec/run.js';
import { parseQrels } from '../../src/eval/trec/qrels.js';

const bin = join(projectRoot(), 'bin', 'polyret.js');
const dir = mkdtempSync(join(tmpdir(), 'polyret-score-'));
const qrelsPath = join(dir, 'qrels');
const runPath = join(dir, 'run');
writeFileSync(qrelsPath, 'q1 0 a 1\nq1 0 b 0\nq1 0 c 2\nq2 0 x 1\nq3 0 y 1\n');
// q1: c (rel 2) first, then b, then a; q2: x second of two tied docs ('x' < 'z' so z ranks first); q3 missing
writeFileSync(runPath, 'q1 Q0 a 3 0.1 t\nq1 Q0 c 1 0.9 t\nq1 Q0 b 2 0.5 t\nq2 Q0 x 1 0.5 t\nq2 Q0 z 2 0.5 t\nq9 Q0 k 1 1 t\n');

function polyret(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });
}

test('polyret score --json prints metrics named exactly as requested, perQuery only with --per-query', () => {
  const r = polyret('score', '--qrels', qrelsPath, '--run', runPath, '-m', 'AP', '-m', 'RR', '-m', 'P@2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['metrics']);
  // q1: AP = (1/1 + 2/3)/2, RR = 1, P@2 = 1/2 ; q2: AP = 1/2, RR = 1/2, P@2 = 1/2 (q3 has no run: not averaged)
  assert.ok(Math.abs(out.metrics.AP - ((1 + 2 / 3) / 2 + 0.5) / 2) < 1e-12);
  assert.ok(Math.abs(out.metrics.RR - 0.75) < 1e-12);
  assert.ok(Math.abs(out.metrics['P@2'] - 0.5) < 1e-12);
  const c = JSON.parse(polyret('score', '--qrels', qrelsPath, '--run', runPath, '-m', 'AP', '--complete', '--per-query', '--json').stdout);
  assert.ok(Math.abs(c.metrics.AP - ((1 + 2 / 3) / 2 + 0.5) / 3) < 1e-12);
  assert.deepEqual(Object.keys(c.perQuery), ['q1', 'q2', 'q3']);
  assert.equal(c.perQuery.q3.AP, 0);
  // threshold ties: q2's x ties with z → one step with precision 1/2, same as trec here; q1 unchanged
  const t = JSON.parse(polyret('score', '--qrels', qrelsPath, '--run', runPath, '-m', 'AP', '--ties', 'threshold', '--json').stdout);
  assert.ok(Math.abs(t.metrics.AP - out.metrics.AP) < 1e-12);
});

test('polyret score: bad input names the file and line', () => {
  const bad = join(dir, 'bad.run');
  writeFileSync(bad, 'q1 Q0 a 1 0.5 t\nq1 Q0 b 2 high t\n');
  const r = polyret('score', '--qrels', qrelsPath, '--run', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.run:2: score 'high' is not a finite number/);
  const r2 = polyret('score', '--qrels', qrelsPath, '--run', runPath, '-m', 'nDCG');
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /needs a cutoff/);
  assert.throws(() => parseQrels('q1 0 a\n', 'x.qrels'), /x\.qrels:1: expected 4 fields/);
  assert.throws(() => parseRun('q1 Q0 a 1 0.5 t\nq1 Q0 a 2 0.4 t\n', 'r'), /r:2: document 'a' is listed twice/);
});

test('written runs read back identically and are ordered as trec_eval orders them', () => {
  const path = join(dir, 'out.run');
  const run = new Map([['q1', [{ docid: 'a', score: 0.5 }, { docid: 'b', score: 0.5 }, { docid: 'c', score: 0.1234567890123 }]]]);
  writeRun(path, run, 'mytag');
  const text = readFileSync(path, 'utf8');
  assert.equal(text, 'q1 Q0 b 1 0.5 mytag\nq1 Q0 a 2 0.5 mytag\nq1 Q0 c 3 0.1234567890123 mytag\n');
  assert.deepEqual(parseRun(text).get('q1')!.map((e) => e.score), [0.5, 0.5, 0.1234567890123]);
});
