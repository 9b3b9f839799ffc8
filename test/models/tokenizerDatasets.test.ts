// Token ids identical to Hugging Face `tokenizers` (the Rust library, Python package) on every text of XQuAD,
// XQuAD-R, MLQA-R and Tatoeba, for mBERT's WordPiece tokenizer and an XLM-R-style Unigram tokenizer
// (Precompiled nmt_nfkc normalizer, Metaspace). The reference is per text a 2-byte hash and per file a digest
// of the ids, made by scripts/fixtures/tokenizer/gen_dataset_ids.py, which also documents the text order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, hasData, projectRoot } from '../../src/util/dataDir.js';
import { HfTokenizer } from '../../src/models/tokenizer.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'tokenizer');
const REGENERATE = '.venv/bin/python scripts/fixtures/tokenizer/gen_dataset_ids.py';

interface FileRef { dataset: string; file: string; sha256: string; texts: number; ids: number; digest: string }
interface Reference { tokenizer: string; tokenizers_version: string; files: FileRef[] }

interface SquadJson {
  data: Array<{ paragraphs: Array<{ context: string; sentences?: string[]; qas: Array<{ question: string; answers?: Array<{ text: string }> }> }> }>;
}

/** The texts of a data file in the generator's order, each kept once (first occurrence). */
function textsOf(ref: FileRef, bytes: Buffer): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string): void => {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  if (ref.dataset === 'tatoeba') {
    const lines = bytes.toString('utf8').split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach(add);
    return out;
  }
  const d = JSON.parse(bytes.toString('utf8')) as SquadJson;
  for (const article of d.data) {
    for (const p of article.paragraphs) {
      add(p.context);
      for (const s of p.sentences ?? []) add(s);
      for (const q of p.qas) {
        add(q.question);
        for (const a of q.answers ?? []) add(a.text);
      }
    }
  }
  return out;
}

function idsHash(ids: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * ids.length);
  for (let i = 0; i < ids.length; i++) b.writeInt32LE(ids[i]!, 4 * i);
  return createHash('sha1').update(b).digest();
}

const clip = (t: string): string => JSON.stringify(t.length > 120 ? `${t.slice(0, 120)}…` : t);

/**
 * Tokenizes every text of every file with polyret and compares with the reference; returns the failures as
 * readable lines (data file changed, text count, per-text hash mismatches with the text and polyret's tokens).
 */
function compareAll(tok: HfTokenizer, name: string): { failures: string[]; texts: number; ms: number; cpuMs: number } {
  const ref = JSON.parse(readFileSync(join(FIX, 'datasets', `${name}.json`), 'utf8')) as Reference;
  const short = readFileSync(join(FIX, 'datasets', `${name}.hashes.bin`));
  const failures: string[] = [];
  let mismatched = 0;
  let at = 0;
  let texts = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const f of ref.files) {
    const bytes = readFileSync(join(dataDir(), f.file));
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== f.sha256) {
      failures.push(`${f.file}: the data file differs from the one the reference was made from (sha256 ${sha}, expected ${f.sha256}); regenerate with ${REGENERATE}`);
      at += 2 * f.texts;
      continue;
    }
    const list = textsOf(f, bytes);
    if (list.length !== f.texts) {
      failures.push(`${f.file}: ${list.length} texts extracted, the reference has ${f.texts} (text extraction differs from the generator's)`);
      at += 2 * f.texts;
      continue;
    }
    const digest = createHash('sha1');
    let nIds = 0;
    list.forEach((text, i) => {
      const ids = tok.encode(text).ids;
      nIds += ids.length;
      const h = idsHash(ids);
      digest.update(h);
      if (h[0] !== short[at + 2 * i] || h[1] !== short[at + 2 * i + 1]) {
        mismatched++;
        if (mismatched <= 15) {
          failures.push(`${f.dataset} ${f.file} text ${i} ${clip(text)}: ids differ from tokenizers ${ref.tokenizers_version}; polyret gives ${ids.length} ids: ${JSON.stringify(tok.tokenize(text).slice(0, 40))}`);
        }
      }
    });
    at += 2 * f.texts;
    texts += list.length;
    const got = digest.digest('hex');
    if (got !== f.digest && mismatched === 0) {
      // Only possible if a text differs with an equal 2-byte hash (p = 1/65536 per differing text).
      failures.push(`${f.file}: ids digest ${got} differs from ${f.digest} (${nIds} ids, reference ${f.ids}) although no per-text hash differs`);
    }
  }
  if (mismatched > 15) failures.push(`… ${mismatched} texts differ in all`);
  const cpu = process.cpuUsage(cpu0);
  return { failures, texts, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const MBERT = ['tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json'];
const DATASETS = ['xquad', 'xquad-r', 'mlqa-r', 'tatoeba_laser'];
const missing = [MBERT.join('/'), ...DATASETS].filter((p) => !hasData(...p.split('/')));
const skip = missing.length > 0 ? `shared data missing: ${missing.join(', ')}` : false;

test('mBERT WordPiece: ids identical to HF tokenizers on every text of XQuAD, XQuAD-R, MLQA-R and Tatoeba', { skip }, () => {
  const tok = HfTokenizer.fromFile(join(dataDir(), ...MBERT));
  const r = compareAll(tok, 'mbert');
  console.log(`mbert: ${r.texts} texts in ${(r.ms / 1000).toFixed(1)} s (CPU ${(r.cpuMs / 1000).toFixed(1)} s)`);
  assert.equal(r.failures.length, 0, r.failures.join('\n'));
});

test('XLM-R-style Unigram (Precompiled nmt_nfkc, Metaspace): ids identical to HF tokenizers on every text of the four datasets', { skip }, () => {
  const tok = HfTokenizer.fromFolder(join(FIX, 'xlmr-unigram'));
  const r = compareAll(tok, 'xlmr-unigram');
  console.log(`xlmr-unigram: ${r.texts} texts in ${(r.ms / 1000).toFixed(1)} s (CPU ${(r.cpuMs / 1000).toFixed(1)} s)`);
  assert.equal(r.failures.length, 0, r.failures.join('\n'));
});
