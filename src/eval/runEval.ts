import { basename, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { dataDir } from '../util/dataDir.js';
import type { Device } from '../tensor/index.js';
import { declaredSimilarity } from '../models/declaredSimilarity.js';
import { readTrainingLanguages } from '../models/trainingLanguages.js';
import { fingerprintFiles, listFiles, sha256File } from './fingerprint.js';
import type { EvalResults, EvalTask } from './results.js';
import type { CandidateText, Relevance } from './tasks/lareqaData.js';
import { dimOf, type VectorSource } from './vectorSource.js';
import type { RunnerContext } from './runners/context.js';
import { runLareqa } from './runners/lareqaRunner.js';
import { runMiracl } from './runners/miraclRunner.js';
import { runTatoeba } from './runners/tatoebaRunner.js';
import { runBeir } from './runners/beirRunner.js';

export type { VectorSource } from './vectorSource.js';
export { embeddingChunks } from './runners/corpusChunks.js';

export interface EvalOptions {
  task: EvalTask;
  /**
   * Languages: LAReQA / MIRACL codes; Tatoeba: LASER codes or ISO 639-1 (default XTREME's 36). Default: all of the
   * task's.
   */
  languages?: string[];
  source: VectorSource;
  name?: string;
  /** Default: ip (inner product), except Tatoeba, which is cosine by definition (XTREME). */
  similarity?: 'ip' | 'cosine';
  candidateText?: CandidateText;
  /** XQuAD-R / MLQA-R: which sentences are relevant (default `start`, XTREME's rule). */
  relevance?: Relevance;
  mapAt?: number[];
  device?: Device;
  /**
   * MIRACL / BEIR: the passages (JSONL, `.gz` accepted), needed with a model unless the BEIR folder has its own;
   * with embeddings the documents come from the file (ids `d/<docid>`).
   */
  corpus?: string;
  /** MIRACL / BEIR: write the TREC run files here. */
  runDir?: string;
  /** BEIR: a BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv), or an adapter: `mrtydi`, `xor-tydi`. */
  dataset?: string;
  /** BEIR: the qrels split (default `test`; XOR-TyDi: `dev`). */
  split?: string;
  /** BEIR: metrics in `polyret score` names (default nDCG@10 and R@100; MS MARCO dev RR@10; Mr.TyDi adds RR@100). */
  metrics?: string[];
  /** BEIR: retrieval depth (default max(100, the deepest metric cutoff)). */
  k?: number;
  /** BEIR: drop a retrieved document whose id equals the query id (BEIR's ignore_identical_ids; default true). */
  ignoreIdenticalIds?: boolean;
  /**
   * The model's training languages, for seen / unseen averages. Default: read from the model folder
   * (`polyret_training.json`, see src/models/trainingLanguages.ts) when the source is a model.
   */
  trainingLanguages?: string[];
  progress?: boolean;
  /** How a model source runs, recorded in the results' config (default libtorch; `--runtime onnx`: the graph file). */
  runtime?: { name: 'onnx'; file: string };
}

/** Runs one evaluation task end to end and returns the results document (not yet written). */
export async function runEval(opts: EvalOptions): Promise<EvalResults> {
  const dir = dataDir();
  // Tatoeba is defined by cosine (XTREME). Elsewhere a model folder's declared similarity (sentence-transformers'
  // similarity_fn_name, what training optimised: polyret saves 'cosine') comes before the inner product, so
  // `eval --model` scores a model as its trainer did; embeddings files carry no such field and get ip.
  const declared = opts.source.kind === 'model' && opts.task !== 'tatoeba' ? declaredSimilarity(opts.source.dir) : undefined;
  const similarity = opts.similarity ?? declared ?? (opts.task === 'tatoeba' ? 'cosine' : 'ip');
  const device = opts.device ?? 'cpu';
  const name = opts.name ?? basename(opts.source.kind === 'embeddings' ? opts.source.file.path : opts.source.dir).replace(/\.safetensors$/, '');
  const trainingLanguages = opts.trainingLanguages ?? (opts.source.kind === 'model' ? readTrainingLanguages(opts.source.dir) : undefined);
  const config: Record<string, unknown> = { task: opts.task, similarity, device, languages: opts.languages ?? 'all' };
  if (opts.source.kind === 'model') config.runtime = opts.runtime ?? { name: 'libtorch' };
  const base: Omit<EvalResults, 'data'> = {
    format: 'polyret-eval-results',
    version: 1,
    name,
    task: opts.task,
    createdAt: new Date().toISOString(),
    config,
    model:
      opts.source.kind === 'embeddings'
        ? { source: 'embeddings', path: resolve(opts.source.file.path), sha256: { [basename(opts.source.file.path)]: sha256File(opts.source.file.path) } }
        : { source: 'model', path: resolve(opts.source.dir), sha256: fingerprintFiles(listFiles(opts.source.dir), opts.source.dir) },
  };
  const ctx: RunnerContext = { opts, dir, similarity, device, dim: dimOf(opts.source), name, config, ...(trainingLanguages ? { trainingLanguages } : {}) };
  const data = (files: string[], extra: Record<string, string> = {}) => ({ dir, sha256: { ...fingerprintFiles(files, dir), ...extra } });

  switch (opts.task) {
    case 'xquad-r':
    case 'mlqa-r': {
      const { files, ...rest } = await runLareqa(ctx, opts.task);
      return { ...base, data: data(files), ...rest };
    }
    case 'miracl': {
      const { files, extraSha256, ...rest } = await runMiracl(ctx);
      return { ...base, data: data(files, extraSha256), ...rest };
    }
    case 'tatoeba': {
      const { files, ...rest } = await runTatoeba(ctx);
      return { ...base, data: data(files), ...rest };
    }
    case 'beir': {
      const { files, extraSha256, ...rest } = await runBeir(ctx);
      return { ...base, data: data(files, extraSha256), ...rest };
    }
    default:
      throw new Error(`unknown evaluation task '${String(opts.task)}'`);
  }
}

/** Whether a path is a readable model directory (for the CLI's error message). */
export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
