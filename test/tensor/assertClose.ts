import assert from 'node:assert/strict';

/** Absolute and relative tolerance: |actual - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** The bar for fp32 parity with PyTorch. */
export const FP32: Tolerance = { atol: 1e-5, rtol: 1e-5 };

/**
 * Elementwise closeness with NaN matching NaN and infinities matching exactly (PyTorch's
 * allclose(equal_nan=True)); the message names the first bad element and the worst error.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol: Tolerance = FP32): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  let bad = -1;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a)) && bad < 0) bad = i;
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e && bad < 0) bad = i;
      continue;
    }
    const err = Math.abs(a - e);
    worst = Math.max(worst, err);
    if (err > tol.atol + tol.rtol * Math.abs(e) && bad < 0) bad = i;
  }
  if (bad >= 0) {
    assert.fail(
      `${what}: element ${bad} is ${actual[bad]}, expected ${expected[bad]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol}; worst finite error ${worst})`,
    );
  }
}
