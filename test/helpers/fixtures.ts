import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { fromArray, type Tensor } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** Reads a committed JSON fixture under test/fixtures. */
export function readFixture<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', ...parts), 'utf8')) as T;
}

export function fx(t: FixtureTensor): Tensor {
  return fromArray(Float32Array.from(t.data), t.shape);
}

export function ids(data: number[], shape: number[]): Tensor {
  return fromArray(BigInt64Array.from(data, (x) => BigInt(x)), shape);
}

/** Asserts |a − e| ≤ atol + rtol·|e| elementwise, reporting the worst element. */
export function assertClose(actual: Tensor | Float32Array | number[], expected: FixtureTensor | number[], what: string, atol = 1e-5, rtol = 1e-5): void {
  const a = Array.isArray(actual) ? actual : actual instanceof Float32Array ? Array.from(actual) : actual.toNumbers();
  const e = Array.isArray(expected) ? expected : expected.data;
  if (!Array.isArray(expected) && !Array.isArray(actual) && !(actual instanceof Float32Array)) {
    assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  }
  assert.equal(a.length, e.length, `${what}: element count`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - e[i]!) - (atol + rtol * Math.abs(e[i]!));
    if (err > worst || Number.isNaN(a[i]!)) {
      worst = Number.isNaN(a[i]!) ? Infinity : err;
      at = i;
    }
  }
  assert.ok(at < 0, `${what}: element ${at} is ${a[at]}, expected ${e[at]} (tolerance ${atol} + ${rtol}·|e|)`);
}
