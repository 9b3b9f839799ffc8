/**
 * Seeded mutation fuzzing of every parser that reads a user's file: qrels, runs, JSONL training data, TSV/JSONL
 * texts, SQuAD JSON, safetensors headers, tokenizer.json, training configs (YAML) and model configs (config.json).
 * Each parser gets a valid seed input (which must parse) and mutants of it: byte flips, deleted, duplicated and
 * truncated spans, and inserted tokens that parsers trip on (quotes, brackets, tabs, newlines, NaN, 1e309, -1,
 * long runs, aliases). For every mutant the parser must either accept it or throw an Error whose message names the
 * file (and stays short); it must never crash with anything else, and never take long (a hang).
 *
 * CI: 10,000 mutants, seed 1, well under a minute. A longer run:
 *   POLYRET_FUZZ_ITERATIONS=1000000 POLYRET_FUZZ_SEED=7 npm test -- test/data/parserFuzz.test.ts
 * A failure prints the parser, iteration and seed, and writes the offending input to the temp folder it names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { parseQrels } from '../../src/eval/trec/qrels.js';
import { parseRun } from '../../src/eval/trec/run.js';
import { openJsonl } from '../../src/data/jsonl.js';
import { openSquad } from '../../src/data/squad.js';
import { readTexts } from '../../src/models/textInput.js';
import { encodeSafetensors, parseSafetensorsHeader } from '../../src/tensor/safetensors.js';
import { HfTokenizer } from '../../src/models/tokenizer.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { readEncoderConfig } from '../../src/models/config.js';

const ITERATIONS = Number(process.env.POLYRET_FUZZ_ITERATIONS ?? 10_000);
const SEED = Number(process.env.POLYRET_FUZZ_SEED ?? 1);
/** A single parse slower than this is a hang (generous: the machine may be shared). */
const HANG_MS = 5_000;
/** Error messages must stay short whatever the input (a quoted excerpt is at most ~200 characters). */
const MAX_MESSAGE = 1_500;

/** mulberry32: small, seeded, the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '\n', '\r\n', '\t', ' ', '"', "'", '{', '}', '[', ']', ',', ':', '\\', '-1', '0', '-0', '1e309', 'NaN', 'Infinity',
  'null', 'true', '[]', '{}', '""', '\u0000', 'é', '中', '\ud83d\ude00', 'x'.repeat(400), '"lang": "deu"', '99999999999999999999',
  '"dtype": "I32"', '"data_offsets": [0, 1]', '"shape": [-1]', '__metadata__', 'Q0', '#', '---', '- ', '&a', '*a', '!!binary',
];

function mutate(seed: Buffer, next: () => number): Buffer {
  let b = Buffer.from(seed);
  const int = (n: number) => Math.floor(next() * n);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length + 1);
    switch (int(6)) {
      case 0: // flip one byte
        if (b.length) b[Math.min(at, b.length - 1)] = int(256);
        break;
      case 1: { // delete a span
        const n = 1 + int(16);
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + n))]);
        break;
      }
      case 2: // insert a token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[int(TOKENS.length)]!, 'utf8'), b.subarray(at)]);
        break;
      case 3: { // duplicate a span
        const n = 1 + int(64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
        break;
      }
      case 4: // truncate
        b = b.subarray(0, at);
        break;
      default: { // replace a digit by another number
        const i = b.indexOf(0x30 + int(10), at);
        if (i >= 0) b = Buffer.concat([b.subarray(0, i), Buffer.from(['-1', '1e309', '0', '4294967296', '3'][int(5)]!), b.subarray(i + 1)]);
      }
    }
  }
  return b;
}

interface Target {
  name: string;
  /** File name the input is written to (the error must name it). */
  file: string;
  seed: Buffer;
  parse: (path: string, bytes: Buffer) => void;
}

const ROOT = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'polyret-fuzz-'));

const squadSeed = {
  version: '1.1',
  data: [{
    title: 'Berlin',
    paragraphs: [{
      context: 'Berlin is the capital. It is big and old.',
      qas: [
        { id: 'q1', question: 'What is the capital?', answers: [{ text: 'Berlin', answer_start: 0 }] },
        { id: 'q2', question: 'Is it old?', answers: [{ text: 'old', answer_start: 37 }] },
      ],
    }],
  }],
};

const targets: Target[] = [
  { name: 'qrels', file: 'qrels.txt', seed: Buffer.from('q1 0 d1 1\nq1 0 d2 0\nq2 0 d3 2\n'), parse: (p, b) => { parseQrels(b.toString('utf8'), p); } },
  { name: 'run', file: 'run.txt', seed: Buffer.from('q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 1.5 t\nq2 Q0 d3 1 0.25 t\n'), parse: (p, b) => { parseRun(b.toString('utf8'), p); } },
  {
    name: 'jsonl data', file: 'train.jsonl',
    seed: Buffer.from(`${[['q1', 'de'], ['q1', 'en'], ['q2', 'de'], ['q2', 'en']].map(([id, lang]) => JSON.stringify({ id, lang, query: `Frage ${id}`, positive: `Antwort ${id}`, negatives: ['n'] })).join('\n')}\n`),
    parse: (p, b) => { writeFileSync(p, b); openJsonl([p]).close(); },
  },
  { name: 'tsv texts', file: 'texts.tsv', seed: Buffer.from('id\ttext\na\thello world\nb\tguten Tag\n'), parse: (p, b) => { writeFileSync(p, b); readTexts(p); } },
  { name: 'jsonl texts', file: 'texts.jsonl', seed: Buffer.from('{"id": "a", "text": "hello"}\n{"id": 2, "text": "Tag"}\n'), parse: (p, b) => { writeFileSync(p, b); readTexts(p); } },
  { name: 'squad json', file: 'xquad.de.json', seed: Buffer.from(JSON.stringify(squadSeed)), parse: (p, b) => { writeFileSync(p, b); openSquad([p]).close(); } },
  {
    name: 'safetensors header', file: 'model.safetensors',
    seed: Buffer.from(encodeSafetensors([
      { name: 'a.weight', dtype: 'F32', shape: [2, 3], data: new Uint8Array(24) },
      { name: 'b.ids', dtype: 'I64', shape: [2], data: new Uint8Array(16) },
    ], { format: 'pt' })),
    parse: (p, b) => { parseSafetensorsHeader(b, p); },
  },
  {
    name: 'tokenizer.json', file: 'tokenizer.json', seed: readFileSync(join(ROOT, 'test', 'fixtures', 'models', 'tiny-bert', 'tokenizer.json')),
    parse: (p, b) => { writeFileSync(p, b); HfTokenizer.fromFile(p); },
  },
  { name: 'train config', file: 'train.yaml', seed: readFileSync(join(ROOT, 'test', 'fixtures', 'train', 'tiny.yaml')), parse: (p, b) => { writeFileSync(p, b); loadTrainConfig(p); } },
  { name: 'model config.json', file: 'config.json', seed: readFileSync(join(ROOT, 'test', 'fixtures', 'models', 'tiny-bert', 'config.json')), parse: (p, b) => { writeFileSync(p, b); readEncoderConfig(p); } },
];

test(`parsers under ${ITERATIONS} seeded mutations (seed ${SEED}): no crash, no hang, every rejection names the file`, { timeout: Math.max(600_000, ITERATIONS * 60) }, () => {
  const next = rng(SEED);
  const perTarget = Math.ceil(ITERATIONS / targets.length);
  const t0 = performance.now();
  const lines: string[] = [];
  try {
    for (const t of targets) {
      const path = join(dir, t.file);
      writeFileSync(path, t.seed);
      assert.doesNotThrow(() => t.parse(path, t.seed), `${t.name}: the seed input must parse`);
      let accepted = 0;
      let slowest = 0;
      for (let i = 0; i < perTarget; i++) {
        const input = mutate(t.seed, next);
        const start = performance.now();
        try {
          t.parse(path, input);
          accepted++;
        } catch (err) {
          const where = `${t.name}, mutant ${i} (seed ${SEED}); input kept as ${path}.failing`;
          if (!(err instanceof Error)) {
            writeFileSync(`${path}.failing`, input);
            assert.fail(`${where}: threw a non-Error ${String(err)}`);
          }
          if (!err.message.includes(path) || err.message.length > MAX_MESSAGE) {
            writeFileSync(`${path}.failing`, input);
            assert.fail(`${where}: the rejection must name ${path} in a short message, got (${err.name}, ${err.message.length} chars): ${err.message.slice(0, 300)}`);
          }
        }
        const ms = performance.now() - start;
        slowest = Math.max(slowest, ms);
        if (ms > HANG_MS) {
          writeFileSync(`${path}.failing`, input);
          assert.fail(`${t.name}, mutant ${i} (seed ${SEED}): took ${ms.toFixed(0)} ms`);
        }
      }
      lines.push(`${t.name.padEnd(20)} ${perTarget} mutants, ${accepted} accepted, ${perTarget - accepted} rejected, slowest ${slowest.toFixed(1)} ms`);
    }
  } finally {
    process.stderr.write(`${lines.join('\n')}\n${totalMutants(ITERATIONS)} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  // The fuzzing must exercise both paths of every parser, or it proves nothing about it.
  for (const l of lines) assert.doesNotMatch(l, / 0 rejected/, `every parser rejects some mutants: ${l}`);
  rmSync(dir, { recursive: true, force: true });
});

function totalMutants(n: number): string {
  return `${Math.ceil(n / targets.length) * targets.length} mutants`;
}
