import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialHalfCdf, pairedRatio, describePairedRatio } from '../../bench/lib/pairedRatio.js';

test('binomialHalfCdf: exact tail sums of Binomial(n, 1/2)', () => {
  // Hand-computed: C(12,0..2) = 1, 12, 66, over 2^12 = 4096.
  assert.equal(binomialHalfCdf(12, 2), 79 / 4096);
  assert.equal(binomialHalfCdf(12, -1), 0);
  assert.equal(binomialHalfCdf(5, 5), 1);
  assert.ok(Math.abs(binomialHalfCdf(6, 3) - 42 / 64) < 1e-15);
});

test('pairedRatio: median and the order-statistic 95 % interval of the per-pair ratios', () => {
  // 12 pairs with ratios 0.90, 0.91, …, 1.01 (given out of order): for n = 12 the interval is [r(3), r(10)], coverage
  // 1 − 2·79/4096.
  const ratios = [0.95, 0.9, 1.01, 0.92, 0.97, 0.91, 0.99, 0.93, 1.0, 0.94, 0.96, 0.98];
  const b = ratios.map((_, i) => 2 + i);
  const a = ratios.map((r, i) => r * b[i]!);
  const p = pairedRatio(a, b);
  assert.equal(p.n, 12);
  assert.ok(Math.abs(p.median - 0.955) < 1e-12);
  assert.ok(Math.abs(p.low! - 0.92) < 1e-12);
  assert.ok(Math.abs(p.high! - 0.99) < 1e-12);
  assert.ok(Math.abs(p.coverage! - (1 - (2 * 79) / 4096)) < 1e-12);
  assert.equal(p.aFaster, 10);
  assert.match(describePairedRatio(p), /median 0\.955, 96\.1 % CI \[0\.920, 0\.990\], polyret faster in 10 of 12 steps/);
});

test('pairedRatio: 6 pairs give [min, max] (coverage 31/32); 5 give no 95 % interval; bad input is refused', () => {
  const six = pairedRatio([1, 2, 3, 4, 5, 6], [2, 2, 2, 2, 2, 2]);
  assert.deepEqual([six.low, six.high, six.coverage], [0.5, 3, 1 - 2 / 64]);
  const five = pairedRatio([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]);
  assert.equal(five.low, null);
  assert.equal(five.median, 1 / 3);
  assert.match(describePairedRatio(five), /too few steps for a 95 % interval/);
  assert.throws(() => pairedRatio([1], [1, 2]), /equally long/);
  assert.throws(() => pairedRatio([1], [1], 1), /level/);
});
