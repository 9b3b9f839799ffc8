import type { JudgedRanking } from './judgedRanking.js';

/**
 * Average precision as trec_eval's `map` (and `map_cut.k` when `k` is given): the sum of precision at the
 * rank of each relevant retrieved document (within the first k), divided by the number of relevant documents
 * in the qrels — relevant documents never retrieved count as precision 0. 0 when the query has no relevant document.
 */
export function averagePrecision(r: JudgedRanking, k = Infinity): number {
  if (r.numRel === 0) return 0;
  const n = Math.min(r.grades.length, k);
  let found = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (r.grades[i]! >= r.relevanceLevel) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / r.numRel;
}
