import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { inputError } from '../../util/inputFile.js';
import { join } from 'node:path';
import { dataDir } from '../../util/dataDir.js';
import { parseQrels, type Qrels } from '../trec/qrels.js';
import type { Run, RunEntry } from '../trec/run.js';
import { scoreRun, type ScoreResult } from '../metrics/scoreRun.js';
import { ExactTopK } from '../search/exactTopK.js';
import type { Device } from '../../tensor/index.js';

/** MIRACL v1.0 dev languages (topics and qrels in `<data>/miracl/dev`). */
export const MIRACL_LANGUAGES = ['ar', 'bn', 'de', 'en', 'es', 'fa', 'fi', 'fr', 'hi', 'id', 'ja', 'ko', 'ru', 'sw', 'te', 'th', 'yo', 'zh'] as const;

export interface MiraclTopics {
  lang: string;
  /** qid → question, in file order. */
  topics: Map<string, string>;
  qrels: Qrels;
  files: string[];
}

/** Loads one language's dev topics (`qid<TAB>question`) and qrels (TREC format). */
export function loadMiraclDev(lang: string, dir = dataDir()): MiraclTopics {
  if (!(MIRACL_LANGUAGES as readonly string[]).includes(lang)) {
    throw new Error(`MIRACL has no dev language '${lang}' (it has ${MIRACL_LANGUAGES.join(', ')})`);
  }
  const topicsFile = join(dir, 'miracl', 'dev', `topics.miracl-v1.0-${lang}-dev.tsv`);
  const qrelsFile = join(dir, 'miracl', 'dev', `qrels.miracl-v1.0-${lang}-dev.tsv`);
  for (const f of [topicsFile, qrelsFile]) if (!existsSync(f)) throw new Error(`MIRACL file not found: ${f}`);
  const topics = new Map<string, string>();
  readFileSync(topicsFile, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new Error(`${topicsFile}:${i + 1}: expected 'qid<TAB>question'`);
    const qid = line.slice(0, tab);
    if (topics.has(qid)) throw new Error(`${topicsFile}:${i + 1}: query '${qid}' appears twice`);
    topics.set(qid, line.slice(tab + 1).trim());
  });
  return { lang, topics, qrels: parseQrels(readFileSync(qrelsFile, 'utf8'), qrelsFile), files: [topicsFile, qrelsFile] };
}

export interface MiraclPassage {
  docid: string;
  title: string;
  text: string;
}

/**
 * Streams a MIRACL corpus in its JSONL format (`{"docid", "title", "text"}` per line; `.gz` is decompressed).
 * A malformed line is an error naming the file and line.
 */
export async function* readMiraclCorpus(path: string): AsyncGenerator<MiraclPassage> {
  const file = createReadStream(path);
  let input: NodeJS.ReadableStream = file;
  if (path.endsWith('.gz')) {
    const gz = createGunzip();
    // pipe() does not forward the file's errors (ENOENT, EISDIR) to the gunzip stream readline listens to.
    file.on('error', (e) => gz.destroy(e));
    input = file.pipe(gz);
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (err) {
        throw new CorpusLineError(`${path}:${n}: not JSON: ${(err as Error).message}`);
      }
      const o = obj as Record<string, unknown>;
      for (const field of ['docid', 'title', 'text'] as const) {
        if (typeof o?.[field] !== 'string') throw new CorpusLineError(`${path}:${n}: field '${field}' must be a string`);
      }
      yield { docid: o.docid as string, title: o.title as string, text: o.text as string };
    }
  } catch (err) {
    if (err instanceof CorpusLineError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file|incorrect header|invalid/i.test(e.message)) {
      throw new Error(`${path}: the gzip data is ${/unexpected end/i.test(e.message) ? 'truncated' : 'corrupt'} after line ${n} (${e.message}${e.code ? `, ${e.code}` : ''})`);
    }
    throw inputError(path, err, 'corpus');
  } finally {
    file.destroy();
  }
}

/** A malformed corpus line (its message already names file and line). */
class CorpusLineError extends Error {}

/** The passage text an encoder sees (MIRACL's convention: title and text). */
export function passageText(p: MiraclPassage): string {
  return p.title ? `${p.title} ${p.text}` : p.text;
}

export interface MiraclRunOptions {
  /** Documents kept per query (default 100, what R@100 needs). */
  k?: number;
  similarity?: 'ip' | 'cosine';
  device?: Device;
}

/**
 * Retrieves with exact top-k over a streamed corpus: `chunks` yields (docids, vectors [n × D]) in any sizes; memory
 * stays at one chunk plus the running top-k. Returns a TREC run (qid → top-k documents with scores).
 */
export async function retrieveRun(
  qids: readonly string[],
  queries: Float32Array,
  dim: number,
  chunks: AsyncIterable<{ docids: readonly string[]; vectors: Float32Array }> | Iterable<{ docids: readonly string[]; vectors: Float32Array }>,
  opts: MiraclRunOptions = {},
): Promise<Run> {
  const k = opts.k ?? 100;
  const search = new ExactTopK(queries, dim, { k, similarity: opts.similarity ?? 'ip', device: opts.device ?? 'cpu' });
  const docids: string[] = [];
  try {
    for await (const c of chunks) {
      if (c.vectors.length !== c.docids.length * dim) throw new Error(`corpus chunk: ${c.vectors.length} values for ${c.docids.length} documents × ${dim}`);
      search.add(c.vectors);
      for (const d of c.docids) docids.push(d);
    }
    const res = search.result();
    const run: Run = new Map();
    qids.forEach((qid, i) => {
      const entries: RunEntry[] = [];
      for (let j = 0; j < res.k; j++) entries.push({ docid: docids[res.indices[i * res.k + j]!]!, score: res.scores[i * res.k + j]! });
      run.set(qid, entries);
    });
    return run;
  } finally {
    search.dispose();
  }
}

/** MIRACL's metrics on a run: nDCG@10 and R@100, trec_eval semantics, averaged over every judged query (-c). */
export function scoreMiracl(topics: MiraclTopics, run: Run, metrics: readonly string[] = ['nDCG@10', 'R@100']): ScoreResult {
  return scoreRun(topics.qrels, run, metrics, { complete: true });
}
