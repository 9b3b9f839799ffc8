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

export function rankPositives(scores: Float32Array | Float64Array | readonly number[], positives: readonly number[]): PositiveRanks {
  const p = positives.length;
  const ranks = new Int32Array(p);
  const atLeast = new Int32Array(p);
  const positivesAtLeast = new Int32Array(p);
  if (p === 0) return { ranks, atLeast, positivesAtLeast };
  const n = scores.length;
  if (p === 1) {
    // the common case (one answer sentence in one pool): a single branch-light pass
    const pos = positives[0]!;
    const s0 = scores[pos]!;
    let greater = 0;
    let equal = 0;
    let equalBefore = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (s > s0) greater++;
      else if (s === s0) {
        equal++;
        if (i < pos) equalBefore++;
      }
    }
    ranks[0] = greater + equalBefore + 1;
    atLeast[0] = greater + equal;
    positivesAtLeast[0] = 1;
    return { ranks, atLeast, positivesAtLeast };
  }
  // distinct thresholds (positive scores) in descending order
  const t = Array.from(new Set(positives.map((i) => scores[i]!))).sort((a, b) => b - a);
  const m = t.length;
  const tt = Float64Array.from(t);
  const last = tt[m - 1]!;
  // greater[j] = items scoring > t[j]; geq[j] = items scoring ≥ t[j]
  const greater = new Int32Array(m);
  const geq = new Int32Array(m);
  if (m <= 16) {
    // few thresholds (multilingual pools have about one per language): branch-free counting beats a binary search
    for (let j = 0; j < m; j++) {
      const tj = tt[j]!;
      let g = 0;
      let e = 0;
      for (let i = 0; i < n; i++) {
        const s = scores[i]!;
        g += s > tj ? 1 : 0;
        e += s === tj ? 1 : 0;
      }
      greater[j] = g;
      geq[j] = g + e;
    }
  } else {
    // above[j]: items with t[j] < s < t[j-1]; equal[j]: items with s == t[j]
    const above = new Int32Array(m);
    const equal = new Int32Array(m);
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (!(s >= last)) continue;
      let lo = 0;
      let hi = m - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (tt[mid]! <= s) hi = mid;
        else lo = mid + 1;
      }
      if (tt[lo] === s) equal[lo]!++;
      else above[lo]!++;
    }
    let run = 0;
    for (let j = 0; j < m; j++) {
      run += above[j]!;
      greater[j] = run;
      run += equal[j]!;
      geq[j] = run;
    }
  }
  const posScores = positives.map((i) => scores[i]!);
  const sortedPos = [...posScores].sort((a, b) => b - a);
  for (let k = 0; k < p; k++) {
    const s = posScores[k]!;
    const j = t.indexOf(s);
    let equalBefore = 0;
    if (geq[j]! - greater[j]! > 1) {
      // a tie: order tied items by pool position (rare with real-valued scores, so a scan is fine)
      const pos = positives[k]!;
      for (let i = 0; i < pos; i++) if (scores[i] === s) equalBefore++;
    }
    ranks[k] = greater[j]! + equalBefore + 1;
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
