import { createHash } from 'node:crypto';
import { DenseScorer } from '../eval/search/denseScorer.js';
import { candidateText, loadLareqa, type LareqaDataset } from '../eval/tasks/lareqaData.js';
import { evaluateLareqa, type LareqaResults } from '../eval/tasks/lareqaProtocol.js';
import type { SentenceEncoder } from '../models/index.js';
import { Progress } from '../util/progress.js';
import type { TrainConfig } from './config.js';

type RetrievalConfig = NonNullable<TrainConfig['retrievalEval']>;

/**
 * The LAReQA set used during training: every candidate of every language (the full pools, as the
 * protocol requires), and a subset of the questions chosen by a hash of the question id, so that
 * the same questions are kept in every language they exist in and X→Y settings stay meaningful.
 */
export function loadRetrievalSet(rc: RetrievalConfig): LareqaDataset {
  const ds = loadLareqa(rc.task, rc.languages);
  if (rc.maxQuestions === null) return ds;
  const max = rc.maxQuestions;
  const langsOf = new Map<string, number[]>();
  ds.languages.forEach((l, li) => {
    for (const q of l.questions) {
      const arr = langsOf.get(q.qid) ?? [];
      arr.push(li);
      langsOf.set(q.qid, arr);
    }
  });
  const hash = (s: string) => createHash('sha256').update(s).digest('hex');
  const order = [...langsOf.keys()].map((q) => ({ q, h: hash(q) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const counts = ds.languages.map(() => 0);
  const kept = new Set<string>();
  for (const { q } of order) {
    const ls = langsOf.get(q)!;
    if (ls.every((l) => counts[l]! < max)) {
      kept.add(q);
      for (const l of ls) counts[l]! += 1;
    }
  }
  return { task: ds.task, languages: ds.languages.map((l) => ({ ...l, questions: l.questions.filter((q) => kept.has(q.qid)) })) };
}

/**
 * Encodes the set with the model (cosine similarity, the config's prefixes and lengths) and runs the LAReQA protocol.
 * Always in fp32, whatever training.precision is: runs in either precision are scored alike, and on a CPU without
 * native bf16 a bf16 encoding of the full pools would take ~10× longer (`polyret eval --precision bf16` scores
 * bf16 inference).
 */
export function evaluateRetrieval(model: SentenceEncoder, ds: LareqaDataset, c: TrainConfig, opts: { progress?: boolean } = {}): LareqaResults {
  const rc = c.retrievalEval!;
  const cands = ds.languages.flatMap((l) => l.candidates.map((x) => candidateText(x, rc.candidateText)));
  const total = cands.length + ds.languages.reduce((n, l) => n + l.questions.length, 0);
  const progress = new Progress({ total, label: `encode ${ds.task}`, unit: 'text', enabled: opts.progress });
  const batchSize = 64;
  const cv = model.encode(cands, { prefix: c.model.prefixes.passage, maxLength: c.model.maxPassageLength, normalize: true, batchSize, progress });
  const qv = new Map<string, Float32Array>();
  for (const l of ds.languages) {
    const r = model.encode(l.questions.map((q) => q.text), { prefix: c.model.prefixes.query, maxLength: c.model.maxQueryLength, normalize: true, batchSize, progress });
    qv.set(l.lang, r.vectors);
  }
  progress.finish();
  const dim = cv.dim;
  const scorer = new DenseScorer(cv.vectors, dim, model.device);
  try {
    return evaluateLareqa(ds, (lang, start, end) => scorer.scores(qv.get(lang.lang)!.subarray(start * dim, end * dim)), { progress: false });
  } finally {
    scorer.dispose();
  }
}

/** The paper's headline numbers of one evaluation. */
export interface RetrievalSummary {
  step: number;
  label: string;
  task: string;
  /** Macro mAP; null when the setting kind has no settings (cross-lingual with one language). */
  mono: number | null;
  cross: number | null;
  multi: number | null;
  rankDistance: number;
  /** The full LareqaResults as JSON (per-setting metrics, X→Y matrix), when written. */
  file?: string;
}

export function retrievalSummary(r: LareqaResults, step: number, label: string): RetrievalSummary {
  return {
    step,
    label,
    task: r.task,
    mono: r.summary.mono.metrics.mAP ?? null,
    cross: r.summary.cross.metrics.mAP ?? null,
    multi: r.summary.multi.metrics.mAP ?? null,
    rankDistance: r.rankDistance.macro,
  };
}
