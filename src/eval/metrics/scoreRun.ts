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

/**
 * What trec_eval refuses: empty qrels, an empty run, or no query in both (a run of another collection, or ids
 * written differently). Scoring would print 0 and look like a result; this throws, naming both files.
 */
export function checkScorable(qrels: Qrels, run: Run, qrelsPath: string, runPath: string): void {
  if (qrels.size === 0) throw new Error(`${qrelsPath}: no judgements (empty qrels); nothing to score`);
  if (run.size === 0) throw new Error(`${runPath}: no results (empty run); nothing to score`);
  let both = 0;
  for (const q of qrels.keys()) if (run.has(q)) both++;
  if (both === 0) {
    const first = (m: Map<string, unknown>) => [...m.keys()].slice(0, 3).map((q) => `'${q.length > 40 ? `${q.slice(0, 40)}…` : q}'`).join(', ');
    throw new Error(`no query is in both ${qrelsPath} (${qrels.size} queries, e.g. ${first(qrels)}) and ${runPath} (${run.size} queries, e.g. ${first(run)}); nothing to score`);
  }
}
