import { basename, join, resolve } from 'node:path';
import { normalizeRows } from '../search/innerProductsJs.js';
import { vectors } from '../vectorSource.js';
import { languageSeen, splitAverages, type SeenUnseen } from '../seenUnseen.js';
import { retrieveRun } from '../tasks/miracl.js';
import { loadBeirFolder, type BeirDataset, type BeirResults } from '../tasks/beir.js';
import { documentText, readCorpus } from '../tasks/beirCorpus.js';
import { loadMrTydi } from '../tasks/mrtydi.js';
import { answerInTokenBudget, loadXorTydiDev, passageHasAnswer, tokenRecallBudget } from '../tasks/xorTydi.js';
import { rankTrec } from '../metrics/rankRun.js';
import { formatQrels } from '../trec/qrels.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import type { Qrels } from '../trec/qrels.js';
import { scoreRun } from '../metrics/scoreRun.js';
import { parseMetric } from '../metrics/metricSpec.js';
import { writeRun, type Run } from '../trec/run.js';
import { sha256File } from '../fingerprint.js';
import { embeddingChunks, encodeDocuments } from './corpusChunks.js';
import type { RunnerContext } from './context.js';

/** The dataset an `--dataset` value names: `mrtydi`, or a BEIR folder. */
export function resolveBeirDataset(opts: { dataset?: string; languages?: string[]; split?: string; corpus?: string }, dir: string): BeirDataset {
  const ds = opts.dataset;
  if (!ds) throw new Error("the beir task needs a dataset: a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) or 'mrtydi'");
  const langs = opts.languages ?? [];
  if (langs.length > 1) throw new Error(`the beir task scores one language per results file; got ${langs.join(', ')} (run once per language)`);
  if (ds === 'xor-tydi') {
    if (langs.length !== 1) throw new Error('--dataset xor-tydi needs one --lang (ar, bn, fi, ja, ko, ru, te)');
    if (opts.split && opts.split !== 'dev') throw new Error(`XOR-TyDi XOR-Retrieve is evaluated on dev only (got --split ${opts.split})`);
    return loadXorTydiDev(langs[0]!, dir, opts.corpus);
  }
  if (ds === 'mrtydi') {
    if (langs.length !== 1) throw new Error("--dataset mrtydi needs one --lang (ar, bn, en, fi, id, ja, ko, ru, sw, te, th)");
    return loadMrTydi(langs[0]!, opts.split ?? 'test', dir, opts.corpus);
  }
  return loadBeirFolder(ds, opts.split ?? 'test', { ...(opts.corpus ? { corpus: opts.corpus } : {}), ...(langs[0] ? { language: langs[0] } : {}) });
}

/** Each query's results in trec_eval's order (score descending, docid descending on ties). */
function rankedEntries(run: Run): [string, { docid: string; score: number }[]][] {
  return [...run].map(([qid, entries]) => [qid, rankTrec(entries)]);
}

/** The texts of every document in the run, from a second pass over the corpus (bounded by queries × k). */
async function passageTexts(corpus: string, run: Run): Promise<Map<string, string>> {
  const need = new Set<string>();
  for (const entries of run.values()) for (const e of entries) need.add(e.docid);
  const texts = new Map<string, string>();
  for await (const d of readCorpus(corpus)) if (need.has(d.docid)) texts.set(d.docid, d.text);
  const missing = [...need].filter((d) => !texts.has(d));
  if (missing.length) throw new Error(`${corpus}: ${missing.length} retrieved document(s) are not in the corpus, e.g. '${missing.slice(0, 3).join("', '")}' (the embeddings and the corpus must hold the same passages)`);
  return texts;
}

/** Drops retrieved documents whose id is the query's own (BEIR's ignore_identical_ids). */
function dropIdentical(run: Run): Run {
  for (const [qid, entries] of run) run.set(qid, entries.filter((e) => e.docid !== qid));
  return run;
}

/**
 * A BEIR-style dataset end to end: query vectors, exact top-k over the streamed corpus (file or embeddings), the
 * run scored with trec_eval semantics and `-c` averaging, the run written as a TREC file.
 */
export async function runBeir(ctx: RunnerContext): Promise<{ files: string[]; extraSha256: Record<string, string>; beir: BeirResults; seenUnseen?: SeenUnseen }> {
  const { opts, dim, similarity } = ctx;
  const ds = resolveBeirDataset(opts, ctx.dir);
  const metrics = opts.metrics && opts.metrics.length ? opts.metrics : ds.defaultMetrics;
  const budgets = metrics.filter((m) => tokenRecallBudget(m) !== undefined);
  if (budgets.length && !ds.answers) throw new Error(`${budgets.join(', ')}: token-budget answer recall needs answer strings (XOR-TyDi); ${ds.name} has qrels`);
  const specs = metrics.filter((m) => tokenRecallBudget(m) === undefined).map(parseMetric);
  const deepest = Math.max(0, ...specs.map((s) => s.k ?? 0));
  const k = opts.k ?? Math.max(100, deepest);
  if (deepest > k) throw new Error(`metric cutoffs go to ${deepest} but the run is cut at k = ${k}: raise k`);
  const ignoreIdenticalIds = opts.ignoreIdenticalIds ?? true;
  Object.assign(ctx.config, { dataset: ds.name, language: ds.language, split: ds.split, metrics, k, averaging: 'trec_eval -c', ignoreIdenticalIds });

  const src = opts.source;
  let corpus: BeirResults['corpus'];
  let chunks;
  const extraSha256: Record<string, string> = {};
  if (src.kind === 'embeddings' && (!opts.corpus || ds.answers)) {
    corpus = { source: 'embeddings', path: resolve(src.file.path), documents: src.file.ids.filter((i) => i.startsWith('d/')).length };
    if (corpus.documents === 0) throw new Error(`${src.file.path}: no document vectors (ids d/<docid>) for ${ds.name}; supply ${ds.corpusHint}`);
    chunks = embeddingChunks(src.file);
  } else {
    if (!ds.corpus) throw new Error(`${ds.name}: no corpus to search; supply ${ds.corpusHint}`);
    if (src.kind === 'embeddings') throw new Error('--corpus is encoded with a model: give --model DIR with it, or put the document vectors (d/<docid>) in the embeddings file');
    const path = ds.corpus;
    const counted: BeirResults['corpus'] = { source: 'file', path: resolve(path), documents: 0 };
    async function* docs() {
      for await (const d of readCorpus(path)) {
        counted.documents++;
        yield { docid: d.docid, text: documentText(d) };
      }
    }
    chunks = encodeDocuments(src, docs(), basename(path));
    corpus = counted;
    extraSha256[`corpus:${basename(path)}`] = sha256File(path);
  }
  const qids = [...ds.queries.keys()];
  let q = await vectors(src, qids.map((x) => `q/${x}`), () => [...ds.queries.values()], 'query', 'query');
  if (similarity === 'cosine') q = normalizeRows(q, dim);
  let run = await retrieveRun(qids, q, dim, chunks, { k, similarity, device: ctx.device });
  if (ignoreIdenticalIds) run = dropIdentical(run);
  let qrels = ds.qrels;
  const tokenRecall: Record<string, Record<string, number>> = {};
  if (ds.answers) {
    if (!ds.corpus) throw new Error(`${ds.name}: the answers are matched in the passages' text; supply ${ds.corpusHint}`);
    const texts = await passageTexts(ds.corpus, run);
    qrels = new Map();
    for (const [qid, entries] of rankedEntries(run)) {
      const ans = ds.answers.get(qid)!;
      qrels.set(qid, new Map(entries.map((e) => [e.docid, passageHasAnswer(ans, texts.get(e.docid)!) ? 1 : 0])));
      const ranked = entries.map((e) => texts.get(e.docid)!);
      tokenRecall[qid] = Object.fromEntries(budgets.map((m) => [m, answerInTokenBudget(ans, ranked, tokenRecallBudget(m)!)]));
    }
  }
  const scored = scoreRun(qrels, run, specs, { complete: true });
  const tag = ctx.name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'polyret';
  let runFile: string | undefined;
  let answerQrelsFile: string | undefined;
  if (opts.runDir) {
    runFile = join(opts.runDir, `run.${ds.name}.${tag}.txt`);
    writeRun(runFile, run, tag);
    if (ds.answers) {
      answerQrelsFile = join(opts.runDir, `qrels.${ds.name}.answers.${tag}.txt`);
      writeFileAtomic(answerQrelsFile, formatQrels(qrels));
    }
  }
  if (ds.answers) {
    for (const [qid, v] of Object.entries(tokenRecall)) scored.perQuery[qid] = { ...(scored.perQuery[qid] ?? {}), ...v };
    for (const m of budgets) scored.metrics[m] = Object.values(tokenRecall).reduce((a, v) => a + v[m]!, 0) / Math.max(1, ds.queries.size);
  }
  const order = Object.keys(scored.perQuery);
  const beir: BeirResults = {
    dataset: ds.name,
    language: ds.language,
    metrics: Object.fromEntries(metrics.map((m) => [m, scored.metrics[m]!])),
    perQuery: { qids: order, values: Object.fromEntries(metrics.map((m) => [m, order.map((id) => scored.perQuery[id]![m]!)])) },
    numQueries: scored.numQueries,
    k,
    ...(runFile ? { runFile } : {}),
    corpus,
    ignoreIdenticalIds,
    ...(answerQrelsFile ? { answerQrelsFile } : {}),
  };
  if (!ctx.trainingLanguages) return { files: ds.files, extraSha256, beir };
  const tl = ctx.trainingLanguages;
  return {
    files: ds.files,
    extraSha256,
    beir,
    seenUnseen: {
      trainingLanguages: tl,
      rule: "the dataset's query language is seen when it is a training language (primary subtags compared)",
      groups: { languages: splitAverages([{ name: ds.language, seen: languageSeen(ds.language, tl), metrics: beir.metrics }]) },
    },
  };
}
