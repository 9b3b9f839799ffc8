import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedTests, pairContributions } from '../../src/eval/stats/pairedTests.js';

/** Exact two-sided sign-flip p-value by enumerating all 2^n flips (the reference for the Monte Carlo test). */
function exactRandomizationP(c: number[]): number {
  const t = Math.abs(c.reduce((a, b) => a + b, 0));
  let extreme = 0;
  const n = c.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (mask >> i) & 1 ? c[i]! : -c[i]!;
    if (Math.abs(s) >= t - 1e-12) extreme++;
  }
  return extreme / (1 << n);
}

test('randomization test agrees with the exact enumeration', () => {
  const cases = [
    [0.1, 0.2, -0.05, 0.3, 0.15, 0.1, -0.02, 0.25, 0.05, 0.12, 0.2, 0.01],
    [0.1, -0.1, 0.05, -0.04, 0.02, 0.0, 0.03, -0.01, 0.02, -0.02, 0.01, 0.04],
  ];
  for (const c of cases) {
    const exact = exactRandomizationP(c);
    const r = pairedTests(c, 20000, 7);
    assert.ok(Math.abs(r.pRandomization - exact) < 0.01, `${r.pRandomization} vs exact ${exact}`);
    assert.ok(Math.abs(r.delta - c.reduce((a, b) => a + b, 0)) < 1e-12);
  }
});

test('identical systems give p = 1; a clear consistent gain gives a small p; seeded runs repeat', () => {
  const same = pairedTests(new Float64Array(50), 2000, 3);
  assert.equal(same.pRandomization, 1);
  assert.equal(same.pBootstrap, 1);
  const gain = Array.from({ length: 200 }, (_, i) => 0.01 + 0.005 * Math.sin(i));
  const g = pairedTests(gain, 2000, 3);
  assert.ok(g.pRandomization < 0.001 && g.pBootstrap < 0.001);
  assert.deepEqual(pairedTests(gain.map((x, i) => (i % 2 ? x : -x * 0.9)), 500, 11), pairedTests(gain.map((x, i) => (i % 2 ? x : -x * 0.9)), 500, 11));
});

test('contributions are paired by question id across settings with macro weights', () => {
  const a = [
    { setting: 'en→de', qids: ['q1', 'q2'], values: [0.5, 1] },
    { setting: 'en→ar', qids: ['q1'], values: [0] },
  ];
  const b = [
    { setting: 'en→ar', qids: ['q1'], values: [1] },
    { setting: 'en→de', qids: ['q2', 'q1'], values: [1, 1] },
  ];
  const c = pairContributions(a, b);
  // q1: (1 − 0.5)/(2·2) + (1 − 0)/(2·1) = 0.625 ; q2: 0
  assert.deepEqual(Array.from(c), [0.625, 0]);
  assert.throws(() => pairContributions(a, [b[0]!]), /2 settings against 1/);
});
