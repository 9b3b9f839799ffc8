import type { JudgedRanking } from './judgedRanking.js';

/** Reciprocal rank as trec_eval's `recip_rank`: 1 ÷ rank of the first relevant document, 0 when none is retrieved. */
export function reciprocalRank(r: JudgedRanking): number {
  for (let i = 0; i < r.grades.length; i++) if (r.grades[i]! >= r.relevanceLevel) return 1 / (i + 1);
  return 0;
}
