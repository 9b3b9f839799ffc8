import type { JudgedRanking } from './judgedRanking.js';
import { relevantInFirst } from './recall.js';

/** P@k as trec_eval's `P.k`: relevant documents in the first k ÷ k, even when fewer than k were retrieved. */
export function precisionAt(r: JudgedRanking, k: number): number {
  return relevantInFirst(r, k) / k;
}

/**
 * R-precision as trec_eval's `Rprec`: relevant documents in the first R ÷ R, R = number of relevant documents.
 * 0 when R is 0 or nothing was retrieved.
 */
export function rPrecision(r: JudgedRanking): number {
  if (r.numRel === 0 || r.grades.length === 0) return 0;
  return relevantInFirst(r, r.numRel) / r.numRel;
}
