/**
 * Where the relevant items of one query land in a fully scored pool, without sorting the pool: what LAReQA's
 * full-pool metrics need (AP with scikit-learn's tie semantics, R@k, rank distance). O(n · log p) for n items
 * and p relevant items, so 13,000-candidate multilingual pools cost one pass per query.
 */
export interface PositiveRanks {
  /**
   * 1-based rank of each positive (in the order given) when the pool is ordered by score descending and tied
   * scores by pool index ascending.
   */
  ranks: Int32Array;
  /** Items (of the whole pool) scoring at least as high as each positive, ties included. */
  atLeast: Int32Array;
  /** Positives scoring at least as high as each positive, ties included. */
  positivesAtLeast: Int32Array;
}

export function rankPositives(scores: ArrayLike<number>, positives: readonly number[]): PositiveRanks {
  const p = positives.length;
  const ranks = new Int32Array(p);
  const atLeast = new Int32Array(p);
  const positivesAtLeast = new Int32Array(p);
  if (p === 0) return { ranks, atLeast, positivesAtLeast };
  // distinct thresholds (positive scores) in descending order
  const t = Array.from(new Set(positives.map((i) => scores[i]!))).sort((a, b) => b - a);
  const m = t.length;
  const last = t[m - 1]!;
  // above[j]: items with t[j] < s < t[j-1]; equal[j]: items with s == t[j]; equalBefore: ties seen so far, for ranks
  const above = new Int32Array(m);
  const equal = new Int32Array(m);
  const byIndex = positives.map((pos, k) => [pos, k] as const).sort((a, b) => a[0] - b[0]);
  const equalBefore = new Int32Array(p);
  let next = 0;
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s >= last) {
      let lo = 0;
      let hi = m - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid]! <= s) hi = mid;
        else lo = mid + 1;
      }
      if (t[lo] === s) {
        if (next < p && byIndex[next]![0] === i) equalBefore[byIndex[next]![1]] = equal[lo]!;
        equal[lo]!++;
      } else above[lo]!++;
    }
    if (next < p && byIndex[next]![0] === i) next++;
  }
  // cumulative: greater[j] = items scoring > t[j]; geq[j] = items scoring ≥ t[j]
  const greater = new Int32Array(m);
  const geq = new Int32Array(m);
  let run = 0;
  for (let j = 0; j < m; j++) {
    run += above[j]!;
    greater[j] = run;
    run += equal[j]!;
    geq[j] = run;
  }
  const posScores = positives.map((i) => scores[i]!);
  const sortedPos = [...posScores].sort((a, b) => b - a);
  for (let k = 0; k < p; k++) {
    const s = posScores[k]!;
    const j = t.indexOf(s);
    ranks[k] = greater[j]! + equalBefore[k]! + 1;
    atLeast[k] = geq[j]!;
    let c = 0;
    while (c < p && sortedPos[c]! >= s) c++;
    positivesAtLeast[k] = c;
  }
  return { ranks, atLeast, positivesAtLeast };
}

/** scikit-learn's average precision from rankPositives (optionally only tie groups ending within the first k). */
export function averagePrecisionFromRanks(r: PositiveRanks, k = Infinity): number {
  const p = r.ranks.length;
  if (p === 0) return 0;
  let sum = 0;
  for (let i = 0; i < p; i++) if (r.atLeast[i]! <= k) sum += r.positivesAtLeast[i]! / r.atLeast[i]!;
  return sum / p;
}

/** Fraction of the positives ranked within the first k (recall@k). */
export function recallFromRanks(r: PositiveRanks, k: number): number {
  const p = r.ranks.length;
  if (p === 0) return 0;
  let c = 0;
  for (let i = 0; i < p; i++) if (r.ranks[i]! <= k) c++;
  return c / p;
}

/** Rank of the lowest-ranked positive minus rank of the highest-ranked one (LAReQA's language-bias rank distance). */
export function rankDistance(r: PositiveRanks): number {
  if (r.ranks.length === 0) return 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of r.ranks) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return hi - lo;
}
