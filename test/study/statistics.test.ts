import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holm, pairedTTest, sd, studentTwoSidedP } from '../../src/study/statistics.js';
import { expandGrid } from '../../src/study/grid.js';
import { StudyConfigSchema } from '../../src/study/config.js';

test('Student t two-sided p-values equal the tables (critical values at p = .05 and .01)', () => {
  // t_{0.975, df} and t_{0.995, df} from any statistics table.
  for (const [t, df, p] of [
    [12.706, 1, 0.05],
    [4.303, 2, 0.05],
    [2.776, 4, 0.05],
    [2.228, 10, 0.05],
    [9.925, 2, 0.01],
    [3.169, 10, 0.01],
  ] as const) {
    assert.ok(Math.abs(studentTwoSidedP(t, df) - p) < 2e-4, `t=${t} df=${df}: ${studentTwoSidedP(t, df)} vs ${p}`);
  }
  // df = 1 is Cauchy: P(|T| ≥ 1) = 1/2 exactly; t = 0 gives 1.
  assert.ok(Math.abs(studentTwoSidedP(1, 1) - 0.5) < 1e-12);
  assert.equal(studentTwoSidedP(0, 3), 1);
});

test('paired t-test by hand: differences 1, 2, 3 → t = 2/(1/√3) = 3.4641, df 2', () => {
  const r = pairedTTest([0, 0, 0], [1, 2, 3]);
  assert.equal(r.delta, 2);
  assert.ok(Math.abs(r.t - 2 * Math.sqrt(3)) < 1e-12);
  assert.equal(r.df, 2);
  // p = 1 − 2·F(3.4641) for df 2, with F(t) = 1/2 + t / (2√(2 + t²)): p = 1 − t/√(2+t²)
  assert.ok(Math.abs(r.p - (1 - r.t / Math.sqrt(2 + r.t * r.t))) < 1e-12);
  // constant differences: no variance, no test
  assert.ok(Number.isNaN(pairedTTest([1, 2], [2, 3]).p));
  assert.ok(Math.abs(sd([2, 4, 4, 4, 5, 5, 7, 9]) - Math.sqrt(32 / 7)) < 1e-12);
});

test('Holm step-down by hand, NaN left out of the family', () => {
  // sorted .01, .02, .03, .04 with m = 4: .04, .06, .06 (running max), .06
  assert.deepEqual(holm([0.03, 0.01, Number.NaN, 0.04, 0.02]).map((p) => (Number.isNaN(p) ? 'nan' : p.toFixed(4))), ['0.0600', '0.0400', 'nan', '0.0600', '0.0600']);
  // .5 × 2 = 1 (capped); .9 × 1 = .9, but the running maximum keeps it at 1
  assert.deepEqual(holm([0.5, 0.9]), [1, 1]);
  assert.deepEqual(holm([0.01, 0.2]), [0.02, 0.2]);
});

test('grid expansion: the product in config order, first key slowest, folder names from the last path segment', () => {
  const c = StudyConfigSchema.parse({ base: 'b.yaml', grid: { 'sampling.alpha': [1, 0.5], 'training.seed': [1, 2, 3] }, set: { 'sampling.mode': 'hybrid' } });
  const runs = expandGrid(c);
  assert.deepEqual(runs.map((r) => r.name), ['alpha-1_seed-1', 'alpha-1_seed-2', 'alpha-1_seed-3', 'alpha-0.5_seed-1', 'alpha-0.5_seed-2', 'alpha-0.5_seed-3']);
  assert.deepEqual(runs[3]!.sets, ['sampling.mode="hybrid"', 'sampling.alpha=0.5', 'training.seed=1']);
  assert.equal(runs[3]!.point, 'sampling.alpha=0.5');
  assert.throws(() => StudyConfigSchema.parse({ base: 'b.yaml', grid: { 'training.seed': [1] }, set: { 'training.seed': 2 } }), /both a grid key and a fixed override/);
  assert.throws(() => StudyConfigSchema.parse({ base: 'b.yaml', grid: {}, evaluate: [] }), /at least one grid key/);
});
