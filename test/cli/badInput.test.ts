/**
 * Bad inputs and faults, command by command (issue #11): one table, one row per case, each naming the defect it
 * guards (1–18 in the issue). Every row runs the real CLI in a child process and checks the exit status, that the
 * message names the file (or flag) and says what was expected, and that nothing was left half-written or destroyed.
 *
 * Full disks are simulated through the output writer's test seam: POLYRET_TEST_WRITE_FAULT=ENOSPC@N makes the N-th
 * data write of the process fail with ENOSPC, exactly where a full disk would (no root, no tmpfs needed).
 * POLYRET_CLI_ROOT runs the same table against another checkout (how the rows were checked to fail before the fix).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dataDir, hasData, projectRoot } from '../../src/util/dataDir.js';
import { loadLareqa } from '../../src/eval/tasks/lareqaData.js';
import { writeEmbeddings } from '../../src/models/embeddingOutput.js';

const ROOT = process.env.POLYRET_CLI_ROOT ?? projectRoot();
const BIN = join(ROOT, 'bin', 'polyret.js');
const TOKENIZER = join(dataDir(), 'tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json');
const TINY_TRAIN = join(projectRoot(), 'test', 'fixtures', 'train', 'tiny.yaml');
const haveData = hasData('xquad-r', 'de.json') && hasData('xquad', 'xquad.de.json') && existsSync(TOKENIZER);

interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function polyret(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, POLYRET_NO_PROGRESS: '1', POLYRET_THREADS: '1', ...env },
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A failed run: non-zero exit (not a crash by signal), the message matching every pattern. */
function fails(r: Run, ...patterns: RegExp[]): void {
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.notEqual(r.status, 0, `expected a failure, got exit 0\nstdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 500)}`);
  for (const p of patterns) assert.match(r.stderr, p);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
}

/** Every path under `dir` whose name marks a temporary (ours: `.x.tmp-…`, `.x.old-…`, older `.x.<pid>.<ts>.tmp`). */
function temporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (/\.(tmp|old)(-|$)|\.tmp$|\.tmp-\d+/.test(e.name)) out.push(p);
    if (e.isDirectory()) out.push(...temporaries(p));
  }
  return out;
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- shared fixtures, made once ----

let dir = '';
let model = '';
let texts = '';
let emb2 = ''; // xquad-r de+en embeddings (random vectors)
let res2 = ''; // results of emb2, name 'mödel 1'
let res2b = ''; // the same, name 'mädel 1'
let res1 = ''; // results over de alone

/** Random vectors for every xquad-r id of `langs` (the files eval --embeddings reads). */
function lareqaEmbeddings(path: string, langs: string[], dim = 8, edit?: (ids: string[], rows: Float32Array) => void): void {
  const ds = loadLareqa('xquad-r', langs);
  const ids = ds.languages.flatMap((l) => [...l.candidates.map((c) => c.id), ...l.questions.map((q) => q.id)]);
  let s = 12345;
  const rows = new Float32Array(ids.length * dim).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  edit?.(ids, rows);
  writeEmbeddings(path, ids, rows, dim);
}

/** Rewrites a safetensors file with `edit` applied to its parsed header and/or its data bytes. */
function editSafetensors(path: string, edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>, data: Buffer) => void): void {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = Buffer.from(b.subarray(8 + n));
  edit(header, data);
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  writeFileSync(path, Buffer.concat([len, text, data]));
}

function copyModel(name: string): string {
  const m = join(dir, name);
  cpSync(model, m, { recursive: true });
  return m;
}

before(() => {
  if (!haveData) return;
  dir = mkdtempSync(join(tmpdir(), 'polyret-badinput-'));
  model = join(dir, 'model');
  const r = polyret(['init-model', '--arch', 'bert', '--layers', '1', '--hidden', '32', '--heads', '2', '--vocab-from', TOKENIZER, '--max-length', '64', '--output', model]);
  assert.equal(r.status, 0, r.stderr);
  texts = join(dir, 'texts.jsonl');
  writeFileSync(texts, `${['ein Haus', 'a house', 'una casa'].map((t, i) => JSON.stringify({ id: `t${i}`, text: t })).join('\n')}\n`);
  emb2 = join(dir, 'emb2.safetensors');
  lareqaEmbeddings(emb2, ['de', 'en']);
  res2 = join(dir, 'res2.json');
  res2b = join(dir, 'res2b.json');
  res1 = join(dir, 'res1.json');
  for (const [out, langs, name] of [[res2, 'de,en', 'mödel 1'], [res2b, 'de,en', 'mädel 1'], [res1, 'de', 'one']] as const) {
    const e = polyret(['eval', '--task', 'xquad-r', '--lang', langs, '--embeddings', emb2, '--out', out, '--name', name]);
    assert.equal(e.status, 0, e.stderr);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A short training run (tiny.yaml: 1 layer, 32 wide, XQuAD de/en/es) into `out`. */
function train(out: string, extra: string[], env: Record<string, string> = {}): Run {
  return polyret(['train', '--config', TINY_TRAIN, '--output', out, '--quiet', ...extra], env);
}

interface Case {
  defect: number;
  command: string;
  what: string;
  run: () => void | Promise<void>;
}

const cases: Case[] = [
  // ---- 1: the output is an existing folder: refused before the work, nothing left beside it ----
  {
    defect: 1, command: 'encode', what: '--output is an existing folder',
    run: () => {
      const out = join(dir, 'd1', 'x.safetensors');
      mkdirSync(out, { recursive: true });
      fails(polyret(['encode', '--model', model, '--input', texts, '--output', out]), new RegExp(`cannot write ${esc(out)}: it is an existing folder.*\\(EISDIR\\)`));
      assert.doesNotMatch(polyret(['encode', '--model', model, '--input', texts, '--output', out]).stderr, /encoded \d+ texts/, 'refused before the work');
      assert.deepEqual(temporaries(join(dir, 'd1')), []);
    },
  },
  {
    defect: 1, command: 'eval', what: '--out is an existing folder',
    run: () => {
      const out = join(dir, 'd1e', 'results.json');
      mkdirSync(out, { recursive: true });
      const r = polyret(['eval', '--task', 'xquad-r', '--lang', 'de,en', '--embeddings', emb2, '--out', out]);
      fails(r, new RegExp(`cannot write ${esc(out)}: it is an existing folder`));
      assert.doesNotMatch(r.stdout, /Mo\./, 'refused before the evaluation');
      assert.deepEqual(temporaries(join(dir, 'd1e')), []);
    },
  },
  {
    defect: 1, command: 'batches', what: '--plot is an existing folder',
    run: () => {
      const out = join(dir, 'd1b', 'pairs.svg');
      mkdirSync(out, { recursive: true });
      const r = polyret(['batches', '--data', join(dataDir(), 'xquad', 'xquad.de.json'), '--data', join(dataDir(), 'xquad', 'xquad.en.json'), '--limit', '2', '--batch-size', '4', '--plot', out]);
      fails(r, new RegExp(`cannot write ${esc(out)}: it is an existing folder`));
      assert.doesNotMatch(r.stdout, /batch 0/, 'refused before the batches are drawn');
      assert.deepEqual(temporaries(join(dir, 'd1b')), []);
    },
  },
  // ---- 2: a NaN row in --embeddings ----
  {
    defect: 2, command: 'eval', what: 'a NaN row in --embeddings is an error naming the row id',
    run: () => {
      const e = join(dir, 'nan.safetensors');
      let bad = '';
      lareqaEmbeddings(e, ['de', 'en'], 8, (ids, rows) => {
        const i = ids.findIndex((id) => id.startsWith('q/de/'));
        bad = ids[i]!;
        rows[i * 8 + 3] = Number.NaN;
      });
      const out = join(dir, 'nan.json');
      fails(polyret(['eval', '--task', 'xquad-r', '--lang', 'de,en', '--embeddings', e, '--out', out]), new RegExp(`${esc(e)}.*NaN or infinite.*'${esc(bad)}'`));
      assert.ok(!existsSync(out), 'no results file');
    },
  },
  // ---- 3: NaN weights ----
  {
    defect: 3, command: 'encode', what: 'NaN weights are refused at load, naming the tensor',
    run: () => {
      const m = copyModel('nan-model');
      editSafetensors(join(m, 'model.safetensors'), (h, data) => {
        data.writeFloatLE(Number.NaN, h['encoder.layer.0.attention.self.query.weight']!.data_offsets[0] + 8);
      });
      const out = join(dir, 'nan-out.safetensors');
      fails(polyret(['encode', '--model', m, '--input', texts, '--output', out]), /model\.safetensors.*non-finite weights[\s\S]*encoder\.layer\.0\.attention\.self\.query\.weight: 1 of 1024 values are NaN or infinite/);
      assert.ok(!existsSync(out));
    },
  },
  // ---- 4: a safetensors dtype that lies (same byte size) ----
  {
    defect: 4, command: 'encode', what: 'an F32 tensor whose header says I32 is refused, naming the tensor',
    run: () => {
      const m = copyModel('i32-model');
      editSafetensors(join(m, 'model.safetensors'), (h) => { h['encoder.layer.0.output.dense.weight']!.dtype = 'I32'; });
      fails(polyret(['encode', '--model', m, '--input', texts, '--output', join(dir, 'i32.safetensors')]), /model\.safetensors.*dtype mismatch[\s\S]*encoder\.layer\.0\.output\.dense\.weight: the model needs a floating-point float32 tensor, the checkpoint has int32/);
    },
  },
  {
    defect: 4, command: 'eval', what: 'eval --model with the I32 header is refused the same way',
    run: () => {
      const m = copyModel('i32-model-eval');
      editSafetensors(join(m, 'model.safetensors'), (h) => { h['embeddings.LayerNorm.weight']!.dtype = 'I32'; });
      fails(polyret(['eval', '--task', 'xquad-r', '--lang', 'de', '--model', m, '--out', join(dir, 'i32.json')]), /dtype mismatch[\s\S]*embeddings\.LayerNorm\.weight.*has int32/);
    },
  },
  // ---- 5: score with nothing to score ----
  {
    defect: 5, command: 'score', what: 'empty qrels, empty run, and no query in both exit non-zero',
    run: () => {
      const q = join(dir, 'q.txt');
      const run = join(dir, 'r.txt');
      const empty = join(dir, 'empty.txt');
      writeFileSync(q, 'q1 0 d1 1\nq2 0 d2 1\n');
      writeFileSync(run, 'x1 Q0 d1 1 2.0 t\n');
      writeFileSync(empty, '');
      fails(polyret(['score', '--qrels', empty, '--run', run]), new RegExp(`${esc(empty)}: no judgements`));
      fails(polyret(['score', '--qrels', q, '--run', empty]), new RegExp(`${esc(empty)}: no results`));
      fails(polyret(['score', '--qrels', q, '--run', run]), new RegExp(`no query is in both ${esc(q)} .* and ${esc(run)}`));
      fails(polyret(['score', '--qrels', q, '--run', run, '--complete']), /no query is in both/);
    },
  },
  // ---- 6, 8, 13: resume to a larger --max-steps; an existing run folder; an edited trainer.json ----
  {
    defect: 6, command: 'train', what: '--resume with a larger --max-steps trains to it',
    run: () => {
      const out = join(dir, 'run6');
      let r = train(out, ['--max-steps', '6']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /after 6 steps/);
      cpSync(out, join(dir, 'run13'), { recursive: true }); // for defect 13
      cpSync(out, join(dir, 'run8'), { recursive: true }); // for defect 8
      r = train(out, ['--resume', '--max-steps', '8']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /finished: max-steps after 8 steps/);
      assert.ok(existsSync(join(out, 'checkpoints', 'step-00000008')), 'a checkpoint at the new last step');
    },
  },
  {
    defect: 8, command: 'train', what: 'train without --resume into an existing run folder is refused, nothing deleted',
    run: () => {
      const out = join(dir, 'run8');
      assert.ok(existsSync(out), 'made by the defect-6 row');
      const before = readdirSync(join(out, 'checkpoints')).sort();
      const metrics = sha(join(out, 'metrics.jsonl'));
      fails(train(out, ['--max-steps', '2']), new RegExp(`cannot write ${esc(out)}: it is an existing run folder .*--resume.*--overwrite`));
      assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), before);
      assert.equal(sha(join(out, 'metrics.jsonl')), metrics);
    },
  },
  {
    defect: 13, command: 'train', what: 'an edited trainer.json with a valid checksum is validated (file and field named)',
    run: () => {
      const out = join(dir, 'run13');
      assert.ok(existsSync(out), 'made by the defect-6 row');
      const ck = join(out, 'checkpoints', 'step-00000006');
      const edit = (f: (s: Record<string, unknown>) => void) => {
        const p = join(ck, 'trainer.json');
        const s = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
        f(s);
        writeFileSync(p, `${JSON.stringify(s)}\n`);
        const m = JSON.parse(readFileSync(join(ck, 'manifest.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };
        m.files['trainer.json'] = { bytes: statSync(p).size, sha256: sha(p) };
        writeFileSync(join(ck, 'manifest.json'), JSON.stringify(m));
      };
      const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
      edit((s) => { s.step = -3; });
      fails(train(out, ['--resume', '--max-steps', '8']), new RegExp(`${esc(join(ck, 'trainer.json'))}: field step: .*`));
      assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metrics, 'the metrics history is untouched');
      edit((s) => { s.step = 6; s.optimizer = 'x'; });
      fails(train(out, ['--resume', '--max-steps', '8']), new RegExp(`${esc(join(ck, 'trainer.json'))}: field optimizer: `));
      edit((s) => { s.optimizer = undefined; s.rng = 42; });
      fails(train(out, ['--resume', '--max-steps', '8']), /trainer\.json: field optimizer: .*; field rng: /);
    },
  },
  // ---- 7: dropLast with a batch larger than the data ----
  {
    defect: 7, command: 'train', what: 'dropLast with a batch larger than the data is refused before training',
    run: () => {
      const out = join(dir, 'run7');
      fails(train(out, ['--set', 'sampling.dropLast=true', '--set', 'training.batchSize=100000', '--set', 'training.miniBatch=null']), /dropLast with batch size 100000 can never form a batch/);
      assert.ok(!existsSync(join(out, 'final')), 'no untrained final/');
    },
  },
  {
    defect: 7, command: 'batches', what: '--drop-last with a batch larger than the data is refused',
    run: () => {
      fails(polyret(['batches', '--data', join(dataDir(), 'xquad', 'xquad.de.json'), '--batch-size', '100000', '--drop-last']), /dropLast with batch size 100000 can never form a batch/);
    },
  },
  // ---- 9: init-model over a model; on a full disk ----
  {
    defect: 9, command: 'init-model', what: '--output over an existing model folder is refused without --overwrite',
    run: () => {
      const m = copyModel('keep-model');
      const w = sha(join(m, 'model.safetensors'));
      const args = ['init-model', '--arch', 'bert', '--layers', '1', '--hidden', '32', '--heads', '2', '--vocab-from', TOKENIZER, '--max-length', '64', '--seed', '5', '--output', m];
      fails(polyret(args), new RegExp(`cannot write ${esc(m)}: it is an existing model folder .*--overwrite`));
      assert.equal(sha(join(m, 'model.safetensors')), w, 'weights untouched');
      const r = polyret([...args, '--overwrite']);
      assert.equal(r.status, 0, r.stderr);
      assert.notEqual(sha(join(m, 'model.safetensors')), w, '--overwrite replaces');
      assert.deepEqual(temporaries(dir).filter((p) => p.includes('keep-model')), []);
    },
  },
  {
    defect: 9, command: 'init-model', what: 'a full disk (ENOSPC) leaves no folder and no temporaries',
    run: () => {
      const out = join(dir, 'full', 'model');
      const r = polyret(['init-model', '--arch', 'bert', '--layers', '1', '--hidden', '32', '--heads', '2', '--vocab-from', TOKENIZER, '--output', out], { POLYRET_TEST_WRITE_FAULT: 'ENOSPC@3' });
      fails(r, new RegExp(`cannot write ${esc(out)}/\\S+: no space left on the device \\(ENOSPC\\)`));
      assert.ok(!existsSync(out), 'no half-written model folder');
      assert.deepEqual(temporaries(join(dir, 'full')), []);
    },
  },
  // ---- 10: report failures and full disks leave nothing half-done ----
  {
    defect: 10, command: 'report', what: 'results with different languages: refused, no folder written',
    run: () => {
      const out = join(dir, 'rep10');
      fails(polyret(['report', res2, res1, '--out', out, '--samples', '100']), /report: 'one' covers the languages de but 'mödel 1' covers de, en/);
      assert.ok(!existsSync(out), 'no partial report folder');
    },
  },
  {
    defect: 10, command: 'report', what: 'a full disk during report leaves no folder and no temporaries; an older report survives',
    run: () => {
      const out = join(dir, 'rep10b');
      let r = polyret(['report', res2, '--out', out, '--samples', '100', '--no-png']);
      assert.equal(r.status, 0, r.stderr);
      const old = sha(join(out, 'report.md'));
      r = polyret(['report', res2, res2b, '--out', out, '--samples', '100'], { POLYRET_TEST_WRITE_FAULT: 'ENOSPC@2' });
      fails(r, new RegExp(`cannot write ${esc(out)}/\\S+: no space left on the device \\(ENOSPC\\)`));
      assert.equal(sha(join(out, 'report.md')), old, 'the earlier report is intact');
      assert.deepEqual(temporaries(dir).filter((p) => p.includes('rep10b')), []);
    },
  },
  {
    defect: 10, command: 'batches', what: 'a full disk while writing the PNG leaves neither picture',
    run: () => {
      const out = join(dir, 'd10b', 'pairs.svg');
      mkdirSync(join(dir, 'd10b'));
      const r = polyret(['batches', '--data', join(dataDir(), 'xquad', 'xquad.de.json'), '--data', join(dataDir(), 'xquad', 'xquad.en.json'), '--limit', '2', '--batch-size', '4', '--plot', out], { POLYRET_TEST_WRITE_FAULT: 'ENOSPC@2' });
      fails(r, /pairs\.png: no space left on the device \(ENOSPC\)/);
      assert.deepEqual(readdirSync(join(dir, 'd10b')), [], 'no SVG without its PNG, no temporaries');
    },
  },
  {
    defect: 10, command: 'train', what: 'a full disk during training names the file and leaves no .tmp folders',
    run: () => {
      const out = join(dir, 'run10');
      const r = train(out, ['--max-steps', '4'], { POLYRET_TEST_WRITE_FAULT: 'ENOSPC@4' });
      fails(r, new RegExp(`cannot write ${esc(out)}/\\S+: no space left on the device \\(ENOSPC\\)`));
      assert.deepEqual(temporaries(out), []);
      assert.ok(!existsSync(join(out, 'final')), 'no final model from a failed run');
    },
  },
  // ---- 11: report file names after non-ASCII replacement ----
  {
    defect: 11, command: 'report', what: "'mödel 1' and 'mädel 1' get distinct heatmap files",
    run: () => {
      const out = join(dir, 'rep11');
      const r = polyret(['report', res2, res2b, '--out', out, '--samples', '100']);
      assert.equal(r.status, 0, r.stderr);
      const svgs = readdirSync(out).filter((f) => f.startsWith('heatmap-') && f.endsWith('.svg'));
      const pngs = readdirSync(out).filter((f) => f.startsWith('heatmap-') && f.endsWith('.png'));
      const csvs = readdirSync(out).filter((f) => f.startsWith('matrix-'));
      assert.equal(svgs.length, 2, `two heatmaps: ${svgs.join(', ')}`);
      assert.equal(pngs.length, 2);
      assert.equal(csvs.length, 2);
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      for (const f of svgs) assert.ok(md.includes(`(${f})`), `report.md links ${f}`);
      // Each heatmap is its own system's (one did not overwrite the other).
      const owners = svgs.map((f) => readFileSync(join(out, f), 'utf8')).map((svg) => (svg.includes('mödel 1') ? 'mödel 1' : svg.includes('mädel 1') ? 'mädel 1' : '?'));
      assert.deepEqual(owners.sort(), ['mädel 1', 'mödel 1']);
    },
  },
  // ---- 12: language aliases ----
  {
    defect: 12, command: 'batches', what: "'de' and 'deu' are one language",
    run: () => {
      const p = join(dir, 'aliases.jsonl');
      const rows: string[] = [];
      for (let i = 0; i < 6; i++) {
        rows.push(JSON.stringify({ id: `q${i}`, lang: i % 2 ? 'de' : 'deu', query: `Frage ${i}`, positive: `Antwort ${i}` }));
        rows.push(JSON.stringify({ id: `q${i}`, lang: 'en', query: `question ${i}`, positive: `answer ${i}` }));
        rows.push(JSON.stringify({ id: `q${i}`, lang: i % 2 ? 'zh' : 'cmn', query: `问题 ${i}`, positive: `回答 ${i}` }));
      }
      writeFileSync(p, `${rows.join('\n')}\n`);
      const r = polyret(['batches', '--data', p, '--mode', 'cross', '--batch-size', '3', '--json', '--limit', '0']);
      assert.equal(r.status, 0, r.stderr);
      const langs = new Set(r.stdout.trim().split('\n').flatMap((l) => (JSON.parse(l) as { items: Array<{ queryLang: string; passageLang: string }> }).items.flatMap((it) => [it.queryLang, it.passageLang])));
      assert.deepEqual([...langs].sort(), ['de', 'en', 'zh']);
      const t = polyret(['batches', '--data', p, '--batch-size', '3', '--limit', '1']);
      assert.match(t.stdout, /6 ids in 3 languages/);
    },
  },
  // ---- 14: one language: cross-lingual averages are n/a / null ----
  {
    defect: 14, command: 'eval', what: 'with one language the cross-lingual averages are n/a and null',
    run: () => {
      const j = JSON.parse(readFileSync(res1, 'utf8')) as { lareqa: { summary: { cross: { settings: number; metrics: Record<string, number | null> } } } };
      assert.equal(j.lareqa.summary.cross.settings, 0);
      assert.equal(j.lareqa.summary.cross.metrics.mAP, null);
      const r = polyret(['eval', '--task', 'xquad-r', '--lang', 'de', '--embeddings', emb2, '--out', join(dir, 'one-again.json')]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Cr\.\s+0\s+n\/a/);
      const rep = polyret(['report', res1, '--out', join(dir, 'rep14'), '--samples', '100', '--no-png']);
      assert.equal(rep.status, 0, rep.stderr);
      assert.match(readFileSync(join(dir, 'rep14', 'report.md'), 'utf8'), /\| Cr\. \| 0 \| n\/a \|/);
    },
  },
  // ---- 15: SIGINT ----
  {
    defect: 15, command: 'train', what: 'SIGINT says where the run stands, exits 130 and leaves no temporaries',
    run: async () => {
      const out = join(dir, 'run15');
      const child = spawn(process.execPath, [BIN, 'train', '--config', TINY_TRAIN, '--output', out, '--quiet', '--max-steps', '400', '--set', 'training.checkpointEvery=1'], {
        env: { ...process.env, POLYRET_NO_PROGRESS: '1', POLYRET_THREADS: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
      const deadline = Date.now() + 90_000;
      // Any checkpoint from step 2 on: only the last 3 are kept, so on a fast CPU step 2's is gone again within a
      // poll interval (seen on an Emerald Rapids VM: the run finished its 400 steps unseen, exit 0).
      const pastStep2 = () => {
        const d = join(out, 'checkpoints');
        return existsSync(d) && readdirSync(d).some((n) => /^step-\d+$/.test(n) && Number(n.slice(5)) >= 2);
      };
      while (!pastStep2() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const { code, signal } = await exited;
      assert.equal(signal, null, `killed by ${signal} without a message; stderr: ${stderr}`);
      assert.equal(code, 130, stderr);
      assert.match(stderr, /interrupted by SIGINT/);
      assert.match(stderr, /training stopped at step \d+; the checkpoint of step \d+ is intact: continue with --resume/);
      assert.deepEqual(temporaries(out), []);
    },
  },
  // ---- 16: raw errors become messages naming the path ----
  {
    defect: 16, command: 'score', what: 'a folder given as --qrels',
    run: () => {
      const d = join(dir, 'qrels-dir');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(dir, 'run16.txt'), 'q1 Q0 d1 1 1.0 t\n');
      fails(polyret(['score', '--qrels', d, '--run', join(dir, 'run16.txt')]), new RegExp(`cannot read qrels ${esc(d)}: it is a folder, not a file \\(EISDIR\\)`));
    },
  },
  {
    defect: 16, command: 'eval', what: 'a read-only output location',
    run: () => {
      // As root, permissions do not stop writes: /sys refuses new files for everyone. Otherwise a chmod 555 folder.
      let out = '/sys/polyret-test/results.json';
      if (process.getuid?.() !== 0) {
        const ro = join(dir, 'ro');
        mkdirSync(ro, { recursive: true, mode: 0o555 });
        out = join(ro, 'sub', 'results.json');
      }
      const r = polyret(['eval', '--task', 'xquad-r', '--lang', 'de', '--embeddings', emb2, '--out', out]);
      fails(r, new RegExp(`cannot write ${esc(out)}: the folder \\S+ (is not writable|does not accept new files)`));
      assert.doesNotMatch(r.stderr, /ENOENT/, 'not the misleading ENOENT of mkdir');
    },
  },
  {
    defect: 16, command: 'report', what: 'an output that is an existing file',
    run: () => {
      const f = join(dir, 'a-file');
      writeFileSync(f, 'mine');
      fails(polyret(['report', res2, '--out', f, '--samples', '100']), new RegExp(`cannot write ${esc(f)}: it is an existing file; give a folder name \\(EEXIST\\)`));
      assert.equal(readFileSync(f, 'utf8'), 'mine');
    },
  },
  {
    defect: 16, command: 'encode', what: 'a full disk names the file',
    run: () => {
      const out = join(dir, 'd16', 'e.safetensors');
      mkdirSync(join(dir, 'd16'));
      fails(polyret(['encode', '--model', model, '--input', texts, '--output', out], { POLYRET_TEST_WRITE_FAULT: 'ENOSPC@1' }), new RegExp(`cannot write ${esc(out)}: no space left on the device \\(ENOSPC\\)`));
      assert.deepEqual(readdirSync(join(dir, 'd16')), []);
    },
  },
  {
    defect: 16, command: 'eval', what: 'a truncated .gz corpus names the file',
    run: () => {
      const gz = join(dir, 'corpus.jsonl.gz');
      const full = gzipSync(Buffer.from(Array.from({ length: 200 }, (_, i) => JSON.stringify({ docid: `d${i}`, title: 't', text: `passage ${i} `.repeat(20) })).join('\n')));
      writeFileSync(gz, full.subarray(0, Math.floor(full.length / 2)));
      const out = join(dir, 'texts16.jsonl');
      fails(polyret(['eval', '--task', 'miracl', '--lang', 'sw', '--corpus', gz, '--export-texts', out]), new RegExp(`${esc(gz)}: the gzip data is truncated`));
      assert.ok(!existsSync(out));
      assert.deepEqual(temporaries(dir).filter((p) => p.includes('texts16')), []);
    },
  },
  {
    defect: 16, command: 'encode', what: '--device cuda without CUDA',
    run: () => {
      const r = polyret(['encode', '--model', model, '--input', texts, '--output', join(dir, 'cuda.safetensors'), '--device', 'cuda']);
      if (r.status === 0) return; // a machine with CUDA: nothing to refuse
      fails(r, /--device cuda: libtorch \S+ sees no CUDA device/);
    },
  },
  {
    defect: 16, command: 'eval', what: 'an [N, 0] embeddings tensor',
    run: () => {
      const e = join(dir, 'zero.safetensors');
      writeEmbeddings(e, ['q/de/1', 'c/de/1/1/1'], new Float32Array(0), 0);
      fails(polyret(['eval', '--task', 'xquad-r', '--lang', 'de', '--embeddings', e, '--out', join(dir, 'zero.json')]), new RegExp(`${esc(e)}: tensor 'embeddings' is \\[2, 0\\]`));
    },
  },
  {
    defect: 16, command: 'report', what: 'a string metric in a results file',
    run: () => {
      const bad = join(dir, 'bad-metric.json');
      const j = JSON.parse(readFileSync(res2, 'utf8')) as { lareqa: { settings: Array<{ metrics: Record<string, unknown> }> } };
      j.lareqa.settings[1]!.metrics.mAP = 'x';
      writeFileSync(bad, JSON.stringify(j));
      fails(polyret(['report', bad, '--out', join(dir, 'rep16'), '--samples', '100']), new RegExp(`${esc(bad)}: field lareqa\\.settings\\.1\\.metrics\\.mAP: `));
      assert.ok(!existsSync(join(dir, 'rep16')));
    },
  },
  {
    defect: 16, command: 'demo', what: '--output is an existing file',
    run: () => {
      const f = join(dir, 'demo-file');
      writeFileSync(f, 'mine');
      fails(polyret(['demo', '--output', f, '--quiet']), new RegExp(`cannot write ${esc(f)}: it is an existing file`));
      assert.equal(readFileSync(f, 'utf8'), 'mine');
    },
  },
  // ---- 17: negative numbers as flag values reach the range checks ----
  {
    defect: 17, command: 'batches', what: '--limit -1 and --alpha -0.1',
    run: () => {
      const data = join(dataDir(), 'xquad', 'xquad.de.json');
      fails(polyret(['batches', '--data', data, '--limit', '-1']), /--limit must be a non-negative integer, got '-1'/);
      fails(polyret(['batches', '--data', data, '--alpha', '-0.1']), /--alpha must be a number in \[0, 1\], got '-0.1'/);
    },
  },
  {
    defect: 17, command: 'encode', what: '--threads -1',
    run: () => {
      fails(polyret(['encode', '--model', model, '--input', texts, '--output', join(dir, 't.safetensors'), '--threads', '-1']), /--threads must be a positive integer, got '-1'/);
    },
  },
  {
    defect: 17, command: 'score', what: '-l -1 is a value (trec_eval -l)',
    run: () => {
      const q = join(dir, 'q17.txt');
      const run = join(dir, 'r17.txt');
      writeFileSync(q, 'q1 0 d1 1\n');
      writeFileSync(run, 'q1 Q0 d1 1 2.0 t\n');
      const r = polyret(['score', '--qrels', q, '--run', run, '-l', '-1', '-m', 'AP']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /AP\s+all\s+1\.0000/);
    },
  },
  {
    defect: 17, command: 'train', what: '--max-steps -1',
    run: () => {
      fails(train(join(dir, 'run17'), ['--max-steps', '-1']), /--max-steps must be a positive integer, got '-1'/);
    },
  },
  // ---- 18: a malformed line is quoted, not echoed whole ----
  {
    defect: 18, command: 'score', what: 'a 1 MB malformed qrels line gives a short message',
    run: () => {
      const q = join(dir, 'big.txt');
      writeFileSync(q, `q1 0 d1 1\n${'x'.repeat(1 << 20)}\n`);
      writeFileSync(join(dir, 'r18.txt'), 'q1 Q0 d1 1 1.0 t\n');
      const r = polyret(['score', '--qrels', q, '--run', join(dir, 'r18.txt')]);
      fails(r, new RegExp(`${esc(q)}:2: expected 4 fields`));
      assert.ok(r.stderr.length < 600, `message of ${r.stderr.length} characters`);
      assert.match(r.stderr, /\(1048576 characters\)/);
    },
  },
  {
    defect: 18, command: 'encode', what: 'a 1 MB duplicate id is quoted short',
    run: () => {
      const p = join(dir, 'dup.jsonl');
      const id = 'i'.repeat(1 << 20);
      writeFileSync(p, `${JSON.stringify({ id, text: 'a' })}\n${JSON.stringify({ id, text: 'b' })}\n`);
      const r = polyret(['encode', '--model', model, '--input', p, '--output', join(dir, 'dup.safetensors')]);
      fails(r, new RegExp(`${esc(p)}:2: id 'i+…' \\(1048576 characters\\) already used on line 1`));
      assert.ok(r.stderr.length < 600, `message of ${r.stderr.length} characters`);
    },
  },
];

// Every command has rows (the issue: "covers every command").
test('the table covers every command and every defect', () => {
  const commands = new Set(cases.map((c) => c.command));
  for (const c of ['batches', 'eval', 'report', 'score', 'encode', 'init-model', 'train', 'demo']) assert.ok(commands.has(c), `no row for ${c}`);
  const defects = new Set(cases.map((c) => c.defect));
  for (let d = 1; d <= 18; d++) assert.ok(defects.has(d), `no row for defect ${d}`);
});

for (const c of cases) {
  test(`#${c.defect} ${c.command}: ${c.what}`, { skip: !haveData && 'no shared data', timeout: 180_000 }, () => c.run());
}
