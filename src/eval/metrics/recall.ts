import type { JudgedRanking } from './judgedRanking.js';

/** Recall@k as trec_eval's `recall.k`: relevant documents in the first k ÷ all relevant documents; 0 when there are none. */
export function recallAt(r: JudgedRanking, k: number): number {
  if (r.numRel === 0) return 0;
  return relevantInFirst(r, k) / r.numRel;
}

/** Relevant documents among the first k retrieved. */
export function relevantInFirst(r: JudgedRanking, k: number): number {
  const n = Math.min(r.grades.length, k);
  let found = 0;
  for (let i = 0; i < n; i++) if (r.grades[i]! >= r.relevanceLevel) found++;
  return found;
}
