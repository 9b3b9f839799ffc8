import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseQrels, type Qrels } from '../trec/qrels.js';

/**
 * A retrieval test collection in BEIR's sense: queries, graded judgements, and a corpus to search (a JSONL file,
 * or document vectors in an embeddings file). The generic BEIR folder and the adapters (Mr.TyDi, XOR-TyDi) all
 * produce one, so the `beir` task runs them alike.
 */
export interface BeirDataset {
  /** Dataset name in results and run file names (e.g. `scifact-test`, `mrtydi-v1.1-sw-test`). */
  name: string;
  /** Query language (ISO 639-1), for seen / unseen averages. */
  language: string;
  /** The judgement split (`test`, `dev`, ...). */
  split: string;
  /** qid → text, in file order: only queries that have judgements, as BEIR's loader keeps them. */
  queries: Map<string, string>;
  /** Judgements (TREC: qid → docid → grade). Adapters without graded qrels (XOR-TyDi) judge the run instead. */
  qrels: Qrels;
  /** XOR-TyDi: answer strings per query; retrieved passages are judged by them (see src/eval/tasks/xorTydi.ts). */
  answers?: Map<string, string[]>;
  /** The corpus file, when one is known (the folder's own, or `--corpus`). */
  corpus?: string;
  /** What to give when the corpus is missing (for the error message). */
  corpusHint: string;
  /** Data files read (for fingerprints). */
  files: string[];
  /** The metrics reported unless others are asked for. */
  defaultMetrics: string[];
}

/** One BEIR-style dataset's scores (one dataset per results file). */
export interface BeirResults {
  dataset: string;
  language: string;
  /** Means over every judged query (trec_eval -c), keyed by metric name as requested. */
  metrics: Record<string, number>;
  perQuery: { qids: string[]; values: Record<string, number[]> };
  numQueries: number;
  /** Retrieval depth of the run. */
  k: number;
  /** The TREC run written (with --run-dir), scored exactly as `polyret score --complete` scores it. */
  runFile?: string;
  /** Where the passages came from: a corpus file, or the embeddings file's `d/` rows. */
  corpus: { source: 'file' | 'embeddings'; path: string; documents: number };
  /** BEIR drops a document whose id equals the query's (ArguAna, Quora): so do we, when true. */
  ignoreIdenticalIds: boolean;
  /**
   * XOR-TyDi: the judgements made from the answers (every retrieved passage, 1 when it holds an answer, else 0),
   * written in TREC format so `polyret score --qrels FILE --run RUN --complete` gives the trec metrics above.
   */
  answerQrelsFile?: string;
}

/** BEIR's defaults, and MS MARCO's dev-set measure. */
export const BEIR_DEFAULT_METRICS = ['nDCG@10', 'R@100'];
export const MSMARCO_DEV_METRICS = ['RR@10', 'nDCG@10', 'R@100'];

/**
 * Reads BEIR's `qrels/<split>.tsv`: a header line (`query-id corpus-id score`) then `qid<TAB>docid<TAB>grade`.
 * A line that is not three fields, or a grade that is not an integer, is an error naming the line.
 */
export function parseBeirQrels(text: string, file: string): Qrels {
  const lines = text.split('\n');
  const trec: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const f = line.split('\t');
    if (i === 0 && /^query[-_ ]?id$/i.test(f[0]!.trim())) return;
    if (f.length !== 3) throw new Error(`${file}:${i + 1}: expected 'query-id<TAB>corpus-id<TAB>score', got ${f.length} field(s)`);
    const [q, d, g] = f.map((x) => x.trim()) as [string, string, string];
    if (!q || !d || /\s/.test(q) || /\s/.test(d)) throw new Error(`${file}:${i + 1}: query and document ids must be non-empty words`);
    if (!/^-?\d+$/.test(g)) throw new Error(`${file}:${i + 1}: score '${g}' is not an integer`);
    // Kept in TREC layout so one parser (and one duplicate check) serves both formats.
    trec.push(`${q} 0 ${d} ${g}`);
  });
  return parseQrels(trec.join('\n'), file);
}

/** Reads BEIR's `queries.jsonl` (`{"_id", "text"}` per line; `metadata` ignored) into qid → text. */
export function parseBeirQueries(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    const r = o as Record<string, unknown>;
    const id = r?._id;
    if (!(typeof id === 'string' && id.length > 0) && typeof id !== 'number') throw new Error(`${file}:${i + 1}: field '_id' must be a non-empty string or number`);
    if (typeof r.text !== 'string') throw new Error(`${file}:${i + 1}: field 'text' must be a string`);
    if (out.has(String(id))) throw new Error(`${file}:${i + 1}: query '${String(id)}' appears twice`);
    out.set(String(id), r.text);
  });
  return out;
}

/**
 * A BEIR folder: `corpus.jsonl` or `corpus.jsonl.gz`, `queries.jsonl`, `qrels/<split>.tsv`. Queries without
 * judgements in the split are dropped, as BEIR's GenericDataLoader drops them; a judged query missing from
 * queries.jsonl is an error. MS MARCO's dev split (a folder named like `msmarco`) reports RR@10 first.
 */
export function loadBeirFolder(dir: string, split = 'test', opts: { corpus?: string; language?: string } = {}): BeirDataset {
  if (!existsSync(dir)) throw new Error(`BEIR folder not found: ${dir} (expected corpus.jsonl[.gz], queries.jsonl and qrels/<split>.tsv)`);
  const queriesFile = join(dir, 'queries.jsonl');
  const qrelsFile = join(dir, 'qrels', `${split}.tsv`);
  for (const f of [queriesFile, qrelsFile]) if (!existsSync(f)) throw new Error(`BEIR file not found: ${f} (a BEIR folder holds corpus.jsonl[.gz], queries.jsonl and qrels/<split>.tsv)`);
  const qrels = parseBeirQrels(readFileSync(qrelsFile, 'utf8'), qrelsFile);
  const all = parseBeirQueries(readFileSync(queriesFile, 'utf8'), queriesFile);
  const queries = new Map<string, string>();
  for (const qid of qrels.keys()) {
    const t = all.get(qid);
    if (t === undefined) throw new Error(`${qrelsFile}: query '${qid}' is judged but not in ${queriesFile}`);
    queries.set(qid, t);
  }
  const own = ['corpus.jsonl', 'corpus.jsonl.gz'].map((f) => join(dir, f)).find((f) => existsSync(f));
  const name = `${basename(dir)}-${split}`;
  const msmarco = /msmarco/i.test(basename(dir)) && split === 'dev';
  return {
    name,
    language: opts.language ?? 'en',
    split,
    queries,
    qrels,
    ...(opts.corpus ?? own ? { corpus: opts.corpus ?? own } : {}),
    corpusHint: `${join(dir, 'corpus.jsonl')} (BEIR JSONL: _id, title, text; .gz accepted), or --corpus FILE, or the document vectors (ids d/<docid>) in --embeddings`,
    files: [queriesFile, qrelsFile],
    defaultMetrics: msmarco ? MSMARCO_DEV_METRICS : BEIR_DEFAULT_METRICS,
  };
}
