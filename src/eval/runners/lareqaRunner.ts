import { DenseScorer } from '../search/denseScorer.js';
import { normalizeRows } from '../search/innerProductsJs.js';
import { vectors } from '../vectorSource.js';
import { languageSeen, splitAverages, type SeenUnseen } from '../seenUnseen.js';
import { candidateText, loadLareqa, type LareqaTask } from '../tasks/lareqaData.js';
import { evaluateLareqa, type LareqaResults } from '../tasks/lareqaProtocol.js';
import type { RunnerContext } from './context.js';

/** XQuAD-R / MLQA-R end to end: candidate and question vectors, full-pool scores, LAReQA's settings. */
export async function runLareqa(ctx: RunnerContext, task: LareqaTask): Promise<{ files: string[]; lareqa: LareqaResults; seenUnseen?: SeenUnseen }> {
  const { opts, dim, similarity } = ctx;
  const mode = opts.candidateText ?? 'sentence';
  const relevance = opts.relevance ?? 'start';
  Object.assign(ctx.config, { candidateText: mode, relevance, mapAt: opts.mapAt ?? [], recallAt: [1, 10] });
  const ds = loadLareqa(task, opts.languages, ctx.dir, { relevance });
  const cands = ds.languages.flatMap((l) => l.candidates);
  const cvec = await vectors(opts.source, cands.map((c) => c.id), () => cands.map((c) => candidateText(c, mode)), 'passage', 'candidate');
  const qvecs = new Map<string, Float32Array>();
  for (const l of ds.languages) {
    const q = await vectors(opts.source, l.questions.map((x) => x.id), () => l.questions.map((x) => x.text), 'query', 'question');
    qvecs.set(l.lang, similarity === 'cosine' ? normalizeRows(q, dim) : q);
  }
  const scorer = new DenseScorer(similarity === 'cosine' ? normalizeRows(cvec, dim) : cvec, dim, ctx.device);
  let lareqa: LareqaResults;
  try {
    lareqa = evaluateLareqa(ds, (lang, start, end) => scorer.scores(qvecs.get(lang.lang)!.subarray(start * dim, end * dim)), {
      mapAt: opts.mapAt,
      progress: opts.progress,
    });
  } finally {
    scorer.dispose();
  }
  lareqa.relevance = { rule: relevance, differing: Object.fromEntries(ds.languages.map((l) => [l.lang, l.rulesDiffer])) };
  const files = ds.languages.map((l) => l.file);
  if (!ctx.trainingLanguages) return { files, lareqa };
  const tl = ctx.trainingLanguages;
  const groups: SeenUnseen['groups'] = {};
  for (const kind of ['mono', 'cross', 'multi'] as const) {
    groups[kind] = splitAverages(
      lareqa.settings
        .filter((s) => s.kind === kind)
        .map((s) => ({
          name: `${s.query}→${s.pool}`,
          seen: languageSeen(s.query, tl) && (s.pool === 'all' || languageSeen(s.pool, tl)),
          metrics: s.metrics,
        })),
    );
  }
  return {
    files,
    lareqa,
    seenUnseen: {
      trainingLanguages: tl,
      rule: 'X→Y is seen when both X and Y are training languages, unseen when either is not; X→all (multilingual pool) is seen when the query language X is',
      groups,
    },
  };
}
