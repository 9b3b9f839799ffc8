import { Progress } from '../../util/progress.js';
import { averagePrecisionFromRanks, rankDistance, rankPositives, recallFromRanks, type PositiveRanks } from '../metrics/poolRanking.js';
import type { LareqaDataset, LareqaLanguage } from './lareqaData.js';

export type SettingKind = 'mono' | 'cross' | 'multi';

/** Per-query values of one setting, parallel arrays keyed by metric name; `qids` are the shared question ids. */
export interface PerQuery {
  qids: string[];
  values: Record<string, number[]>;
}

export interface SettingResult {
  kind: SettingKind;
  /** Query language. */
  query: string;
  /** Pool language, or 'all' for the multilingual pool. */
  pool: string;
  numQueries: number;
  poolSize: number;
  /** Means over the setting's queries: mAP, R@k..., mAP@k..., and rankDistance for multi. */
  metrics: Record<string, number>;
  perQuery: PerQuery;
}

export interface LareqaOptions {
  /** Recall cutoffs (default 1 and 10, as in the paper). */
  recallAt?: number[];
  /** Extra mAP@k cutoffs (threshold semantics: tie groups ending within k). */
  mapAt?: number[];
  /** Queries scored per block (bounds memory: block × total pool × 4 bytes). */
  blockSize?: number;
  progress?: boolean;
}

/**
 * Supplies scores: for `lang`'s queries [start, end), a row-major Float32Array [(end − start) × total], one row per
 * query over the candidates of every dataset language concatenated in dataset order. Embeddings, TF-IDF, or a
 * cross-encoder: the protocol does not care.
 */
export type ScoreBlock = (lang: LareqaLanguage, start: number, end: number) => Float32Array;

export interface LareqaSummaryGroup {
  settings: number;
  metrics: Record<string, number>;
}

export interface LareqaResults {
  task: string;
  languages: string[];
  poolSizes: Record<string, number>;
  queryCounts: Record<string, number>;
  settings: SettingResult[];
  /** Macro averages over the settings of each kind. */
  summary: Record<SettingKind, LareqaSummaryGroup>;
  /** mAP of X→Y (rows: query language, columns: pool language; diagonal = monolingual). */
  matrix: { languages: string[]; mAP: number[][] };
  /** Language bias: mean rank distance per query language (multilingual pool), their macro average and maximum. */
  rankDistance: { perLanguage: Record<string, number>; macro: number; max: number };
  /** The relevance rule used, and per language the questions where the `start` and `overlap` rules differ. */
  relevance?: { rule: string; differing: Record<string, number> };
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : 0;
};

/**
 * Runs LAReQA's protocol: monolingual X→X, cross-lingual X→Y (X ≠ Y) and multilingual X→all, every pool scored in
 * full. A query takes part in X→Y only when its question id exists in Y (MLQA-R questions exist in 2–4 languages);
 * in X→all every language's answer sentences for that id are relevant. Metrics per query: mAP with
 * scikit-learn's tie semantics, R@k (ties ordered by pool position), mAP@k; in the multilingual pool also the
 * rank distance between the lowest- and highest-ranked relevant sentence.
 */
export function evaluateLareqa(ds: LareqaDataset, score: ScoreBlock, opts: LareqaOptions = {}): LareqaResults {
  const recallKs = opts.recallAt ?? [1, 10];
  const mapKs = opts.mapAt ?? [];
  const block = opts.blockSize ?? 256;
  const langs = ds.languages;
  const offsets: number[] = [];
  let total = 0;
  for (const l of langs) {
    offsets.push(total);
    total += l.candidates.length;
  }
  const answersByLang = langs.map((l) => new Map(l.questions.map((q) => [q.qid, q.answers])));
  const metricNames = ['mAP', ...recallKs.map((k) => `R@${k}`), ...mapKs.map((k) => `mAP@${k}`)];

  const newPerQuery = (multi: boolean): PerQuery => ({
    qids: [],
    values: Object.fromEntries([...metricNames, ...(multi ? ['rankDistance'] : [])].map((m) => [m, [] as number[]])),
  });
  const record = (pq: PerQuery, qid: string, r: PositiveRanks, multi: boolean) => {
    pq.qids.push(qid);
    pq.values.mAP!.push(averagePrecisionFromRanks(r));
    for (const k of recallKs) pq.values[`R@${k}`]!.push(recallFromRanks(r, k));
    for (const k of mapKs) pq.values[`mAP@${k}`]!.push(averagePrecisionFromRanks(r, k));
    if (multi) pq.values.rankDistance!.push(rankDistance(r));
  };

  const settings: SettingResult[] = [];
  const totalQueries = langs.reduce((s, l) => s + l.questions.length, 0);
  const progress = new Progress({ total: totalQueries, label: `${ds.task}`, unit: 'q', enabled: opts.progress ?? undefined });
  for (let x = 0; x < langs.length; x++) {
    const X = langs[x]!;
    const perPool = langs.map(() => newPerQuery(false));
    const multi = newPerQuery(true);
    for (let start = 0; start < X.questions.length; start += block) {
      const end = Math.min(X.questions.length, start + block);
      const scores = score(X, start, end);
      if (scores.length !== (end - start) * total) {
        throw new Error(`scorer returned ${scores.length} scores for ${end - start} ${X.lang} queries × ${total} candidates`);
      }
      for (let i = start; i < end; i++) {
        const q = X.questions[i]!;
        const row = scores.subarray((i - start) * total, (i - start + 1) * total);
        const all: number[] = [];
        for (let y = 0; y < langs.length; y++) {
          const ans = answersByLang[y]!.get(q.qid);
          if (!ans) continue;
          for (const a of ans) all.push(offsets[y]! + a);
          const seg = row.subarray(offsets[y]!, offsets[y]! + langs[y]!.candidates.length);
          record(perPool[y]!, q.qid, rankPositives(seg, ans), false);
        }
        record(multi, q.qid, rankPositives(row, all), true);
      }
      progress.tick(end - start, X.lang);
    }
    const summarize = (kind: SettingKind, pool: string, poolSize: number, pq: PerQuery): SettingResult => ({
      kind,
      query: X.lang,
      pool,
      numQueries: pq.qids.length,
      poolSize,
      metrics: Object.fromEntries(Object.entries(pq.values).map(([m, v]) => [m, mean(v)])),
      perQuery: pq,
    });
    langs.forEach((Y, y) => settings.push(summarize(x === y ? 'mono' : 'cross', Y.lang, Y.candidates.length, perPool[y]!)));
    settings.push(summarize('multi', 'all', total, multi));
  }
  progress.finish();

  const group = (kind: SettingKind): LareqaSummaryGroup => {
    const ss = settings.filter((s) => s.kind === kind);
    const names = kind === 'multi' ? [...metricNames, 'rankDistance'] : metricNames;
    return { settings: ss.length, metrics: Object.fromEntries(names.map((m) => [m, mean(ss.map((s) => s.metrics[m]!))])) };
  };
  const perLanguage: Record<string, number> = {};
  for (const s of settings) if (s.kind === 'multi') perLanguage[s.query] = s.metrics.rankDistance!;
  const rd = Object.values(perLanguage);
  return {
    task: ds.task,
    languages: langs.map((l) => l.lang),
    poolSizes: Object.fromEntries(langs.map((l) => [l.lang, l.candidates.length])),
    queryCounts: Object.fromEntries(langs.map((l) => [l.lang, l.questions.length])),
    settings,
    summary: { mono: group('mono'), cross: group('cross'), multi: group('multi') },
    matrix: {
      languages: langs.map((l) => l.lang),
      mAP: langs.map((X) => langs.map((Y) => settings.find((s) => s.kind !== 'multi' && s.query === X.lang && s.pool === Y.lang)!.metrics.mAP!)),
    },
    rankDistance: { perLanguage, macro: mean(rd), max: rd.length ? Math.max(...rd) : 0 },
  };
}
