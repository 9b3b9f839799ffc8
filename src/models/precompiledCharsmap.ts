/**
 * SentencePiece's compiled normalization rules (`precompiled_charsmap`, the `Precompiled` normalizer of XLM-R,
 * mE5, mBART, ... tokenizer.json files), applied exactly as Hugging Face `tokenizers` (Rust) applies them.
 *
 * @huggingface/tokenizers (JS) ignores the charsmap and runs Unicode NFKC plus a few replacements instead; the
 * two differ wherever NFKC and the charsmap disagree, e.g. NFKC reorders Arabic shadda + fatha (U+0651 U+064E →
 * U+064E U+0651) and the charsmap does not, which changes the Unigram segmentation of such words.
 *
 * The format (crate `spm_precompiled`): u32 LE byte length of a darts-clone double-array trie, the trie's u32
 * units, then NUL-terminated replacement strings; a trie value is the byte offset of its replacement.
 * The normalizer (tokenizers' `impl Normalizer for Precompiled`): for each extended grapheme cluster shorter than
 * 6 UTF-8 bytes, if the trie has a prefix of it, the whole cluster becomes the replacement of the *shortest*
 * such prefix; otherwise each character is replaced on its own (or kept).
 */

const utf8 = new TextEncoder();
/** Distinct graphemes remembered before the cache starts afresh (bounds memory on endless streams of text). */
const MAX_CACHED = 200_000;
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  /** Normalized form of each grapheme seen (graphemes repeat a lot in text); `null`: unchanged. */
  private readonly cache = new Map<string, string | null>();

  /** `bytes`: the decoded `precompiled_charsmap`; `where` names the file in errors. */
  constructor(bytes: Uint8Array, where: string) {
    if (bytes.length < 4) throw new Error(`${where}: precompiled_charsmap is ${bytes.length} bytes, too short for its header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length || trieBytes === 0) {
      throw new Error(`${where}: precompiled_charsmap declares a trie of ${trieBytes} bytes in ${bytes.length} bytes (expected a multiple of 4 that fits)`);
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = bytes.subarray(4 + trieBytes);
  }

  /** From the base64 string a tokenizer.json holds. */
  static fromBase64(b64: string, where: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(Buffer.from(b64, 'base64'), where);
  }

  /** The replacement of the shortest prefix of `key` that the trie holds (darts' common-prefix search). */
  private transform(key: Uint8Array): string | undefined {
    const a = this.units;
    let pos = offsetOf(a[0]!);
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!;
      if (c === 0) break;
      pos ^= c;
      const unit = a[pos];
      if (unit === undefined || labelOf(unit) !== c) return undefined;
      pos ^= offsetOf(unit);
      if (((unit >>> 8) & 1) === 1) return this.replacementAt(a[pos]! & 0x7fffffff);
    }
    return undefined;
  }

  private replacementAt(start: number): string {
    let end = start;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return fromUtf8.decode(this.normalized.subarray(start, end));
  }

  private normalizeGrapheme(g: string): string | null {
    const bytes = utf8.encode(g);
    if (bytes.length < 6) {
      const whole = this.transform(bytes);
      if (whole !== undefined) return whole;
    }
    let out = '';
    let changed = false;
    for (const ch of g) {
      const r = this.transform(utf8.encode(ch));
      if (r === undefined) out += ch;
      else {
        out += r;
        changed = true;
      }
    }
    return changed ? out : null;
  }

  normalize(text: string): string {
    let out = '';
    for (const { segment } of this.segmenter.segment(text)) {
      let r = this.cache.get(segment);
      if (r === undefined) {
        r = this.normalizeGrapheme(segment);
        if (this.cache.size >= MAX_CACHED) this.cache.clear();
        this.cache.set(segment, r);
      }
      out += r ?? segment;
    }
    return out;
  }
}

function labelOf(unit: number): number {
  // (1 << 31) | 0xFF: a unit whose high bit is set never equals a byte label.
  return (unit & 0x800000ff) >>> 0;
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
