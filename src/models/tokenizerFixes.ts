/**
 * Where @huggingface/tokenizers (JS, 0.2) gives other ids than Hugging Face `tokenizers` (the Rust library that
 * transformers and sentence-transformers use), and polyret's replacements. Found by comparing ids on every text of
 * XQuAD, XQuAD-R, MLQA-R and Tatoeba (test/models/tokenizerDatasets.test.ts) and on hand-picked boundary cases
 * (the edge-case tests of test/models/tokenizer.test.ts):
 *
 * - BertNormalizer (mBERT, LaBSE): CJK characters get spaces around them so that each is its own word. The JS
 *   code walks UTF-16 code units, so characters outside the BMP (CJK extensions B–F, e.g. 𪙛 U+2A65B) are never
 *   seen as CJK and fuse with their neighbours into one [UNK]; and it takes U+2B820–U+2B91F as CJK, which the
 *   Rust library does not (its ranges, checked code point by code point against tokenizers 0.23, are below).
 * - Precompiled (XLM-R, mE5): the JS code runs NFKC instead of the tokenizer's charsmap; see
 *   precompiledCharsmap.ts.
 * - Metaspace pre-tokenizer (XLM-R, mE5): the JS code ignores `split` (true by default in the Rust library) and
 *   hands the Unigram model the whole text as one word. The segmentation is then mostly the same, but score sums
 *   run across words, so float ties between equal-scoring paths (e.g. "10000" as 1+000+0 or 1+0+000) break
 *   differently; the Rust library splits before each "▁" (MergedWithNext) and segments each word alone.
 * - Unigram scores: the Rust library reads tokenizer.json with serde_json, whose float parsing is not correctly
 *   rounded (significand as f64, then one multiplication or division by a power of ten): 757 of the 5,000 scores
 *   of the test tokenizer come out one ulp away from JSON.parse's value, and exact ties between paths with the
 *   same pieces in another order (e.g. "…ları"+"nın"+"ı"+"n" vs "…ları"+"n"+"ı"+"nın") then break the other way.
 *   polyret re-reads each score as serde_json does, from its shortest decimal form (what tokenizers and Python
 *   write; a file written with more digits than that could still differ).
 */
import type { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { PrecompiledCharsmap } from './precompiledCharsmap.js';

/** The structural view of a JS pre-tokenizer node that the fixes need (its config is not kept on it). */
interface PreTokenizerNode {
  tokenizers?: PreTokenizerNode[];
  pre_tokenize_text?: (text: string, options?: unknown) => string[];
}

/** The structural view of a JS normalizer node that the fixes need. */
interface NormalizerNode {
  config?: { type?: string; precompiled_charsmap?: unknown };
  normalizers?: NormalizerNode[];
  normalize?: (text: string) => string;
  tokenize_chinese_chars?: (text: string) => string;
}

/** `tokenizers`' `is_chinese_char` (normalizers/bert.rs). */
export function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df)
    || (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** Spaces around every CJK character, by code point. */
export function padChineseChars(text: string): string {
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

/** POW10[k] = 1e{k} as f64 literals, as in serde_json. */
const POW10 = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

/**
 * The f64 that serde_json (without `float_roundtrip`) parses from the shortest decimal form of `x`: the decimal
 * significand converted to f64 (round to nearest), then multiplied or divided once by a power of ten.
 */
export function serdeJsonF64(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(x));
  if (!m) return x;
  const frac = m[3] ?? '';
  const digits = `${m[2]}${frac}`;
  // serde_json stops accumulating digits near u64::MAX; the shortest form has at most 17, so this never applies.
  if (digits.length > 19) return x;
  let f = Number(BigInt(digits));
  let exp = Number(m[4] ?? 0) - frac.length;
  while (exp < -308) {
    f /= 1e308;
    exp += 308;
  }
  f = exp >= 0 ? f * POW10[exp]! : f / POW10[-exp]!;
  return m[1] === '-' ? -f : f;
}

/** The structural view of the JS Unigram model that the fix needs. */
interface UnigramNode {
  config?: { type?: string };
  scores?: number[];
  unk_token_id?: number;
  min_score?: number;
  unk_score?: number;
}

/** Unigram scores as the Rust library reads them (see the note above); the unknown-token score follows. */
export function fixUnigramScores(tok: HfJsTokenizer, modelConfig: unknown): void {
  const m = tok.model as unknown as UnigramNode | null;
  const cfg = modelConfig as { type?: string; vocab?: unknown } | null;
  if (!m || !cfg || cfg.type !== 'Unigram' || !Array.isArray(m.scores) || !Array.isArray(cfg.vocab)) return;
  const original = cfg.vocab as Array<[string, number]>;
  let min = Infinity;
  for (let i = 0; i < m.scores.length; i++) {
    const s = serdeJsonF64(Number(original[i]?.[1]));
    m.scores[i] = s;
    if (s < min) min = s;
  }
  // tokenizers: unk_score = min_score - K_UNK_PENALTY (10).
  m.min_score = min;
  m.unk_score = min - 10;
  if (m.unk_token_id !== undefined) m.scores[m.unk_token_id] = m.unk_score;
}

/** Splits before every `replacement`, which starts the next piece (the Rust library's MergedWithNext). */
export function splitMergedWithNext(text: string, replacement: string): string[] {
  const out: string[] = [];
  let start = 0;
  let at = text.indexOf(replacement, 1);
  while (at > 0) {
    out.push(text.slice(start, at));
    start = at;
    at = text.indexOf(replacement, at + replacement.length);
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/**
 * Replaces, inside `tok`'s normalizer tree, the parts that diverge from the Rust library. `where` (the
 * tokenizer.json path) names the file when its charsmap is malformed.
 */
export function fixNormalizers(tok: HfJsTokenizer, where: string): void {
  const visit = (node: NormalizerNode | null | undefined): void => {
    if (!node) return;
    const type = node.config?.type;
    if (type === 'Sequence') node.normalizers?.forEach(visit);
    else if (type === 'BertNormalizer') node.tokenize_chinese_chars = padChineseChars;
    else if (type === 'Precompiled') {
      const b64 = node.config?.precompiled_charsmap;
      // An empty or absent charsmap means "no rules" (tokenizers then leaves the text as it is).
      if (typeof b64 !== 'string' || b64.length === 0) {
        node.normalize = (text) => text;
        return;
      }
      const map = PrecompiledCharsmap.fromBase64(b64, where);
      node.normalize = (text) => map.normalize(text);
    }
  };
  visit(tok.normalizer as unknown as NormalizerNode | null);
}

/**
 * Makes `tok`'s Metaspace pre-tokenizers split as the Rust library does. `config` is the tokenizer.json
 * `pre_tokenizer` section, walked beside the JS objects (which do not keep their config).
 */
export function fixPreTokenizers(tok: HfJsTokenizer, config: unknown): void {
  const visit = (node: PreTokenizerNode | null | undefined, cfg: unknown): void => {
    if (!node || !cfg || typeof cfg !== 'object') return;
    const c = cfg as { type?: string; split?: unknown; replacement?: unknown; pretokenizers?: unknown[] };
    if (c.type === 'Sequence' && Array.isArray(c.pretokenizers)) {
      c.pretokenizers.forEach((sub, i) => visit(node.tokenizers?.[i], sub));
    } else if (c.type === 'Metaspace' && c.split !== false && node.pre_tokenize_text) {
      const replacement = typeof c.replacement === 'string' ? c.replacement : '\u2581';
      const original = node.pre_tokenize_text.bind(node);
      node.pre_tokenize_text = (text, options) => original(text, options).flatMap((t) => splitMergedWithNext(t, replacement));
    }
  };
  visit(tok.pre_tokenizer as unknown as PreTokenizerNode | null, config);
}
