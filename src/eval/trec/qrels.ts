import { readFileSync } from 'node:fs';
import { trecFields } from './fields.js';

/** qid → (docid → grade), in order of first appearance. */
export type Qrels = Map<string, Map<string, number>>;

/**
 * Parses TREC qrels: `qid iter docid grade` per line, whitespace separated (MIRACL's .tsv qrels are the same).
 * Blank lines are skipped. A malformed line or a document judged twice for a query is an error naming the line.
 */
export function parseQrels(text: string, source = 'qrels'): Qrels {
  const qrels: Qrels = new Map();
  for (const { f, where } of trecFields(text, source, ['qid', 'iter', 'docid', 'grade'])) {
    const grade = Number(f[3]);
    if (!Number.isInteger(grade)) throw new Error(`${where}: grade '${f[3]}' is not an integer`);
    let q = qrels.get(f[0]!);
    if (!q) qrels.set(f[0]!, (q = new Map()));
    if (q.has(f[2]!)) throw new Error(`${where}: document '${f[2]}' is judged twice for query '${f[0]}'`);
    q.set(f[2]!, grade);
  }
  return qrels;
}

export function readQrels(path: string): Qrels {
  return parseQrels(readFileSync(path, 'utf8'), path);
}

/** Formats qrels in TREC layout (`qid 0 docid grade`), queries and documents in map order. */
export function formatQrels(qrels: Qrels): string {
  const out: string[] = [];
  for (const [qid, docs] of qrels) for (const [d, g] of docs) out.push(`${qid} 0 ${d} ${g}`);
  return out.length ? `${out.join('\n')}\n` : '';
}
