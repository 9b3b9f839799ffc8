import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverride, loadTrainConfig, parseTrainConfig } from '../../src/train/config.js';

const minimal = { model: { path: 'some/model' }, data: { train: { paths: ['train.jsonl'] } } };

test('defaults are the paper recipe', () => {
  const c = parseTrainConfig(minimal, 'x.yaml');
  assert.equal(c.training.batchSize, 100);
  assert.equal(c.training.lr, 3e-5);
  assert.equal(c.training.weightDecay, 0.01);
  assert.equal(c.sampling.mode, 'hybrid');
  assert.equal(c.sampling.alpha, 0.5);
  assert.deepEqual(c.model.prefixes, { query: 'query: ', passage: 'passage: ' });
  assert.equal(c.training.schedule, 'linear');
  assert.equal(c.training.patience, 5);
  assert.deepEqual(c.data.validation, { heldOut: 0.05 });
});

test('a wrong type and an unknown key are errors naming the field', () => {
  assert.throws(() => parseTrainConfig({ ...minimal, training: { lr: 'fast' } }, 'cfg.yaml'), /cfg\.yaml: invalid training config\n.*training\.lr: .*expected number/);
  assert.throws(() => parseTrainConfig({ ...minimal, training: { batchsize: 32 } }, 'cfg.yaml'), /training: unknown key "batchsize"/);
  assert.throws(() => parseTrainConfig({ ...minimal, extra: 1 }, 'cfg.yaml'), /\(top level\): unknown key "extra"/);
  assert.throws(() => parseTrainConfig({ ...minimal, sampling: { mode: 'mixed' } }, 'cfg.yaml'), /sampling\.mode/);
  assert.throws(() => parseTrainConfig({ ...minimal, model: {} }, 'cfg.yaml'), /model: give exactly one of model\.path and model\.fromScratch/);
  assert.throws(() => parseTrainConfig({ ...minimal, training: { batchSize: 0 } }, 'cfg.yaml'), /training\.batchSize/);
});

test('--set overrides are read as YAML values and validated like the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-cfg-'));
  try {
    const p = join(dir, 'c.yaml');
    writeFileSync(p, 'model: { path: m }\ndata:\n  train: { paths: [t.jsonl] }\ntraining: { lr: 1.0e-5 }\n');
    const { config, baseDir } = loadTrainConfig(p, ['training.lr=2e-4', 'training.miniBatch=null', 'sampling.mode=cross', 'data.train.languages=[de, en]']);
    assert.equal(config.training.lr, 2e-4);
    assert.equal(config.training.miniBatch, null);
    assert.equal(config.sampling.mode, 'cross');
    assert.deepEqual(config.data.train.languages, ['de', 'en']);
    assert.equal(baseDir, dir);
    assert.throws(() => loadTrainConfig(p, ['training.lr=abc']), /training\.lr/);
    assert.throws(() => loadTrainConfig(p, ['training.nope=1']), /unknown key "nope"/);
    writeFileSync(p, 'model: [unclosed');
    assert.throws(() => loadTrainConfig(p), /c\.yaml: not valid YAML/);
    assert.throws(() => loadTrainConfig(join(dir, 'missing.yaml')), /missing\.yaml: cannot read the config \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const raw: Record<string, unknown> = {};
  assert.throws(() => applyOverride(raw, 'novalue'), /expected key\.path=value/);
  assert.throws(() => applyOverride(raw, '__proto__.x=1'), /not a valid key path/);
});

test('every example config in configs/ is valid', async () => {
  const { readdirSync } = await import('node:fs');
  const { projectRoot } = await import('../../src/util/dataDir.js');
  const dir = join(projectRoot(), 'configs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 7, `expected the 6 paper configs and the small one, found ${files.join(', ')}`);
  for (const f of files) {
    const { config } = loadTrainConfig(join(dir, f));
    const [strategy] = f.split('-');
    if (strategy === 'hybrid' || strategy === 'mono' || strategy === 'cross') {
      assert.equal(config.sampling.mode, strategy, f);
      assert.equal(config.training.batchSize, 100, f);
      assert.equal(config.training.lr, 3e-5, f);
    }
  }
});
