import { quoteExcerpt } from '../../util/quote.js';
import { readInputText } from '../../util/inputFile.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { rankTrec } from '../metrics/rankRun.js';
import { trecFields } from './fields.js';

export interface RunEntry {
  docid: string;
  score: number;
}

/** qid → retrieved documents (in file order; rank them with rankTrec). */
export type Run = Map<string, RunEntry[]>;

/**
 * Parses a TREC run: `qid Q0 docid rank score tag` per line. The rank field is checked to be an integer but
 * otherwise ignored (trec_eval re-ranks by score). A document listed twice for one query is an error, as in trec_eval.
 */
export function parseRun(text: string, source = 'run'): Run {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  for (const { f, where } of trecFields(text, source, ['qid', 'Q0', 'docid', 'rank', 'score', 'tag'])) {
    const [qid, , docid, rank, scoreText] = f as [string, string, string, string, string];
    if (!/^-?\d+$/.test(rank)) throw new Error(`${where}: rank ${quoteExcerpt(rank)} is not an integer`);
    const score = Number(scoreText);
    if (scoreText === '' || !Number.isFinite(score)) throw new Error(`${where}: score ${quoteExcerpt(scoreText)} is not a finite number`);
    let docs = seen.get(qid);
    if (!docs) seen.set(qid, (docs = new Set()));
    if (docs.has(docid)) throw new Error(`${where}: document ${quoteExcerpt(docid)} is listed twice for query ${quoteExcerpt(qid)}`);
    docs.add(docid);
    let list = run.get(qid);
    if (!list) run.set(qid, (list = []));
    list.push({ docid, score });
  }
  return run;
}

export function readRun(path: string): Run {
  return parseRun(readInputText(path, 'run'), path);
}

/**
 * Formats a run in TREC format, each query's results ordered by score descending (ties: docid descending, the
 * order trec_eval will use), ranks from 1. Scores are written with enough digits to round-trip a float64, so
 * trec_eval sees exactly our ties.
 */
export function formatRun(run: ReadonlyMap<string, readonly RunEntry[]>, tag = 'polyret'): string {
  if (/\s/.test(tag) || tag === '') throw new Error(`run tag '${tag}' must be one non-empty word`);
  const out: string[] = [];
  for (const [qid, entries] of run) {
    rankTrec(entries).forEach((e, i) => out.push(`${qid} Q0 ${e.docid} ${i + 1} ${String(e.score)} ${tag}`));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export function writeRun(path: string, run: ReadonlyMap<string, readonly RunEntry[]>, tag = 'polyret'): void {
  writeFileAtomic(path, formatRun(run, tag));
}
