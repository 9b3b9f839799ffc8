import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { exportOnnx } from '../../src/export/exportOnnx.js';
import { loadSentenceEncoder } from '../../src/models/index.js';

const ROOT = projectRoot();
const FIX = join(ROOT, 'test', 'fixtures', 'models');

/** A scratch folder with a copy of a fixture model in `src/`; `out/` is where exports go. */
function scratch(model: string): { dir: string; src: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-export-bad-'));
  const src = join(dir, 'src');
  cpSync(join(FIX, model), src, { recursive: true });
  return { dir, src, out: join(dir, 'out') };
}

/** Nothing but the source folder is left in the scratch folder: no output, no temporary export folder. */
function assertNothingWritten(dir: string): void {
  assert.deepEqual(readdirSync(dir).sort(), ['src'], `left behind in ${dir}: ${readdirSync(dir).join(', ')}`);
}

test('export: an unsupported architecture is a clear error naming config.json, and nothing is written', () => {
  const s = scratch('tiny-bert');
  try {
    const cfgPath = join(s.src, 'config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), model_type: 'distilbert' }));
    assert.throws(() => exportOnnx({ model: s.src, output: s.out }),
      (e: Error) => e.message.includes(cfgPath) && /unsupported architecture model_type "distilbert"/.test(e.message));
    assertNothingWritten(s.dir);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('export: a folder without tokenizer.json is a clear error, and nothing is written', () => {
  const s = scratch('tiny-xlmr');
  try {
    rmSync(join(s.src, 'tokenizer.json'));
    assert.throws(() => exportOnnx({ model: s.src, output: s.out }), (e: Error) => e.message.startsWith(`${s.src}: tokenizer.json missing`));
    assertNothingWritten(s.dir);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('export: an existing output folder is refused and left as it was (CLI: exit 1, message, no stack)', () => {
  const s = scratch('tiny-labse');
  try {
    mkdirSync(s.out);
    writeFileSync(join(s.out, 'mine.txt'), 'keep me');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'polyret.js'), 'export', '--model', s.src, '--format', 'onnx', '--output', s.out], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /already exists; polyret export never overwrites/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.deepEqual(readdirSync(s.out), ['mine.txt']);
    assert.equal(readFileSync(join(s.out, 'mine.txt'), 'utf8'), 'keep me');
    assert.deepEqual(readdirSync(s.dir).sort(), ['out', 'src']);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('export: a failure while writing removes the temporary folder (no partial output)', () => {
  const s = scratch('tiny-labse');
  try {
    // The model loads (Pooling reads only config.json), but copying the module folder meets a dangling link.
    symlinkSync(join(s.dir, 'does-not-exist'), join(s.src, '1_Pooling', 'extra.json'));
    assert.throws(() => exportOnnx({ model: s.src, output: s.out }), /ENOENT/);
    assertNothingWritten(s.dir);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('export: an opset outside 14–21 and a missing output parent are errors before anything is written', () => {
  const s = scratch('tiny-bert');
  try {
    assert.throws(() => exportOnnx({ model: s.src, output: s.out, opset: 13 }), /--opset 13 is not supported: polyret writes opsets 14–21/);
    assert.throws(() => exportOnnx({ model: s.src, output: join(s.dir, 'no', 'such', 'out') }), /does not exist/);
    assertNothingWritten(s.dir);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('the libtorch path on an exported folder says it is an ONNX export and how to run it', () => {
  const s = scratch('tiny-bert');
  try {
    exportOnnx({ model: s.src, output: s.out });
    assert.throws(() => loadSentenceEncoder(s.out), /an ONNX export \(onnx\/model\.onnx, no safetensors weights\).*--runtime onnx/);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
