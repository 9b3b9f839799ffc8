/**
 * A rule-based sentence splitter, used for SQuAD-style files that give a context without sentence
 * breaks (plain XQuAD). It cuts after sentence-final punctuation:
 *  - `.` `!` `?` `؟` `…` (and closing quotes/brackets after them) when whitespace follows and the
 *    next word does not start with a lower-case letter, and the word before a `.` is not a single
 *    letter (initials such as "J. R. R.") — a cheap guard against abbreviations;
 *  - `。` `！` `？` `।` `॥` `።` `။` and the Thai/Lao-free forms need no following space (CJK and
 *    Indic scripts do not put one).
 * Thai writes no sentence punctuation and uses spaces inside sentences too, so Thai paragraphs
 * mostly stay one sentence (agreement with XQuAD-R's Thai breaks is low: prefer XQuAD-R for Thai).
 * The test suite measures agreement with XQuAD-R's own breaks on the same contexts.
 */

/** A sentence as [start, end) UTF-16 offsets into the text. */
export type Span = [number, number];

const NEEDS_SPACE = new Set(['.', '!', '?', '؟', '…', '۔']);
const NO_SPACE = new Set(['。', '！', '？', '।', '॥', '።', '။', '｡']);
const CLOSERS = new Set(['"', "'", '”', '’', '»', '」', '』', ')', ']', '）', '】', '›']);

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

function isLower(ch: string): boolean {
  return ch !== ch.toUpperCase() && ch === ch.toLowerCase();
}

export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  const n = text.length;
  const push = (end: number): void => {
    let s = start;
    while (s < end && isSpace(text[s]!)) s++;
    let e = end;
    while (e > s && isSpace(text[e - 1]!)) e--;
    if (e > s) spans.push([s, e]);
    start = end;
  };
  for (let i = 0; i < n; i++) {
    const ch = text[i]!;
    const noSpace = NO_SPACE.has(ch);
    if (!noSpace && !NEEDS_SPACE.has(ch)) continue;
    let j = i + 1;
    while (j < n && (NEEDS_SPACE.has(text[j]!) || NO_SPACE.has(text[j]!))) j++; // "?!", "..."
    while (j < n && CLOSERS.has(text[j]!)) j++;
    if (noSpace) {
      push(j);
      i = j - 1;
      continue;
    }
    if (j < n && !isSpace(text[j]!)) continue; // "3.5", "e.g.x", "U.S.A"
    let k = j;
    while (k < n && isSpace(text[k]!)) k++;
    if (k < n && isLower(text[k]!)) continue; // "etc. and", "z. B. die"
    if (ch === '.') {
      // Single-letter word before the dot: an initial or abbreviation ("J. Smith", "z.B.").
      let w = i;
      while (w > 0 && !isSpace(text[w - 1]!) && text[w - 1] !== '.') w--;
      if (i - w === 1) continue;
    }
    push(j);
    i = j - 1;
  }
  push(n);
  return spans;
}

/**
 * Maps Python code-point offsets (as SQuAD-style JSON gives `answer_start` and `sentence_breaks`)
 * to JavaScript UTF-16 offsets; identity when the text has no characters outside the BMP.
 */
export function codePointToUtf16(text: string): (cp: number) => number {
  if (!/[\uD800-\uDBFF]/.test(text)) return (cp) => cp;
  const map: number[] = [];
  for (let u = 0; u < text.length; u++) {
    map.push(u);
    const c = text.charCodeAt(u);
    if (c >= 0xd800 && c <= 0xdbff) u++;
  }
  map.push(text.length);
  return (cp) => map[Math.min(cp, map.length - 1)]!;
}

/** Index of the span containing `offset`; an offset in the gap between spans goes to the next span. */
export function spanContaining(spans: readonly Span[], offset: number): number {
  for (let i = 0; i < spans.length; i++) {
    if (offset < spans[i]![1]) return i;
  }
  return -1;
}
