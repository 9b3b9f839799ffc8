import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../util/dataDir.js';
import { XTREME_TATOEBA_LANGUAGES, resolveTatoebaLanguage, tatoebaLanguage } from './tatoebaLanguages.js';

/**
 * XTREME's Tatoeba sentence retrieval on LASER's test files: for each language xx, `tatoeba.xx-eng.xx` and
 * `tatoeba.xx-eng.eng` hold translations line by line (line i of one is the translation of line i of the other;
 * the English side differs from pair to pair). Each sentence retrieves its nearest neighbour by cosine among all
 * sentences of the other side; accuracy@1 is the share whose neighbour is its own translation, in both directions
 * (xx→en: xx sentences search the English ones; en→xx: the reverse). XTREME (third_party/evaluate_retrieval.py,
 * `similarity_search`) normalises both sides and takes the top inner product; ties go to the lowest line here.
 */
export interface TatoebaPair {
  /** LASER code. */
  lang: string;
  /** The two files read: `tatoeba.<lang>-eng.<lang>` and `tatoeba.<lang>-eng.eng`. */
  files: [string, string];
  xx: string[];
  en: string[];
}

/** Embedding ids: `tatoeba/<lang>/xx/<line>` and `tatoeba/<lang>/en/<line>` (0-based lines). */
export const tatoebaId = (lang: string, side: 'xx' | 'en', line: number) => `tatoeba/${lang}/${side}/${line}`;

/** The lines of a LASER file, stripped as XTREME strips them; the last newline ends the last line. */
function readLines(file: string): string[] {
  if (!existsSync(file)) throw new Error(`Tatoeba file not found: ${file} (LASER's data/tatoeba/v1 files belong in <data>/tatoeba_laser)`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.trim());
}

/** The languages to evaluate: `--lang` values (LASER or ISO 639-1) resolved to LASER codes; default XTREME's 36. */
export function tatoebaLanguages(langs?: readonly string[]): string[] {
  if (!langs || langs.length === 0) return [...XTREME_TATOEBA_LANGUAGES];
  const out: string[] = [];
  for (const l of langs) {
    const code = resolveTatoebaLanguage(l);
    if (out.includes(code)) throw new Error(`tatoeba: language '${l}' is given twice (as ${code})`);
    out.push(code);
  }
  return out;
}

/** Loads the pairs of the given LASER codes from `<data>/tatoeba_laser`. */
export function loadTatoeba(langs: readonly string[], dir = dataDir()): TatoebaPair[] {
  return langs.map((lang) => {
    if (!tatoebaLanguage(lang)) throw new Error(`tatoeba: '${lang}' is not a LASER code`);
    const xxFile = join(dir, 'tatoeba_laser', `tatoeba.${lang}-eng.${lang}`);
    const enFile = join(dir, 'tatoeba_laser', `tatoeba.${lang}-eng.eng`);
    const xx = readLines(xxFile);
    const en = readLines(enFile);
    if (xx.length !== en.length) throw new Error(`${xxFile}: ${xx.length} lines, but ${enFile} has ${en.length}; the two sides must be line-aligned`);
    if (xx.length === 0) throw new Error(`${xxFile}: no sentences`);
    return { lang, files: [xxFile, enFile], xx, en };
  });
}

export interface TatoebaLanguageResult {
  /** Accuracy@1, xx sentences retrieving among the English ones. */
  xx2en: number;
  /** Accuracy@1, English sentences retrieving among the xx ones. */
  en2xx: number;
  /** Sentence pairs. */
  n: number;
  iso1?: string;
  name: string;
}

/** Nearest-neighbour line per query, both directions, and per-sentence correctness (1 / 0). */
export interface TatoebaPairScores {
  xx2en: number[];
  en2xx: number[];
}

/**
 * Both directions' accuracy from one score matrix S [n × n], S[i][j] = cos(xx_i, en_j): xx→en takes the argmax of
 * each row, en→xx of each column; the first maximum wins a tie (numpy's argmax does the same).
 */
export function tatoebaAccuracy(scores: Float32Array, n: number): TatoebaPairScores {
  if (scores.length !== n * n) throw new Error(`tatoeba: ${scores.length} scores for ${n} × ${n} sentences`);
  const xx2en = new Array<number>(n);
  const colBest = new Float32Array(n).fill(-Infinity);
  const colArg = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const o = i * n;
    let best = -Infinity;
    let arg = -1;
    for (let j = 0; j < n; j++) {
      const s = scores[o + j]!;
      if (s > best) {
        best = s;
        arg = j;
      }
      if (s > colBest[j]!) {
        colBest[j] = s;
        colArg[j] = i;
      }
    }
    xx2en[i] = arg === i ? 1 : 0;
  }
  const en2xx = Array.from(colArg, (arg, j) => (arg === j ? 1 : 0));
  return { xx2en, en2xx };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export interface TatoebaResults {
  /** LASER codes, in evaluation order. */
  order: string[];
  languages: Record<string, TatoebaLanguageResult>;
  /** Macro averages over languages; `mean` = (xx2en + en2xx) / 2. */
  average: { xx2en: number; en2xx: number; mean: number };
  /** Per sentence, 1 when its nearest neighbour is its translation: for paired tests between results files. */
  perQuery: Record<string, TatoebaPairScores>;
  similarity: 'cosine';
}

/** Assembles the results from each language's per-sentence correctness. */
export function tatoebaResults(perLang: ReadonlyMap<string, TatoebaPairScores>): TatoebaResults {
  const languages: Record<string, TatoebaLanguageResult> = {};
  const perQuery: Record<string, TatoebaPairScores> = {};
  for (const [lang, s] of perLang) {
    const info = tatoebaLanguage(lang);
    languages[lang] = { xx2en: mean(s.xx2en), en2xx: mean(s.en2xx), n: s.xx2en.length, ...(info?.iso1 ? { iso1: info.iso1 } : {}), name: info?.name ?? lang };
    perQuery[lang] = s;
  }
  const order = [...perLang.keys()];
  const xx2en = mean(order.map((l) => languages[l]!.xx2en));
  const en2xx = mean(order.map((l) => languages[l]!.en2xx));
  return { order, languages, average: { xx2en, en2xx, mean: (xx2en + en2xx) / 2 }, perQuery, similarity: 'cosine' };
}
