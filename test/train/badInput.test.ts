import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, dataPath, hasData } from '../../src/util/dataDir.js';

const root = projectRoot();
const tiny = readFileSync(join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), 'utf8');
const skip = !hasData('xquad') && 'no XQuAD in the data folder';

function train(configText: string, dir: string, extra: string[] = []): { code: number | null; stderr: string; out: string } {
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, configText);
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', cfg, '--output', out, '--quiet', ...extra], {
    env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr, out };
}

/** Nothing of a training run may exist: the error came before training started. */
function assertNothingTrained(out: string): void {
  for (const f of ['metrics.jsonl', 'checkpoints', 'final']) assert.ok(!existsSync(join(out, f)), `${f} should not exist`);
}

test('bad configs and data are clear errors before any training starts', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bad-'));
  try {
    let r = train(tiny.replace('batchSize: 8', 'batchSize: eight'), dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /c\.yaml: invalid training config\n\s+training\.batchSize: Invalid input: expected number, received string/);
    assertNothingTrained(r.out);

    r = train(tiny.replace('lr: 1.0e-3', 'lr: 1.0e-3\n  learningRate: 0.1'), dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /training: unknown key "learningRate"/);
    assertNothingTrained(r.out);

    r = train(tiny, dir, ['--set', 'data.train.languages=[de, en, fr]']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data\.train\.languages asks for fr, which the data \(.*xquad\.en\.json.*\) does not have; it has de, en, es/);
    assertNothingTrained(r.out);

    r = train(tiny, dir, ['--set', 'data.train.paths=[nowhere.json]']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data\.train: .*nowhere\.json/);
    assertNothingTrained(r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model folder without a tokenizer is an error naming the folder, before training', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bad-model-'));
  try {
    const { createEncoderFromScratch, saveSentenceEncoder } = await import('../../src/models/index.js');
    const enc = createEncoderFromScratch({ arch: 'bert', layers: 1, hidden: 16, heads: 2, vocabFrom: dataPath('models', 'tiny_random_bert_caikit', 'tokenizer.json'), maxLength: 64 });
    const model = join(dir, 'model');
    saveSentenceEncoder(enc, model);
    enc.dispose();
    for (const f of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) if (existsSync(join(model, f))) unlinkSync(join(model, f));
    const cfg = tiny.replace(/model:\n  fromScratch:\n(    .*\n)+/, `model:\n  path: ${model}\n`);
    assert.match(cfg, /path: /);
    const r = train(cfg, dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`model\\.path ${model.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*tokenizer`));
    assertNothingTrained(r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
