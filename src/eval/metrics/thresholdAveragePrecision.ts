import type { JudgedRanking } from './judgedRanking.js';

/**
 * Average precision with tied scores forming one threshold step, as scikit-learn's `average_precision_score`
 * (and LAReQA's mAP): AP = Σ_t (R_t − R_{t−1}) · P_t over the distinct scores t, where P_t and R_t count every
 * document scoring ≥ t. Equivalently each relevant document contributes, divided by numRel, the precision of the
 * set of documents scoring at least as high as it (ties included). Unretrieved relevant documents contribute 0, so
 * on a full pool this is exactly scikit-learn's value; 0 when there is nothing relevant (scikit-learn also gives 0).
 *
 * With `k`, only tie groups that end within the first k ranks contribute: a group straddling the cutoff has no
 * single position, and leaving it out keeps AP@k a lower bound of AP.
 *
 * `r` must be ranked by score descending (ties in any order).
 */
export function thresholdAveragePrecision(r: JudgedRanking, k = Infinity): number {
  if (r.numRel === 0) return 0;
  const { grades, scores, relevanceLevel } = r;
  const n = grades.length;
  let sum = 0;
  let relSoFar = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let relInGroup = 0;
    while (j < n && scores[j] === scores[i]) {
      if (grades[j]! >= relevanceLevel) relInGroup++;
      j++;
    }
    if (j > k) break;
    relSoFar += relInGroup;
    if (relInGroup > 0) sum += (relInGroup * relSoFar) / j;
    i = j;
  }
  return sum / r.numRel;
}

/**
 * scikit-learn's `average_precision_score(labels, scores)` on a full pool given as parallel arrays, without
 * sorting: for each positive, precision = (#positives scoring ≥ it) / (#items scoring ≥ it). O(n · log p) for
 * n items and p positives, which is what makes full-pool mAP over 13,000-candidate multilingual pools cheap.
 */
export function poolAveragePrecision(scores: ArrayLike<number>, positives: readonly number[]): number {
  const p = positives.length;
  if (p === 0) return 0;
  const t = positives.map((i) => scores[i]!).sort((a, b) => b - a);
  // atLeast[j] = number of items scoring ≥ t[j]; counted by bucketing every score among the sorted thresholds.
  const bucket = new Float64Array(p);
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (s < t[p - 1]!) continue;
    let lo = 0;
    let hi = p - 1;
    // first j with t[j] ≤ s
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid]! <= s) hi = mid;
      else lo = mid + 1;
    }
    bucket[lo]!++;
  }
  let sum = 0;
  let atLeast = 0;
  for (let j = 0; j < p; j++) {
    atLeast += bucket[j]!;
    // positives scoring ≥ t[j]: every positive whose threshold is ≥ t[j] (ties included)
    let posAtLeast = j + 1;
    while (posAtLeast < p && t[posAtLeast] === t[j]) posAtLeast++;
    // tied thresholds: every item scoring t[j] went to the first of the tied indices, so atLeast is already complete
    sum += posAtLeast / atLeast;
  }
  return sum / p;
}
