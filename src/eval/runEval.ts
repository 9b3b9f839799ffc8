import { basename, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { dataDir } from '../util/dataDir.js';
import { Progress } from '../util/progress.js';
import type { Device } from '../tensor/index.js';
import { EmbeddingsFile } from './embeddings.js';
import { type Encoder, packRows } from './encoder.js';
import { fingerprintFiles, listFiles, sha256File } from './fingerprint.js';
import type { EvalResults, MiraclLanguageResult, MiraclResults } from './results.js';
import { candidateText, loadLareqa, type CandidateText, type LareqaTask } from './tasks/lareqaData.js';
import { evaluateLareqa } from './tasks/lareqaProtocol.js';
import { loadMiraclDev, passageText, readMiraclCorpus, retrieveRun, scoreMiracl, MIRACL_LANGUAGES } from './tasks/miracl.js';
import { DenseScorer } from './search/denseScorer.js';
import { normalizeRows } from './search/innerProductsJs.js';
import { writeRun } from './trec/run.js';
import { join } from 'node:path';

/** Where vectors come from: a precomputed embeddings file, or a model encoder. */
export type VectorSource = { kind: 'embeddings'; file: EmbeddingsFile } | { kind: 'model'; dir: string; encoder: Encoder; batchSize: number };

export interface EvalOptions {
  task: LareqaTask | 'miracl';
  languages?: string[];
  source: VectorSource;
  name?: string;
  similarity?: 'ip' | 'cosine';
  candidateText?: CandidateText;
  mapAt?: number[];
  device?: Device;
  /** MIRACL: the passages (JSONL), needed with a model; with embeddings the docs come from the file. */
  corpus?: string;
  /** MIRACL: write one TREC run per language here. */
  runDir?: string;
  progress?: boolean;
  /** How a model source runs, recorded in the results' config (default libtorch; `--runtime onnx`: the graph file). */
  runtime?: { name: 'onnx'; file: string };
}

async function vectors(src: VectorSource, ids: string[], texts: () => string[], kind: 'query' | 'passage', what: string): Promise<Float32Array> {
  if (src.kind === 'embeddings') return src.file.gather(ids, what);
  const t = texts();
  const rows: Float32Array[] = [];
  const bar = new Progress({ total: t.length, label: `encode ${what}s`, unit: 'text' });
  for (let i = 0; i < t.length; i += src.batchSize) {
    const batch = t.slice(i, i + src.batchSize);
    rows.push(...(await src.encoder.encode(batch, kind)));
    bar.tick(batch.length);
  }
  bar.finish();
  return packRows(rows, src.encoder.dim, what);
}

const dimOf = (src: VectorSource) => (src.kind === 'embeddings' ? src.file.dim : src.encoder.dim);

/** Runs one evaluation task end to end and returns the results document (not yet written). */
export async function runEval(opts: EvalOptions): Promise<EvalResults> {
  const dir = dataDir();
  const similarity = opts.similarity ?? 'ip';
  const dim = dimOf(opts.source);
  const device = opts.device ?? 'cpu';
  const dataFiles: string[] = [];
  const config: Record<string, unknown> = { task: opts.task, similarity, device, languages: opts.languages ?? 'all' };
  if (opts.source.kind === 'model') config.runtime = opts.runtime ?? { name: 'libtorch' };
  const base: Omit<EvalResults, 'lareqa' | 'miracl' | 'data'> = {
    format: 'polyret-eval-results',
    version: 1,
    name: opts.name ?? basename(opts.source.kind === 'embeddings' ? opts.source.file.path : opts.source.dir).replace(/\.safetensors$/, ''),
    task: opts.task,
    createdAt: new Date().toISOString(),
    config,
    model:
      opts.source.kind === 'embeddings'
        ? { source: 'embeddings', path: resolve(opts.source.file.path), sha256: { [basename(opts.source.file.path)]: sha256File(opts.source.file.path) } }
        : { source: 'model', path: resolve(opts.source.dir), sha256: fingerprintFiles(listFiles(opts.source.dir), opts.source.dir) },
  };

  if (opts.task !== 'miracl') {
    const mode = opts.candidateText ?? 'sentence';
    Object.assign(config, { candidateText: mode, mapAt: opts.mapAt ?? [], recallAt: [1, 10] });
    const ds = loadLareqa(opts.task, opts.languages, dir);
    for (const l of ds.languages) dataFiles.push(l.file);
    const cands = ds.languages.flatMap((l) => l.candidates);
    const cvec = await vectors(opts.source, cands.map((c) => c.id), () => cands.map((c) => candidateText(c, mode)), 'passage', 'candidate');
    const qvecs = new Map<string, Float32Array>();
    for (const l of ds.languages) {
      const q = await vectors(opts.source, l.questions.map((x) => x.id), () => l.questions.map((x) => x.text), 'query', 'question');
      qvecs.set(l.lang, similarity === 'cosine' ? normalizeRows(q, dim) : q);
    }
    const scorer = new DenseScorer(similarity === 'cosine' ? normalizeRows(cvec, dim) : cvec, dim, device);
    try {
      const lareqa = evaluateLareqa(ds, (lang, start, end) => scorer.scores(qvecs.get(lang.lang)!.subarray(start * dim, end * dim)), {
        mapAt: opts.mapAt,
        progress: opts.progress,
      });
      return { ...base, data: { dir, sha256: fingerprintFiles(dataFiles, dir) }, lareqa };
    } finally {
      scorer.dispose();
    }
  }

  // MIRACL
  const langs = opts.languages && opts.languages.length ? opts.languages : [...MIRACL_LANGUAGES];
  if (opts.source.kind === 'model' && !opts.corpus) throw new Error('MIRACL with --model needs --corpus FILE (MIRACL JSONL: docid, title, text)');
  if (langs.length > 1 && opts.corpus) throw new Error('--corpus holds one language\'s passages: give exactly one --lang with it');
  Object.assign(config, { k: 100, metrics: ['nDCG@10', 'R@100'], averaging: 'trec_eval -c', corpus: opts.corpus ? resolve(opts.corpus) : null });
  const perLanguage: Record<string, MiraclLanguageResult> = {};
  for (const lang of langs) {
    const topics = loadMiraclDev(lang, dir);
    dataFiles.push(...topics.files);
    const qids = [...topics.topics.keys()];
    const src = opts.source;
    let q = await vectors(src, qids.map((x) => `q/${x}`), () => [...topics.topics.values()], 'query', 'query');
    if (similarity === 'cosine') q = normalizeRows(q, dim);
    const chunks = src.kind === 'embeddings' ? embeddingChunks(src.file) : encodedChunks(src, opts.corpus!);
    const run = await retrieveRun(qids, q, dim, chunks, { k: 100, similarity, device });
    const scored = scoreMiracl(topics, run);
    let runFile: string | undefined;
    if (opts.runDir) {
      runFile = join(opts.runDir, `run.miracl-v1.0-${lang}-dev.${base.name}.txt`);
      writeRun(runFile, run, base.name.replace(/\s+/g, '_') || 'polyret');
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
  const files = [...dataFiles];
  const data = { dir, sha256: fingerprintFiles(files, dir) };
  if (opts.corpus) data.sha256[`corpus:${basename(opts.corpus)}`] = sha256File(opts.corpus);
  return { ...base, data, miracl };
}

/** The document rows (`d/<docid>`) of an embeddings file, in chunks of at most 65,536 rows. */
export function* embeddingChunks(file: EmbeddingsFile, rows = 65536): Generator<{ docids: string[]; vectors: Float32Array }> {
  const dim = file.dim;
  for (let start = 0; start < file.rows; start += rows) {
    const end = Math.min(file.rows, start + rows);
    const block = file.readRows(start, end);
    const docids: string[] = [];
    const keepRows: number[] = [];
    for (let i = start; i < end; i++) {
      const id = file.ids[i]!;
      if (id.startsWith('d/')) {
        docids.push(id.slice(2));
        keepRows.push(i - start);
      }
    }
    if (docids.length === 0) continue;
    if (docids.length === end - start) {
      yield { docids, vectors: block };
      continue;
    }
    const v = new Float32Array(docids.length * dim);
    keepRows.forEach((r, j) => v.set(block.subarray(r * dim, (r + 1) * dim), j * dim));
    yield { docids, vectors: v };
  }
}

async function* encodedChunks(src: Extract<VectorSource, { kind: 'model' }>, corpus: string): AsyncGenerator<{ docids: string[]; vectors: Float32Array }> {
  const bar = new Progress({ label: `encode ${basename(corpus)}`, unit: 'doc' });
  let docids: string[] = [];
  let texts: string[] = [];
  const flush = async () => {
    const v = packRows(await src.encoder.encode(texts, 'passage'), src.encoder.dim, 'passage');
    const out = { docids, vectors: v };
    bar.tick(docids.length);
    docids = [];
    texts = [];
    return out;
  };
  for await (const p of readMiraclCorpus(corpus)) {
    docids.push(p.docid);
    texts.push(passageText(p));
    if (docids.length >= src.batchSize * 16) yield await flush();
  }
  if (docids.length) yield await flush();
  bar.finish();
}

/** Whether a path is a readable model directory (for the CLI's error message). */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
