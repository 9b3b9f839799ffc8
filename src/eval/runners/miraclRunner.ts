import { basename, join, resolve } from 'node:path';
import { normalizeRows } from '../search/innerProductsJs.js';
import { vectors } from '../vectorSource.js';
import { languageSeen, splitAverages, type SeenUnseen } from '../seenUnseen.js';
import { loadMiraclDev, retrieveRun, scoreMiracl, MIRACL_LANGUAGES } from '../tasks/miracl.js';
import { writeRun } from '../trec/run.js';
import { sha256File } from '../fingerprint.js';
import type { MiraclLanguageResult, MiraclResults } from '../results.js';
import { embeddingChunks, encodedChunks } from './corpusChunks.js';
import type { RunnerContext } from './context.js';

/** MIRACL dev end to end: per language, exact top-100 over the streamed corpus, nDCG@10 and R@100 (trec_eval -c). */
export async function runMiracl(ctx: RunnerContext): Promise<{ files: string[]; extraSha256: Record<string, string>; miracl: MiraclResults; seenUnseen?: SeenUnseen }> {
  const { opts, dim, similarity } = ctx;
  const langs = opts.languages && opts.languages.length ? opts.languages : [...MIRACL_LANGUAGES];
  if (opts.source.kind === 'model' && !opts.corpus) throw new Error('MIRACL with --model needs --corpus FILE (MIRACL JSONL: docid, title, text)');
  if (langs.length > 1 && opts.corpus) throw new Error("--corpus holds one language's passages: give exactly one --lang with it");
  Object.assign(ctx.config, { languages: langs, k: 100, metrics: ['nDCG@10', 'R@100'], averaging: 'trec_eval -c', corpus: opts.corpus ? resolve(opts.corpus) : null });
  const files: string[] = [];
  const perLanguage: Record<string, MiraclLanguageResult> = {};
  for (const lang of langs) {
    const topics = loadMiraclDev(lang, ctx.dir);
    files.push(...topics.files);
    const qids = [...topics.topics.keys()];
    const src = opts.source;
    let q = await vectors(src, qids.map((x) => `q/${x}`), () => [...topics.topics.values()], 'query', 'query');
    if (similarity === 'cosine') q = normalizeRows(q, dim);
    const chunks = src.kind === 'embeddings' ? embeddingChunks(src.file) : encodedChunks(src, opts.corpus!);
    const run = await retrieveRun(qids, q, dim, chunks, { k: 100, similarity, device: ctx.device });
    const scored = scoreMiracl(topics, run);
    let runFile: string | undefined;
    if (opts.runDir) {
      runFile = join(opts.runDir, `run.miracl-v1.0-${lang}-dev.${ctx.name}.txt`);
      writeRun(runFile, run, ctx.name.replace(/\s+/g, '_') || 'polyret');
    }
    const order = Object.keys(scored.perQuery);
    perLanguage[lang] = {
      numQueries: scored.numQueries,
      metrics: scored.metrics,
      perQuery: { qids: order, values: Object.fromEntries(Object.keys(scored.metrics).map((m) => [m, order.map((id) => scored.perQuery[id]![m]!)])) },
      ...(runFile ? { runFile } : {}),
    };
  }
  const names = ['nDCG@10', 'R@100'];
  const macro = Object.fromEntries(names.map((m) => [m, langs.reduce((s, l) => s + perLanguage[l]!.metrics[m]!, 0) / langs.length]));
  const miracl: MiraclResults = { languages: langs, perLanguage, macro };
  const extraSha256: Record<string, string> = opts.corpus ? { [`corpus:${basename(opts.corpus)}`]: sha256File(opts.corpus) } : {};
  if (!ctx.trainingLanguages) return { files, extraSha256, miracl };
  const tl = ctx.trainingLanguages;
  return {
    files,
    extraSha256,
    miracl,
    seenUnseen: {
      trainingLanguages: tl,
      rule: 'a MIRACL language is seen when it is a training language (primary subtags compared)',
      groups: { languages: splitAverages(langs.map((l) => ({ name: l, seen: languageSeen(l, tl), metrics: perLanguage[l]!.metrics }))) },
    },
  };
}
