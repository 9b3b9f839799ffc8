import { basename } from 'node:path';
import { CANONICAL_LANGUAGE, LANGUAGE_NAMES } from './languageCodes.js';

/**
 * Language codes: BCP-47-ish tags as written in the data (`en`, `de`, `zh`, `zh-Hans`, `pt-BR`).
 * The primary subtag must be a registered ISO 639-1/639-2 code (or an ISO 639-3 alias of one); an unknown or
 * missing code is an error, never a guess, because a silently wrong language corrupts every batch built from it.
 * Aliases are canonicalised wherever data is read: `de`, `deu` and `ger` are one language, `de` (ISO 639-1
 * where the language has a two-letter code, else ISO 639-2/T), and `zh`, `zho`, `chi` and `cmn` are `zh`
 * (the full table: CANONICAL_LANGUAGE in languageCodes.ts, documented in docs/data-and-sampling.md).
 */

/** Codes that are registered but say "no particular language", so they cannot name training data. */
const NOT_A_LANGUAGE = new Set(['und', 'mul', 'mis', 'zxx']);

const TAG = /^([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)$/;

/** Whether `code` is a usable language tag (see {@link parseLanguage}). */
export function isLanguage(code: string): boolean {
  try {
    parseLanguage(code);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a language tag and returns its canonical form: primary subtag lower case and canonical
 * (`deu`/`ger` → `de`, `cmn` → `zh`), script
 * subtag title case, region upper case, `_` written as `-` (so `zh_hans` and `zh-Hans` are one
 * language). `where` names the file/line/field for the error message.
 */
export function parseLanguage(code: unknown, where = 'language'): string {
  if (typeof code !== 'string' || code.length === 0) {
    throw new Error(`${where}: expected a language code such as "en" or "zh-Hans", got ${JSON.stringify(code)}`);
  }
  const m = TAG.exec(code);
  if (!m) throw new Error(`${where}: "${code}" is not a language tag (expected e.g. "en", "de", "zh-Hans", "pt-BR")`);
  const given = m[1]!.toLowerCase();
  const primary = Object.hasOwn(CANONICAL_LANGUAGE, given) ? CANONICAL_LANGUAGE[given]! : given;
  if (!Object.hasOwn(LANGUAGE_NAMES, primary) || NOT_A_LANGUAGE.has(primary)) {
    throw new Error(`${where}: unknown language "${code}" (expected an ISO 639-1 or 639-2 code such as "en", "de", "zh")`);
  }
  const subtags = m[2]!.split(/[-_]/).filter((s) => s.length > 0);
  const rest = subtags.map((s) => {
    if (/^[A-Za-z]{4}$/.test(s)) return s[0]!.toUpperCase() + s.slice(1).toLowerCase();
    if (/^([A-Za-z]{2}|[0-9]{3})$/.test(s)) return s.toUpperCase();
    return s.toLowerCase();
  });
  return [primary, ...rest].join('-');
}

/** The English name of a language tag's primary subtag ("de" → "German"). */
export function languageName(code: string): string {
  const primary = parseLanguage(code).split('-')[0]!;
  return LANGUAGE_NAMES[primary]!;
}

/**
 * A language code from an English language name, as mMARCO names its files
 * (`german_queries.train.tsv`); undefined when the name is not a language.
 */
export function languageFromEnglishName(name: string): string | undefined {
  const want = name.toLowerCase();
  let found: string | undefined;
  for (const [code, n] of Object.entries(LANGUAGE_NAMES)) {
    if (n.toLowerCase() !== want || NOT_A_LANGUAGE.has(code)) continue;
    // Prefer the two-letter code, as the rest of the data uses it.
    if (found === undefined || (code.length === 2 && found.length !== 2)) found = code;
  }
  return found;
}

/**
 * The language a file name states: the last dot-separated part before the extension
 * (`xquad.de.json` → `de`, `de.json` → `de`, `train.zh-Hans.jsonl` → `zh-Hans`).
 * Throws, naming the file, when that part is not a language.
 */
export function languageFromFileName(path: string): string {
  const base = basename(path).replace(/\.(gz)$/i, '').replace(/\.(jsonl|json|tsv)$/i, '');
  const last = base.split('.').pop() ?? '';
  try {
    return parseLanguage(last);
  } catch {
    throw new Error(`${path}: cannot tell the language from the file name ("${last}" is not a language code); name the file like "xquad.de.json" or "de.json", or give the language explicitly`);
  }
}
