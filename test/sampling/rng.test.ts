import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, mixSeed } from '../../src/sampling/rng.js';
import { projectRoot } from '../../src/util/dataDir.js';

interface SeedEntry {
  state: number[];
  u32: number[];
  float: number[];
  int_7: number[];
  int_3000000000: number[];
  shuffle_20: number[];
}
interface Reference {
  state_1234_u32: number[];
  seeds: Record<string, SeedEntry>;
  mix_seed: Record<string, number>;
}

// Produced by scripts/fixtures/sampling_rng_reference.py, an independent Python implementation.
const ref = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'sampling', 'rng_reference.json'), 'utf8')) as Reference;

test('xoshiro128** matches the reference stream from state {1,2,3,4}', () => {
  const g = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual(Array.from({ length: 16 }, () => g.nextU32()), ref.state_1234_u32);
});

test('seeding, floats, bounded ints and shuffles match the Python reference', () => {
  for (const [seed, e] of Object.entries(ref.seeds)) {
    const g = Rng.fromSeed(Number(seed));
    assert.deepEqual(g.state(), e.state, `state for seed ${seed}`);
    assert.deepEqual(Array.from({ length: 8 }, () => g.nextU32()), e.u32);
    assert.deepEqual(Array.from({ length: 8 }, () => g.nextFloat()), e.float);
    assert.deepEqual(Array.from({ length: 16 }, () => g.nextInt(7)), e.int_7);
    assert.deepEqual(Array.from({ length: 8 }, () => g.nextInt(3000000000)), e.int_3000000000);
    const a = Array.from({ length: 20 }, (_, i) => i);
    g.shuffle(a);
    assert.deepEqual(a, e.shuffle_20);
  }
  assert.equal(mixSeed(1, 0), ref.mix_seed['1,0']);
  assert.equal(mixSeed(1, 1), ref.mix_seed['1,1']);
  assert.equal(mixSeed(123456789012, 5), ref.mix_seed['123456789012,5']);
});

test('state round-trips through JSON and continues the same stream', () => {
  const g = Rng.fromSeed(7);
  for (let i = 0; i < 5; i++) g.nextU32();
  const saved = JSON.parse(JSON.stringify(g.state())) as unknown;
  const h = Rng.fromState(saved);
  assert.deepEqual(Array.from({ length: 10 }, () => h.nextU32()), Array.from({ length: 10 }, () => g.nextU32()));
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), /all zeros/);
  assert.throws(() => Rng.fromState([1, 2, 3]), /four unsigned/);
});

test('nextInt is uniform (chi-square, 10 bins, 100k draws)', () => {
  const g = Rng.fromSeed(3);
  const counts = new Array<number>(10).fill(0);
  const n = 100000;
  for (let i = 0; i < n; i++) counts[g.nextInt(10)]!++;
  const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  // 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
  assert.ok(chi2 < 27.88, `chi2 ${chi2}`);
});

test('weightedIndex follows the weights and never picks a zero weight', () => {
  const g = Rng.fromSeed(11);
  const w = [1, 0, 3];
  const counts = [0, 0, 0];
  const n = 40000;
  for (let i = 0; i < n; i++) counts[g.weightedIndex(w)]!++;
  assert.equal(counts[1], 0);
  const p = counts[2]! / n;
  // Binomial sd = sqrt(0.75*0.25/40000) ≈ 0.0022; 5 sd bound.
  assert.ok(Math.abs(p - 0.75) < 0.011, `p ${p}`);
});
