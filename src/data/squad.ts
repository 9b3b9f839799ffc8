import { quoteExcerpt } from '../util/quote.js';
import { readFileSync } from 'node:fs';
import { AvailabilityBuilder, sortLanguages, type Example, type LanguageAvailability, type ParallelDataset, idAt } from './parallelDataset.js';
import { languageFromFileName, parseLanguage } from './languages.js';
import { codePointToUtf16, spanContaining, splitSentences, type Span } from './sentences.js';

/**
 * SQuAD/LAReQA JSON (XQuAD, XQuAD-R, MLQA-R) as parallel training data, following LAReQA:
 * the query is the question, the positive is the sentence of the context that contains the
 * answer's first character, and the hard negatives are other sentences of the same paragraph
 * (the `negatives` nearest to the answer sentence: next, previous, second next, ...).
 *
 * Sentences: XQuAD-R and MLQA-R give `sentences` and `sentence_breaks` per paragraph and these are
 * used as given; plain XQuAD gives only the context, which is split by {@link splitSentences}.
 * Offsets in these files count Unicode code points (Python); they are mapped to UTF-16.
 * Ids (`qas[].id`) are shared across languages, which is what makes the files parallel.
 */
export interface SquadOptions {
  /** Language of every file, instead of reading it from the file name (`xquad.de.json`, `de.json`). */
  lang?: string;
  /** Hard negatives per example, taken from the answer's paragraph (default 1; 0 for none). */
  negatives?: number;
  /** `given`: use sentence_breaks when the file has them, else split (default); `split`: always split. */
  sentences?: 'given' | 'split';
}

interface Paragraph {
  sentences: string[];
}

interface Entry {
  query: string;
  paragraph: Paragraph;
  sentence: number;
}

type Json = unknown;

function obj(v: Json, where: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected an object`);
  return v as Record<string, Json>;
}
function arr(v: Json, where: string): Json[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected an array`);
  return v;
}
function str(v: Json, where: string): string {
  if (typeof v !== 'string') throw new Error(`${where}: expected a string`);
  return v;
}

/** Reads one SQuAD-style file into `sink(id, lang, entry)`. */
function readFile(path: string, lang: string, opts: SquadOptions, sink: (id: string, e: Entry, where: string) => void): void {
  let root: Json;
  try {
    root = JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const data = arr(obj(root, path)['data'], `${path}: field "data"`);
  data.forEach((article, ai) => {
    const aw = `${path}: data[${ai}]`;
    const paragraphs = arr(obj(article, aw)['paragraphs'], `${aw}.paragraphs`);
    paragraphs.forEach((para, pi) => {
      const pw = `${aw}.paragraphs[${pi}]`;
      const p = obj(para, pw);
      const context = str(p['context'], `${pw}.context`);
      const toU16 = codePointToUtf16(context);
      let spans: Span[];
      let sentences: string[];
      if (opts.sentences !== 'split' && p['sentence_breaks'] !== undefined) {
        const breaks = arr(p['sentence_breaks'], `${pw}.sentence_breaks`);
        const given = arr(p['sentences'], `${pw}.sentences`).map((s, i) => str(s, `${pw}.sentences[${i}]`));
        if (given.length !== breaks.length) {
          throw new Error(`${pw}: ${given.length} sentences but ${breaks.length} sentence_breaks (expected one break per sentence)`);
        }
        spans = breaks.map((b, i) => {
          const pair = arr(b, `${pw}.sentence_breaks[${i}]`);
          if (pair.length !== 2 || !pair.every((x) => Number.isInteger(x))) {
            throw new Error(`${pw}.sentence_breaks[${i}]: expected [start, end] integers`);
          }
          return [toU16(pair[0] as number), toU16(pair[1] as number)] as Span;
        });
        sentences = given;
      } else {
        spans = splitSentences(context);
        sentences = spans.map(([s, e]) => context.slice(s, e));
      }
      const paragraph: Paragraph = { sentences };
      const qas = arr(p['qas'], `${pw}.qas`);
      qas.forEach((qa, qi) => {
        const qw = `${pw}.qas[${qi}]`;
        const q = obj(qa, qw);
        const rawId = q['id'];
        if (typeof rawId !== 'string' && typeof rawId !== 'number') throw new Error(`${qw}.id: expected a string or number`);
        const id = String(rawId);
        const question = str(q['question'], `${qw}.question`);
        const answers = arr(q['answers'], `${qw}.answers`);
        if (answers.length === 0) throw new Error(`${qw}.answers: expected at least one answer (unanswerable questions cannot have a positive)`);
        const a0 = obj(answers[0], `${qw}.answers[0]`);
        const startCp = a0['answer_start'];
        if (!Number.isInteger(startCp) || (startCp as number) < 0) throw new Error(`${qw}.answers[0].answer_start: expected a non-negative integer`);
        const start = toU16(startCp as number);
        if (start >= context.length) throw new Error(`${qw}.answers[0].answer_start: ${startCp as number} is past the end of the context`);
        const sentence = spanContaining(spans, start);
        if (sentence < 0) throw new Error(`${qw}: the answer at ${startCp as number} lies in no sentence of the paragraph`);
        sink(id, { query: question, paragraph, sentence }, `${qw} (id ${quoteExcerpt(id, 80)}, ${lang})`);
      });
    });
  });
}

/** Opens SQuAD/LAReQA JSON files (one language per file) as one parallel dataset. */
export function openSquad(paths: readonly string[], opts: SquadOptions = {}): SquadDataset {
  const negatives = opts.negatives ?? 1;
  if (!Number.isInteger(negatives) || negatives < 0) throw new Error(`negatives must be a non-negative integer, got ${negatives}`);
  if (paths.length === 0) throw new Error('no SQuAD/LAReQA JSON files given');
  const explicit = opts.lang === undefined ? undefined : parseLanguage(opts.lang, 'lang option');
  const idIndex = new Map<string, number>();
  const ids: string[] = [];
  const langSeen: string[] = [];
  const langIndex = new Map<string, number>();
  const entries: Map<number, Entry>[] = []; // per first-seen language: id index → entry
  const origin: Map<number, string>[] = [];
  const builder = new AvailabilityBuilder();
  for (const path of paths) {
    const lang = explicit ?? languageFromFileName(path);
    let li = langIndex.get(lang);
    if (li === undefined) {
      li = langSeen.length;
      langSeen.push(lang);
      langIndex.set(lang, li);
      entries.push(new Map());
      origin.push(new Map());
    }
    const l = li;
    readFile(path, lang, opts, (id, e, where) => {
      let ii = idIndex.get(id);
      if (ii === undefined) {
        ii = ids.length;
        ids.push(id);
        idIndex.set(id, ii);
      }
      if (entries[l]!.has(ii)) throw new Error(`${where}: id ${quoteExcerpt(id, 80)} appears twice in language ${lang} (also ${origin[l]!.get(ii)})`);
      entries[l]!.set(ii, e);
      origin[l]!.set(ii, path);
      builder.add(ii, l);
    });
  }
  const { languages, remap } = sortLanguages(langSeen);
  const byLang = new Map<string, Map<number, Entry>>();
  langSeen.forEach((lang, i) => byLang.set(lang, entries[i]!));
  return new SquadDataset(
    `squad:${paths.join(',')}`,
    languages,
    ids,
    builder.build(ids.length, remap),
    byLang,
    negatives,
  );
}

export class SquadDataset implements ParallelDataset {
  constructor(
    readonly name: string,
    readonly languages: readonly string[],
    private readonly ids: readonly string[],
    readonly availability: LanguageAvailability,
    private readonly byLang: Map<string, Map<number, Entry>>,
    private readonly negativesPerExample: number,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  id(index: number): string {
    return idAt(this.ids, index);
  }

  example(index: number, lang: string): Example {
    const e = this.byLang.get(lang)?.get(index);
    if (!e) throw new Error(`${this.name}: id "${this.id(index)}" has no ${lang} version`);
    const sents = e.paragraph.sentences;
    const positive = sents[e.sentence]!;
    const negatives: string[] = [];
    // Nearest sentences first: they share the most context with the answer, so they are the hardest.
    for (let d = 1; negatives.length < this.negativesPerExample && d < sents.length; d++) {
      for (const j of [e.sentence + d, e.sentence - d]) {
        if (negatives.length >= this.negativesPerExample) break;
        const s = sents[j];
        if (s !== undefined && s !== positive && !negatives.includes(s)) negatives.push(s);
      }
    }
    return { query: e.query, positive, negatives };
  }

  query(index: number, lang: string): string {
    return this.example(index, lang).query;
  }

  close(): void {}
}
