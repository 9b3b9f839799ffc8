import { averagePrecisionFromRanks, rankPositives } from './poolRanking.js';
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
 * scikit-learn's `average_precision_score(labels, scores)` on a full pool given as scores and the indices of the
 * positives, without sorting (see rankPositives).
 */
export function poolAveragePrecision(scores: Float32Array | Float64Array | readonly number[], positives: readonly number[]): number {
  return averagePrecisionFromRanks(rankPositives(scores, positives));
}
