import type { JudgedRanking } from './judgedRanking.js';

/**
 * Reciprocal rank as trec_eval's `recip_rank`: 1 ÷ rank of the first relevant document, 0 when none is retrieved.
 * With `k` (RR@k, MS MARCO's MRR@10), only the first k count: trec_eval's `recip_rank` on a run cut at k (`-M k`).
 */
export function reciprocalRank(r: JudgedRanking, k = Infinity): number {
  const n = Math.min(r.grades.length, k);
  for (let i = 0; i < n; i++) if (r.grades[i]! >= r.relevanceLevel) return 1 / (i + 1);
  return 0;
}
