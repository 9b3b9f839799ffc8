import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readQrels } from '../trec/qrels.js';
import { BEIR_DEFAULT_METRICS, type BeirDataset } from './beir.js';

/** Mr.TyDi v1.1 languages (topics and qrels in `<data>/mrtydi`, from Anserini). */
export const MRTYDI_LANGUAGES = ['ar', 'bn', 'en', 'fi', 'id', 'ja', 'ko', 'ru', 'sw', 'te', 'th'] as const;
export const MRTYDI_SPLITS = ['train', 'dev', 'test'] as const;

/**
 * Mr.TyDi v1.1 as a BEIR-style dataset: topics `topics.mrtydi-v1.1-<lang>.<split>.txt.gz` (`qid<TAB>question`) and
 * TREC qrels `qrels.mrtydi-v1.1-<lang>.<split>.txt`. The corpus (the language's Wikipedia passages, Mr.TyDi JSONL
 * `{docid, title, text}` from castorini/mr-tydi-corpus) is not shipped: give it with `--corpus`, or the passage
 * vectors in the embeddings file. `<data>/mrtydi/sample_docs/<lang>.corpus.jsonl.gz` holds 4 passages per language
 * for tests. Only judged queries are kept (all topics are judged in v1.1).
 */
export function loadMrTydi(lang: string, split: string, dir: string, corpus?: string): BeirDataset {
  if (!(MRTYDI_LANGUAGES as readonly string[]).includes(lang)) throw new Error(`Mr.TyDi has no language '${lang}' (it has ${MRTYDI_LANGUAGES.join(', ')})`);
  if (!(MRTYDI_SPLITS as readonly string[]).includes(split)) throw new Error(`Mr.TyDi has no split '${split}' (it has ${MRTYDI_SPLITS.join(', ')})`);
  const topicsFile = join(dir, 'mrtydi', `topics.mrtydi-v1.1-${lang}.${split}.txt.gz`);
  const qrelsFile = join(dir, 'mrtydi', `qrels.mrtydi-v1.1-${lang}.${split}.txt`);
  for (const f of [topicsFile, qrelsFile]) if (!existsSync(f)) throw new Error(`Mr.TyDi file not found: ${f}`);
  const all = new Map<string, string>();
  gunzipSync(readFileSync(topicsFile)).toString('utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new Error(`${topicsFile}:${i + 1}: expected 'qid<TAB>question'`);
    const qid = line.slice(0, tab);
    if (all.has(qid)) throw new Error(`${topicsFile}:${i + 1}: query '${qid}' appears twice`);
    all.set(qid, line.slice(tab + 1).trim());
  });
  const qrels = readQrels(qrelsFile);
  const queries = new Map<string, string>();
  for (const qid of qrels.keys()) {
    const t = all.get(qid);
    if (t === undefined) throw new Error(`${qrelsFile}: query '${qid}' is judged but not in ${topicsFile}`);
    queries.set(qid, t);
  }
  return {
    name: `mrtydi-v1.1-${lang}-${split}`,
    language: lang,
    split,
    queries,
    qrels,
    ...(corpus ? { corpus } : {}),
    corpusHint: `the Mr.TyDi ${lang} passages with --corpus FILE (Mr.TyDi JSONL {docid, title, text}, e.g. castorini/mr-tydi-corpus mrtydi-v1.1-${lang}/corpus.jsonl.gz; ${join(dir, 'mrtydi', 'sample_docs', `${lang}.corpus.jsonl.gz`)} holds a 4-passage sample), or the passage vectors (ids d/<docid>) in --embeddings`,
    files: [topicsFile, qrelsFile],
    // Mr.TyDi's own measures are MRR@100 and Recall@100.
    defaultMetrics: [...BEIR_DEFAULT_METRICS, 'RR@100'],
  };
}
