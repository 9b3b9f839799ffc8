import type { Qrels } from '../trec/qrels.js';
import type { Run } from '../trec/run.js';
import { judgeRanking } from './judgedRanking.js';
import { computeMetric, parseMetric, type MetricSpec, type TiesMode } from './metricSpec.js';
import { rankTrec } from './rankRun.js';

export interface ScoreOptions {
  ties?: TiesMode;
  /** Average over every query in the qrels, a missing run counting 0 (trec_eval -c). Default: queries in both. */
  complete?: boolean;
  /** trec_eval's -l: the lowest grade that counts as relevant (default 1). */
  relevanceLevel?: number;
}

export interface ScoreResult {
  /** Mean of each metric, keyed by the metric name as requested. */
  metrics: Record<string, number>;
  /** Per-query values, in qrels order of first appearance. */
  perQuery: Record<string, Record<string, number>>;
  /** Queries averaged over. */
  numQueries: number;
}

/**
 * Scores a run against qrels the way trec_eval does: only queries present in the qrels are evaluated (results
 * for other queries are ignored); without `complete` the mean is over queries that are in both, with it over all
 * qrels queries, a query without results scoring 0 everywhere. A query whose qrels hold no relevant document
 * is still evaluated (AP, recall, nDCG 0), as trec_eval does.
 */
export function scoreRun(qrels: Qrels, run: Run, metricNames: readonly (string | MetricSpec)[], opts: ScoreOptions = {}): ScoreResult {
  const specs = metricNames.map((m) => (typeof m === 'string' ? parseMetric(m) : m));
  const ties = opts.ties ?? 'trec';
  const perQuery: Record<string, Record<string, number>> = {};
  const sums = new Float64Array(specs.length);
  let evaluated = 0;
  for (const [qid, judged] of qrels) {
    const results = run.get(qid);
    if (!results && !opts.complete) continue;
    const ranking = judgeRanking(rankTrec(results ?? []), judged, opts.relevanceLevel ?? 1);
    const values: Record<string, number> = {};
    specs.forEach((s, i) => {
      const v = computeMetric(s, ranking, ties);
      values[s.name] = v;
      sums[i]! += v;
    });
    perQuery[qid] = values;
    evaluated++;
  }
  const metrics: Record<string, number> = {};
  specs.forEach((s, i) => {
    metrics[s.name] = evaluated > 0 ? sums[i]! / evaluated : 0;
  });
  return { metrics, perQuery, numQueries: evaluated };
}
