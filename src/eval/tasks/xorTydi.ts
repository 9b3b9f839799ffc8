import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BeirDataset } from './beir.js';

/** XOR-TyDi's seven XOR-Retrieve languages (questions; the passages are English). */
export const XOR_TYDI_LANGUAGES = ['ar', 'bn', 'fi', 'ja', 'ko', 'ru', 'te'] as const;

/** XOR-Retrieve's official measures: answer recall within the first 2,000 and 5,000 tokens retrieved. */
export const XOR_DEFAULT_METRICS = ['R@2kt', 'R@5kt'];

/** `R@<n>kt`, the token-budget answer recall, as a metric name; undefined for other names. */
export function tokenRecallBudget(name: string): number | undefined {
  const m = /^R@(\d+)kt$/.exec(name);
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * XOR-TyDi XOR-Retrieve dev (`<data>/xor_tydi/xor_dev_retrieve_eng_span_v1_1.jsonl`: `{id, question, answers,
 * lang}`): questions in 7 languages whose answers are English spans, to be found in English Wikipedia passages
 * that the user supplies (`--corpus`: DPR's psgs_w100.tsv, or JSONL). There are no qrels: as in the official
 * eval_xor_retrieve.py, a question counts only if it has an answer other than yes/no (yes/no answers are dropped),
 * and a retrieved passage is relevant when one of the answers occurs in its text.
 */
export function loadXorTydiDev(lang: string, dir: string, corpus?: string): BeirDataset {
  if (!(XOR_TYDI_LANGUAGES as readonly string[]).includes(lang)) throw new Error(`XOR-TyDi XOR-Retrieve has no language '${lang}' (it has ${XOR_TYDI_LANGUAGES.join(', ')})`);
  const file = join(dir, 'xor_tydi', 'xor_dev_retrieve_eng_span_v1_1.jsonl');
  if (!existsSync(file)) throw new Error(`XOR-TyDi file not found: ${file}`);
  const queries = new Map<string, string>();
  const answers = new Map<string, string[]>();
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    if (typeof o.id !== 'string' || typeof o.question !== 'string' || typeof o.lang !== 'string') throw new Error(`${file}:${i + 1}: expected string fields 'id', 'question', 'lang'`);
    if (!Array.isArray(o.answers) || !o.answers.every((a) => typeof a === 'string')) throw new Error(`${file}:${i + 1}: field 'answers' must be a list of strings`);
    if (o.lang !== lang) return;
    const spans = (o.answers as string[]).filter((a) => a !== 'yes' && a !== 'no');
    if (spans.length === 0) return;
    if (queries.has(o.id)) throw new Error(`${file}:${i + 1}: question '${o.id}' appears twice`);
    queries.set(o.id, o.question);
    answers.set(o.id, spans);
  });
  return {
    name: `xor-tydi-retrieve-dev-${lang}`,
    language: lang,
    split: 'dev',
    queries,
    qrels: new Map(),
    answers,
    ...(corpus ? { corpus } : {}),
    corpusHint:
      "the English passages with --corpus FILE (XOR-Retrieve's: DPR's Wikipedia psgs_w100.tsv with columns id, text, title, or JSONL {_id|docid|id, title, text}); the answers are matched in their text, so the corpus is needed with --embeddings too",
    files: [file],
    defaultMetrics: XOR_DEFAULT_METRICS,
  };
}

/**
 * Word tokens in the spirit of NLTK's word_tokenize (which the official evaluation uses): runs of letters, digits
 * and marks (with inner apostrophes, hyphens, periods and commas of numbers), and each other non-space character
 * on its own. An approximation: NLTK's Treebank rules (`n't`, quotes) are not reproduced, so token budgets can
 * differ slightly from the official script's.
 */
export function xorTokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}\p{M}]+(?:['’.,-][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu) ?? [];
}

/**
 * Whether one of the answers occurs in a space-joined token string. The answers are tokenized the same way first
 * (DPR's has_answer convention), so `Portland, Oregon` matches the tokens `Portland , Oregon`; the official
 * script matches the raw answer string instead, which NLTK's tokens break for answers with punctuation. Case
 * matters, as in the official script.
 */
function containsAnswer(answers: readonly string[], joined: string): boolean {
  return answers.some((a) => {
    const t = xorTokens(a).join(' ');
    return t.length > 0 && ` ${joined} `.includes(` ${t} `);
  });
}

/**
 * 1 when one of the answers occurs in the first `maxTokens` tokens of the ranked passages joined by spaces
 * (eval_xor_retrieve.py's `evaluate_top_k_hit`, with the tokenization above), else 0.
 */
export function answerInTokenBudget(answers: readonly string[], rankedTexts: readonly string[], maxTokens: number): number {
  const tokens: string[] = [];
  for (const t of rankedTexts) {
    tokens.push(...xorTokens(t));
    if (tokens.length >= maxTokens) break;
  }
  return containsAnswer(answers, tokens.slice(0, maxTokens).join(' ')) ? 1 : 0;
}

/** Whether a passage holds one of the answers (the relevance of a retrieved passage for the trec metrics). */
export function passageHasAnswer(answers: readonly string[], text: string): boolean {
  return containsAnswer(answers, xorTokens(text).join(' '));
}
