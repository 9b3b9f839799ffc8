import type { JudgedRanking } from './judgedRanking.js';
import { averagePrecision } from './averagePrecision.js';
import { thresholdAveragePrecision } from './thresholdAveragePrecision.js';
import { ndcgAt } from './ndcg.js';
import { recallAt } from './recall.js';
import { precisionAt, rPrecision } from './precision.js';
import { reciprocalRank } from './reciprocalRank.js';

/**
 * How tied scores are treated. `trec`: ties broken by docid descending, every document its own rank (trec_eval).
 * `threshold`: AP and AP@k treat a group of tied scores as one step (scikit-learn's average_precision_score,
 * LAReQA's mAP); the rank-based metrics keep trec_eval's order, since a cutoff needs a single order.
 */
export type TiesMode = 'trec' | 'threshold';

export type MetricKind = 'AP' | 'nDCG' | 'R' | 'P' | 'RR' | 'Rprec';

/** A metric as named on the command line: `AP`, `AP@20`, `nDCG@10`, `R@100`, `P@10`, `RR`, `RR@10`, `Rprec`. */
export interface MetricSpec {
  name: string;
  kind: MetricKind;
  k?: number;
}

const NEEDS_K: ReadonlySet<MetricKind> = new Set(['nDCG', 'R', 'P']);
const NO_K: ReadonlySet<MetricKind> = new Set(['Rprec']);
const KINDS: Record<string, MetricKind> = { ap: 'AP', map: 'AP', ndcg: 'nDCG', r: 'R', recall: 'R', p: 'P', rr: 'RR', mrr: 'RR', rprec: 'Rprec' };

/** Parses a metric name; the name is kept exactly as written so output keys match the request. */
export function parseMetric(name: string): MetricSpec {
  const m = /^([A-Za-z]+)(?:@(\d+))?$/.exec(name.trim());
  const kind = m ? KINDS[m[1]!.toLowerCase()] : undefined;
  if (!m || !kind) {
    throw new Error(`unknown metric '${name}': expected AP, AP@k, nDCG@k, R@k, P@k, RR, RR@k or Rprec`);
  }
  const k = m[2] === undefined ? undefined : Number(m[2]);
  if (k !== undefined && !(k >= 1)) throw new Error(`metric '${name}': the cutoff must be a positive integer`);
  if (NEEDS_K.has(kind) && k === undefined) throw new Error(`metric '${name}' needs a cutoff, e.g. ${kind}@10`);
  if (NO_K.has(kind) && k !== undefined) throw new Error(`metric '${name}' takes no cutoff`);
  return k === undefined ? { name, kind } : { name, kind, k };
}

/** The value of one metric for one judged ranking. */
export function computeMetric(spec: MetricSpec, r: JudgedRanking, ties: TiesMode = 'trec'): number {
  switch (spec.kind) {
    case 'AP':
      return ties === 'threshold' ? thresholdAveragePrecision(r, spec.k) : averagePrecision(r, spec.k);
    case 'nDCG':
      return ndcgAt(r, spec.k!);
    case 'R':
      return recallAt(r, spec.k!);
    case 'P':
      return precisionAt(r, spec.k!);
    case 'RR':
      return reciprocalRank(r, spec.k);
    case 'Rprec':
      return rPrecision(r);
  }
}
