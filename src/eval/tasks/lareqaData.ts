import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../util/dataDir.js';

/** The two LAReQA datasets and their languages (files `<dir>/<lang>.json` in the data folder). */
export const LAREQA_LANGUAGES = {
  'xquad-r': ['ar', 'de', 'el', 'en', 'es', 'hi', 'ru', 'th', 'tr', 'vi', 'zh'],
  'mlqa-r': ['ar', 'de', 'en', 'es', 'hi', 'vi', 'zh'],
} as const;
export type LareqaTask = keyof typeof LAREQA_LANGUAGES;

export function isLareqaTask(s: string): s is LareqaTask {
  return s === 'xquad-r' || s === 'mlqa-r';
}

/**
 * Which candidates answer a question. `start` (default) is XTREME's rule (third_party/utils_lareqa.py,
 * `generate_examples` / `load_data`): the answer sentence is the first sentence whose [start, end) break contains
 * `answer_start`, and every sentence of the paragraph with exactly that text is relevant (the reference marks
 * candidates by text); a question whose `answer_start` lies in no sentence is skipped, as XTREME skips it.
 * `overlap`: every sentence whose break overlaps the answer span [answer_start, answer_start + |text|) is relevant
 * (two when the answer crosses a sentence break); a question in no sentence is an error.
 */
export type Relevance = 'start' | 'overlap';

export function isRelevance(s: string): s is Relevance {
  return s === 'start' || s === 'overlap';
}

/** How a candidate is written for the encoder: the sentence alone, or the sentence with its paragraph (ReQA/LAReQA). */
export type CandidateText = 'sentence' | 'sentence+context';

export interface LareqaQuestion {
  /** The question id shared by its translations. */
  qid: string;
  /** Embedding id: `q/<lang>/<qid>`. */
  id: string;
  text: string;
  /** Indices (into this language's candidates) of the relevant sentences, by the chosen {@link Relevance} rule. */
  answers: number[];
}

export interface LareqaCandidate {
  /** Embedding id: `c/<lang>/<article>/<paragraph>/<sentence>` (0-based indices in the file). */
  id: string;
  sentence: string;
  context: string;
}

export interface LareqaLanguage {
  lang: string;
  file: string;
  questions: LareqaQuestion[];
  candidates: LareqaCandidate[];
  /** Questions whose relevant sentences differ between the `start` and `overlap` rules. */
  rulesDiffer: number;
  /** Questions left out (rule `start`: `answer_start` in no sentence). */
  skipped: number;
}

export interface LareqaDataset {
  task: LareqaTask;
  languages: LareqaLanguage[];
}

function fail(file: string, path: string, expected: string): never {
  throw new Error(`${file}: ${path}: expected ${expected}`);
}

function asArray(v: unknown, file: string, path: string): unknown[] {
  if (!Array.isArray(v)) fail(file, path, 'an array');
  return v;
}

function asString(v: unknown, file: string, path: string): string {
  if (typeof v !== 'string') fail(file, path, 'a string');
  return v;
}

function asObject(v: unknown, file: string, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, path, 'an object');
  return v as Record<string, unknown>;
}

/**
 * Parses one LAReQA file (SQuAD JSON whose paragraphs carry `sentences` and `sentence_breaks`, [start, end)
 * code-point offsets into the context). Every sentence of every paragraph is a candidate, duplicates included
 * (the published candidate counts count them). A question's relevant candidates follow `relevance` (see
 * {@link Relevance}); both rules are computed, and the questions where they differ are counted.
 */
export function parseLareqaFile(json: unknown, lang: string, file: string, relevance: Relevance = 'start'): LareqaLanguage {
  const root = asObject(json, file, '(root)');
  const data = asArray(root.data, file, 'data');
  const questions: LareqaQuestion[] = [];
  const candidates: LareqaCandidate[] = [];
  const seen = new Set<string>();
  let rulesDiffer = 0;
  let skipped = 0;
  data.forEach((articleV, a) => {
    const article = asObject(articleV, file, `data[${a}]`);
    asArray(article.paragraphs, file, `data[${a}].paragraphs`).forEach((paraV, p) => {
      const at = `data[${a}].paragraphs[${p}]`;
      const para = asObject(paraV, file, at);
      const context = asString(para.context, file, `${at}.context`);
      const sentences = asArray(para.sentences, file, `${at}.sentences`).map((s, i) => asString(s, file, `${at}.sentences[${i}]`));
      const breaks = asArray(para.sentence_breaks, file, `${at}.sentence_breaks`).map((b, i) => {
        const arr = asArray(b, file, `${at}.sentence_breaks[${i}]`);
        if (arr.length !== 2 || !Number.isInteger(arr[0]) || !Number.isInteger(arr[1]) || (arr[0] as number) > (arr[1] as number)) {
          fail(file, `${at}.sentence_breaks[${i}]`, '[start, end] integers with start ≤ end');
        }
        return arr as [number, number];
      });
      if (breaks.length !== sentences.length) {
        fail(file, `${at}.sentence_breaks`, `one break per sentence (${sentences.length}), got ${breaks.length}`);
      }
      const first = candidates.length;
      // The sentence texts as XTREME cuts them: code-point slices of the context.
      const cps = [...context];
      const sliced = breaks.map(([b, e]) => cps.slice(b, e).join(''));
      sentences.forEach((sentence, s) => candidates.push({ id: `c/${lang}/${a}/${p}/${s}`, sentence, context }));
      asArray(para.qas, file, `${at}.qas`).forEach((qaV, q) => {
        const qat = `${at}.qas[${q}]`;
        const qa = asObject(qaV, file, qat);
        const qid = asString(qa.id, file, `${qat}.id`);
        if (seen.has(qid)) fail(file, `${qat}.id`, `unique question ids ('${qid}' appears twice)`);
        seen.add(qid);
        const text = asString(qa.question, file, `${qat}.question`);
        const answers = asArray(qa.answers, file, `${qat}.answers`);
        if (answers.length === 0) fail(file, `${qat}.answers`, 'at least one answer');
        const ans = asObject(answers[0], file, `${qat}.answers[0]`);
        const start = ans.answer_start;
        if (!Number.isInteger(start) || (start as number) < 0) fail(file, `${qat}.answers[0].answer_start`, 'a non-negative integer');
        const end = (start as number) + Math.max(1, [...asString(ans.text, file, `${qat}.answers[0].text`)].length);
        const overlap: number[] = [];
        breaks.forEach(([b, e], i) => {
          if (b < end && (start as number) < e) overlap.push(first + i);
        });
        const home = breaks.findIndex(([b, e]) => b <= (start as number) && (start as number) < e);
        const byStart: number[] = [];
        if (home >= 0) sliced.forEach((t, i) => t === sliced[home] && byStart.push(first + i));
        if (overlap.length !== byStart.length || overlap.some((x, i) => x !== byStart[i])) rulesDiffer++;
        const hits = relevance === 'start' ? byStart : overlap;
        if (hits.length === 0) {
          if (relevance === 'start') {
            skipped++;
            return;
          }
          fail(file, `${qat}.answers[0].answer_start`, `an offset inside a sentence (${String(start)} is in none)`);
        }
        questions.push({ qid, id: `q/${lang}/${qid}`, text, answers: hits });
      });
    });
  });
  return { lang, file, questions, candidates, rulesDiffer, skipped };
}

/** Loads a LAReQA dataset from `<data>/<task>/<lang>.json`; `langs` restricts (and orders) the languages. */
export function loadLareqa(task: LareqaTask, langs?: readonly string[], dir = dataDir(), opts: { relevance?: Relevance } = {}): LareqaDataset {
  const known: readonly string[] = LAREQA_LANGUAGES[task];
  const chosen = langs && langs.length ? [...langs] : [...known];
  for (const l of chosen) {
    if (!known.includes(l)) throw new Error(`${task} has no language '${l}' (it has ${known.join(', ')})`);
  }
  const languages = chosen.map((lang) => {
    const file = join(dir, task, `${lang}.json`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    return parseLareqaFile(json, lang, file, opts.relevance ?? 'start');
  });
  return { task, languages };
}

/** The text an encoder sees for a candidate. */
export function candidateText(c: LareqaCandidate, mode: CandidateText): string {
  return mode === 'sentence' ? c.sentence : `${c.sentence}\n${c.context}`;
}
