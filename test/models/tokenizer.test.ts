import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPath, hasData, projectRoot } from '../../src/util/dataDir.js';
import { HfTokenizer, truncateLongestFirst } from '../../src/models/tokenizer.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'tokenizer');
const MBERT = ['tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json'];
const noMbert = hasData(...MBERT) ? false : `shared data missing: ${MBERT.join('/')}`;

interface MbertExpected {
  vocab_size: number;
  special: Record<string, number>;
  singles: Array<{ name: string; text: string; tokens: string[]; ids: number[] }>;
  pairs: Array<{ name: string; a: string; b: string; ids: number[]; token_type_ids: number[] }>;
}
const mbertExpected = JSON.parse(readFileSync(join(FIX, 'mbert_expected.json'), 'utf8')) as MbertExpected;

let mbertCache: HfTokenizer | undefined;
function mbert(): HfTokenizer {
  mbertCache ??= HfTokenizer.fromFile(dataPath(...MBERT));
  return mbertCache;
}

/** Compares polyret's ids with HF tokenizers' on every edge case; a failure names the case and the first differing token. */
function checkEdgeCases(tok: HfTokenizer, expected: MbertExpected): void {
  assert.equal(tok.vocabSize, expected.vocab_size);
  for (const c of expected.singles) {
    const e = tok.encode(c.text);
    const at = e.ids.findIndex((id, i) => id !== c.ids[i]);
    const first = at >= 0 ? at : e.ids.length !== c.ids.length ? Math.min(e.ids.length, c.ids.length) : -1;
    assert.equal(first, -1, `${c.name} ${JSON.stringify(c.text)}: first difference at token ${first}: polyret ${JSON.stringify(e.tokens.slice(first, first + 4))}, tokenizers ${JSON.stringify(c.tokens.slice(first, first + 4))}`);
    assert.deepEqual(e.tokenTypeIds, c.ids.map(() => 0));
  }
  for (const p of expected.pairs) {
    const e = tok.encode(p.a, p.b);
    assert.deepEqual(e.ids, p.ids, p.name);
    assert.deepEqual(e.tokenTypeIds, p.token_type_ids, p.name);
  }
}

test('mBERT: ids equal HF tokenizers on edge cases (scripts, astral CJK, controls, unassigned, full-width, long words, pairs)', { skip: noMbert }, () => {
  checkEdgeCases(mbert(), mbertExpected);
});

test('XLM-R-style Unigram: ids equal HF tokenizers on edge cases (charsmap vs NFKC, Metaspace split, ties, ▁ in text)', () => {
  const expected = JSON.parse(readFileSync(join(FIX, 'xlmr_unigram_expected.json'), 'utf8')) as MbertExpected;
  checkEdgeCases(HfTokenizer.fromFolder(join(FIX, 'xlmr-unigram')), expected);
});

test('mBERT: special tokens, pad id and sizes', { skip: noMbert }, () => {
  const tok = mbert();
  const s = mbertExpected.special;
  assert.equal(tok.padTokenId, s['[PAD]']);
  assert.equal(tok.specialTokens.cls?.id, s['[CLS]']);
  assert.equal(tok.specialTokens.sep?.id, s['[SEP]']);
  assert.equal(tok.specialTokens.unk?.id, s['[UNK]']);
  assert.equal(tok.specialTokens.mask?.id, s['[MASK]']);
  assert.equal(tok.numSpecialTokens(), 2);
  assert.equal(tok.numSpecialTokens(true), 3);
  // No tokenizer_config.json beside the shared file: no declared max length.
  assert.equal(tok.modelMaxLength, undefined);
});

test('mBERT: batch with truncation, padding, masks, int32 and int64', { skip: noMbert }, () => {
  const tok = mbert();
  const byName = new Map(mbertExpected.singles.map((c) => [c.name, c]));
  const long = byName.get('long_text')!;
  const cyr = byName.get('cyrillic')!;
  const empty = byName.get('empty')!;
  const maxLength = 32;
  assert.ok(long.ids.length > maxLength, 'the long case must need truncation');
  const b = tok.encodeBatch([long.text, cyr.text, empty.text], { maxLength });
  const seq = maxLength; // the long row fills it
  assert.deepEqual(b.shape, [3, seq]);
  assert.deepEqual(b.lengths, [maxLength, cyr.ids.length, 2]);
  assert.deepEqual(b.truncated, [true, false, false]);
  // Truncation keeps [CLS] first tokens ... [SEP]: the reference ids cut before the final [SEP].
  const wantLong = [...long.ids.slice(0, maxLength - 1), s('[SEP]')];
  assert.deepEqual([...b.inputIds.subarray(0, seq)], wantLong);
  const pad = s('[PAD]');
  assert.deepEqual([...b.inputIds.subarray(seq, 2 * seq)], [...cyr.ids, ...Array(seq - cyr.ids.length).fill(pad)]);
  assert.deepEqual([...b.attentionMask.subarray(seq, 2 * seq)], [...cyr.ids.map(() => 1), ...Array(seq - cyr.ids.length).fill(0)]);
  assert.deepEqual([...b.inputIds.subarray(2 * seq)], [...empty.ids, ...Array(seq - 2).fill(pad)]);
  assert.ok(b.tokenTypeIds.every((x) => x === 0));

  // int64 output holds the same numbers.
  const w = tok.encodeBatch([cyr.text, empty.text], { dtype: 'int64', padding: 'max_length', maxLength: 20 });
  assert.ok(w.inputIds instanceof BigInt64Array);
  assert.deepEqual(w.shape, [2, 20]);
  assert.deepEqual([...w.inputIds.subarray(0, cyr.ids.length)].map(Number), cyr.ids);
  assert.equal(w.attentionMask.reduce((a, x) => a + x, 0n), BigInt(cyr.ids.length + 2));

  // Left padding and padToMultipleOf.
  const l = tok.encodeBatch([cyr.text, empty.text], { paddingSide: 'left', padToMultipleOf: 8 });
  assert.equal(l.shape[1], Math.ceil(cyr.ids.length / 8) * 8);
  const row1 = [...l.inputIds.subarray(l.shape[1])];
  assert.deepEqual(row1.slice(-2), empty.ids);
  assert.ok(row1.slice(0, -2).every((x) => x === pad));

  function s(t: string): number {
    return mbertExpected.special[t]!;
  }
});

test('mBERT: pairs are truncated longest-first and typed 0/1', { skip: noMbert }, () => {
  const tok = mbert();
  const a = 'one two three four five six seven eight nine ten';
  const b = 'alpha beta';
  const ta = tok.tokenize(a);
  const tb = tok.tokenize(b);
  const e = tok.encode(a, b, { maxLength: 10 }); // 7 text tokens: b keeps its 2, a gets 5
  assert.equal(e.ids.length, 10);
  assert.deepEqual(e.tokens, ['[CLS]', ...ta.slice(0, 5), '[SEP]', ...tb, '[SEP]']);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  const batch = tok.encodeBatch([[a, b]], { maxLength: 10 });
  assert.deepEqual([...batch.tokenTypeIds], e.tokenTypeIds);
});

test('longest-first truncation matches the Rust rules (hand-checked)', () => {
  const r = (n: number) => Array.from({ length: n }, (_, i) => i);
  const lens = (x: [number[], number[]]) => [x[0].length, x[1].length];
  assert.deepEqual(lens(truncateLongestFirst(r(3), r(4), 10)), [3, 4]); // fits
  assert.deepEqual(lens(truncateLongestFirst(r(2), r(20), 10)), [2, 8]); // only the longer one is cut
  assert.deepEqual(lens(truncateLongestFirst(r(20), r(2), 10)), [8, 2]);
  assert.deepEqual(lens(truncateLongestFirst(r(12), r(20), 11)), [5, 6]); // both long: halves, odd extra to the longer
  assert.deepEqual(lens(truncateLongestFirst(r(20), r(12), 11)), [6, 5]);
  assert.deepEqual(lens(truncateLongestFirst(r(6), r(6), 10)), [5, 5]);
});

test('Unigram (XLM-R style) tokenizer: hand-checked Viterbi segmentations', () => {
  const tok = HfTokenizer.fromFolder(join(FIX, 'tiny-unigram'));
  // Scores in tiny-unigram/tokenizer.json; the best (highest total log-prob) segmentation wins, e.g.
  // "▁cats": ▁cat+s = -7 beats ▁cats = -9; "▁world": ▁wor+ld = -6 beats ▁world = -6.5.
  const cases: Array<[string, string[], number[]]> = [
    ['the cat sat.', ['<s>', '▁the', '▁cat', '▁sat', '.', '</s>'], [0, 5, 6, 11, 23, 2]],
    ['cats', ['<s>', '▁cat', 's', '</s>'], [0, 6, 9, 2]],
    ['hello world', ['<s>', '▁hello', '▁wor', 'ld', '</s>'], [0, 25, 31, 32, 2]],
    ['наше мир', ['<s>', '▁на', 'ше', '▁мир', '</s>'], [0, 12, 13, 15, 2]],
    ['東京', ['<s>', '▁東京', '</s>'], [0, 16, 2]],
    ['😀', ['<s>', '▁', '😀', '</s>'], [0, 4, 35, 2]],
    ['ü', ['<s>', '▁', 'ü', '</s>'], [0, 4, 3, 2]], // unknown character → <unk> (id 3)
    ['üü', ['<s>', '▁', 'üü', '</s>'], [0, 4, 3, 2]], // consecutive unknowns fuse into one <unk>
    ['', ['<s>', '</s>'], [0, 2]],
    ['the   cat', ['<s>', '▁the', '▁cat', '</s>'], [0, 5, 6, 2]], // Replace normalizer squeezes spaces
    ['ｔｈｅ', ['<s>', '▁the', '</s>'], [0, 5, 2]], // NFKC folds full-width letters
    ['the <mask> sat', ['<s>', '▁the', '<mask>', '▁sat', '</s>'], [0, 5, 36, 11, 2]], // lstrip special token
  ];
  for (const [text, tokens, ids] of cases) {
    const e = tok.encode(text);
    assert.deepEqual(e.tokens, tokens, JSON.stringify(text));
    assert.deepEqual(e.ids, ids, JSON.stringify(text));
  }
  // XLM-R pair template: <s> A </s></s> B </s>, all type 0.
  const p = tok.encode('the cat', 'cats');
  assert.deepEqual(p.ids, [0, 5, 6, 2, 2, 6, 9, 2]);
  assert.deepEqual(p.tokenTypeIds, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(tok.numSpecialTokens(true), 4);
  // From tokenizer_config.json.
  assert.equal(tok.modelMaxLength, 16);
  assert.equal(tok.padTokenId, 1);
  assert.equal(tok.specialTokens.mask?.id, 36);
  assert.equal(tok.vocabSize, 37);
  assert.equal(tok.decode([0, 5, 6, 2], { skipSpecialTokens: true }), 'the cat');
  // Padding uses <pad> = 1; default max length 16 truncates.
  const b = tok.encodeBatch(['the cat', '東京', 'the cat sat. '.repeat(10)]);
  assert.deepEqual(b.shape, [3, 16]);
  assert.deepEqual([...b.inputIds.subarray(16, 20)], [0, 16, 2, 1]);
  assert.deepEqual([...b.attentionMask.subarray(16, 20)], [1, 1, 1, 0]);
  assert.equal(b.inputIds[47], 2); // truncated row still ends with </s>
  assert.deepEqual(b.truncated, [false, false, true]);
});

test('model config checks: vocab size, pad id, type vocab, positions', () => {
  const tok = HfTokenizer.fromFolder(join(FIX, 'tiny-unigram'));
  const ok = { vocab_size: 40, pad_token_id: 1, type_vocab_size: 1, max_position_embeddings: 18, model_type: 'xlm-roberta' };
  tok.checkModelConfig(ok, 'model/config.json');
  assert.throws(
    () => tok.checkModelConfig({ ...ok, vocab_size: 30 }, 'model/config.json'),
    /tokenizer .*tiny-unigram\/tokenizer\.json vs model model\/config\.json: the tokenizer has ids up to 36 .* vocab_size is 30/,
  );
  assert.throws(() => tok.checkModelConfig({ ...ok, pad_token_id: 0 }, 'c.json'), /pad token <pad> has id 1 but the model's pad_token_id is 0/);
  assert.throws(() => tok.checkModelConfig({ ...ok, max_position_embeddings: 17 }, 'c.json'), /max length 16 needs 18 positions .* is 17/);
  assert.throws(() => tok.checkModelConfig({ pad_token_id: 1 }, 'c.json'), /c\.json: field vocab_size missing/);
  // A BERT-style config with type_vocab_size 1 cannot take mBERT's pair type id 1.
  if (!noMbert) {
    assert.throws(() => mbert().checkModelConfig({ vocab_size: 119547, type_vocab_size: 1 }, 'c.json'), /token type id 1 .* type_vocab_size is 1/);
    assert.throws(() => mbert().checkModelConfig({ vocab_size: 30522, pad_token_id: 0 }, 'bert/config.json'), /vocab_size is 30522/);
    mbert().checkModelConfig({ vocab_size: 119547, pad_token_id: 0, type_vocab_size: 2, max_position_embeddings: 512 }, 'c.json', 512);
  }
  // From a file.
  const dir = mkdtempSync(join(tmpdir(), 'polyret-tok-'));
  try {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ ...ok, vocab_size: 10 }));
    assert.throws(() => tok.checkModelConfigFile(cfg), new RegExp(`vs model ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*vocab_size is 10`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: missing or malformed tokenizer files and options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-tok-'));
  try {
    assert.throws(() => HfTokenizer.fromFolder(dir), new RegExp(`tokenizer\\.json not found in ${dir}`));
    writeFileSync(join(dir, 'vocab.txt'), '[PAD]\n');
    assert.throws(() => HfTokenizer.fromFolder(dir), /only a slow-tokenizer vocabulary/);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    assert.throws(() => HfTokenizer.fromFolder(dir), /tokenizer\.json: tokenizer\.json is not valid JSON/);
    writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
    assert.throws(() => HfTokenizer.fromFolder(dir), /tokenizer\.json: field "model" missing/);
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(FIX, 'tiny-unigram', 'tokenizer.json')));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"pad_token": 5');
    assert.throws(() => HfTokenizer.fromFolder(dir), /tokenizer_config\.json: tokenizer_config\.json is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tok = HfTokenizer.fromFolder(join(FIX, 'tiny-unigram'));
  assert.throws(() => tok.encode('the cat', null, { maxLength: 1 }), /maxLength 1 is smaller than the 2 special tokens/);
  assert.throws(() => tok.encode('the cat sat', null, { maxLength: 3, truncation: false }), /5 tokens exceeds maxLength 3 and truncation is off/);
  assert.throws(() => tok.encodeBatch(['the cat', 'cats s'], { padding: 'none' }), /padding 'none' needs rows of equal length, got lengths 4, 6/);
  assert.throws(() => tok.encodeBatch([42 as unknown as string]), /item 0 is neither a string nor a \[string, string\] pair/);
  // A tokenizer without any pad token cannot pad.
  const j = JSON.parse(readFileSync(join(FIX, 'tiny-unigram', 'tokenizer.json'), 'utf8')) as { added_tokens: Array<{ content: string }>; model: { vocab: [string, number][] } };
  j.added_tokens = j.added_tokens.filter((t) => t.content !== '<pad>');
  j.model.vocab[1]![0] = '<nopad>';
  const nopad = new HfTokenizer({ tokenizerPath: 'mem/tokenizer.json', tokenizerJson: j });
  assert.equal(nopad.padTokenId, undefined);
  assert.throws(() => nopad.encodeBatch(['the cat', 'cats s']), /mem\/tokenizer\.json: padding needs a pad token/);
  assert.throws(() => nopad.encodeBatch(['x'], { padding: 'max_length' }), /padding 'max_length' needs maxLength/);
});
