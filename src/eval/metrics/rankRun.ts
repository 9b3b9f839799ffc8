import { compareDocids } from './compareDocids.js';

/** One retrieved document of one query: its id and the score the system gave it. */
export interface Scored {
  docid: string;
  score: number;
}

/**
 * Orders a query's results as trec_eval does (form_res_rels.c, `comp_sim_docno`): score descending,
 * ties broken by docid descending in byte order. The rank field of a run file is ignored, as in trec_eval.
 */
export function rankTrec<T extends Scored>(results: readonly T[]): T[] {
  return [...results].sort((x, y) => (x.score > y.score ? -1 : x.score < y.score ? 1 : compareDocids(y.docid, x.docid)));
}
