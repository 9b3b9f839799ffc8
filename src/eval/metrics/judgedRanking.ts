/** Relevance judgements of one query: docid → grade (0 = judged non-relevant; negative = in pool, unjudged). */
export type QueryQrels = ReadonlyMap<string, number>;

/** Relevance value trec_eval gives a retrieved document that is not in the qrels. */
export const NOT_JUDGED = -1;

/**
 * A ranked result list seen through the qrels: what every metric needs, computed once per query.
 * `relevanceLevel` is trec_eval's `-l` (default 1): grades at or above it count as relevant.
 */
export interface JudgedRanking {
  /** Grade of the document at each rank (0-based), NOT_JUDGED when it is not in the qrels. */
  grades: Int32Array;
  /** Scores at each rank, for the tie-aware (threshold) metrics. */
  scores: Float64Array;
  /** Number of relevant documents in the qrels (grade ≥ relevanceLevel), retrieved or not. */
  numRel: number;
  /** Positive grades of all judged documents, sorted descending: the ideal ranking for nDCG. */
  idealGains: Float64Array;
  relevanceLevel: number;
}

/**
 * Builds the judged view of an already ranked list. `ranked` must be in final rank order
 * (see rankTrec); duplicates are an error, as in trec_eval.
 */
export function judgeRanking(
  ranked: readonly { docid: string; score: number }[],
  qrels: QueryQrels | undefined,
  relevanceLevel = 1,
): JudgedRanking {
  const grades = new Int32Array(ranked.length);
  const scores = new Float64Array(ranked.length);
  const seen = new Set<string>();
  for (let i = 0; i < ranked.length; i++) {
    const r = ranked[i]!;
    if (seen.has(r.docid)) throw new Error(`duplicate document '${r.docid}' in one query's results`);
    seen.add(r.docid);
    const g = qrels?.get(r.docid);
    grades[i] = g === undefined ? NOT_JUDGED : g;
    scores[i] = r.score;
  }
  let numRel = 0;
  const positive: number[] = [];
  if (qrels) {
    for (const g of qrels.values()) {
      if (g >= relevanceLevel) numRel++;
      if (g > 0) positive.push(g);
    }
  }
  positive.sort((a, b) => b - a);
  return { grades, scores, numRel, idealGains: Float64Array.from(positive), relevanceLevel };
}
