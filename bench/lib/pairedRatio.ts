/**
 * How sure a benchmark row is: the per-item time ratios of two sides timed by turns (polyret's step i against the
 * peer's step i), their median, and a distribution-free confidence interval for that median.
 *
 * Why: on a shared 2-core machine single steps vary by ±30 % on both sides, so a ratio of two medians over a few
 * steps can land on either side of 1.0 by chance. Pairing by turn cancels the load both sides saw, and the interval
 * says whether a gap is larger than the noise.
 *
 * The interval is the classic one from order statistics (the sign test's): for n sorted ratios r(1) ≤ … ≤ r(n), it is
 * [r(k), r(n+1−k)] with the largest k for which P(Binomial(n, ½) ≤ k−1) ≤ (1−level)/2. Its coverage is at least
 * `level` for any continuous distribution, and it needs no random resampling, so the same times give the same
 * interval. With fewer than 6 pairs no 95 % interval exists (`low`/`high` are then null).
 */
import { median } from './peer.js';

export interface PairedRatio {
  /** Number of pairs. */
  readonly n: number;
  /** Median of the per-pair ratios a_i / b_i. */
  readonly median: number;
  /** Lower and upper bound of the interval, or null when n is too small for the level. */
  readonly low: number | null;
  readonly high: number | null;
  /** The interval's exact coverage (≥ level), or null. */
  readonly coverage: number | null;
  /** Pairs in which side a was faster (ratio < 1). */
  readonly aFaster: number;
}

/** P(Binomial(n, ½) ≤ j), exactly (n up to ~1000 without overflow of the terms' ratio). */
export function binomialHalfCdf(n: number, j: number): number {
  if (j < 0) return 0;
  let term = 2 ** -n; // C(n, 0) / 2^n
  let sum = term;
  for (let i = 1; i <= Math.min(j, n); i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/** Median of a_i / b_i and its order-statistic confidence interval at `level` (default 0.95). */
export function pairedRatio(a: readonly number[], b: readonly number[], level = 0.95): PairedRatio {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`pairedRatio: need two equally long, non-empty lists, got ${a.length} and ${b.length}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`pairedRatio: level must be in (0, 1), got ${level}`);
  const r = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
  const n = r.length;
  const tail = (1 - level) / 2;
  let k = 0;
  while (k + 1 <= Math.floor(n / 2) && binomialHalfCdf(n, k) <= tail) k++;
  // k is now the largest rank with P(X ≤ k−1) ≤ tail (0 when none qualifies).
  const ok = k >= 1;
  return {
    n,
    median: median(r),
    low: ok ? r[k - 1]! : null,
    high: ok ? r[n - k]! : null,
    coverage: ok ? 1 - 2 * binomialHalfCdf(n, k - 1) : null,
    aFaster: r.filter((x) => x < 1).length,
  };
}

/** One line for a benchmark's log, e.g. `per-step ratio median 0.982, 96.1 % CI [0.931, 1.040], polyret faster in 8 of 12 steps`. */
export function describePairedRatio(p: PairedRatio, what = 'steps'): string {
  const ci = p.low === null ? `too few ${what} for a 95 % interval` : `${(100 * p.coverage!).toFixed(1)} % CI [${p.low.toFixed(3)}, ${p.high!.toFixed(3)}]`;
  return `per-${what.replace(/s$/, '')} ratio (paired by turn) median ${p.median.toFixed(3)}, ${ci}, polyret faster in ${p.aFaster} of ${p.n} ${what}`;
}
