import type { JudgedRanking } from './judgedRanking.js';

/**
 * nDCG@k as trec_eval's `ndcg_cut.k`: linear gain (the grade itself), discount log2(rank + 1), DCG over the
 * first k retrieved documents divided by the DCG of the ideal ordering of all judged positive grades cut at k.
 * Grades that are positive count as gain even below the relevance level (trec_eval does the same).
 * 0 when the query has no positively graded document.
 */
export function ndcgAt(r: JudgedRanking, k: number): number {
  const n = Math.min(r.grades.length, k);
  let dcg = 0;
  for (let i = 0; i < n; i++) {
    const g = r.grades[i]!;
    if (g > 0) dcg += g / Math.log2(i + 2);
  }
  const m = Math.min(r.idealGains.length, k);
  let ideal = 0;
  for (let i = 0; i < m; i++) ideal += r.idealGains[i]! / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : 0;
}
