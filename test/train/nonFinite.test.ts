import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasData, projectRoot } from '../../src/util/dataDir.js';
import { MetricsLog } from '../../src/train/metricsLog.js';
import { listStepDirs, verifyCheckpointDir } from '../../src/train/checkpoint.js';

test('NaN losses: each step is skipped with a warning, the run stops after maxBadSteps, the last good checkpoint stays', { skip: !hasData('xquad') && 'no XQuAD', timeout: 60_000 }, () => {
  const root = projectRoot();
  const out = mkdtempSync(join(tmpdir(), 'polyret-nan-'));
  try {
    // A learning rate of 1e30 makes the first update overflow the weights; every later loss is NaN.
    const r = spawnSync(process.execPath, [
      join(root, 'bin', 'polyret.js'), 'train', '--config', join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), '--output', out, '--quiet',
      '--set', 'training.lr=1e30', '--set', 'training.warmupRatio=0', '--set', 'training.maxGradNorm=null', '--set', 'training.checkpointEvery=1',
    ], { env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /warning: step 2: loss is NaN; step skipped \(1\/3 in a row\)/);
    assert.match(r.stderr, /stopping: 3 non-finite losses in a row at step 4; the last checkpoint \(step 1\) is intact/);
    const skips = MetricsLog.read(join(out, 'metrics.jsonl')).filter((x) => x.kind === 'skip');
    assert.deepEqual(skips.map((x) => x.step), [2, 3, 4]);
    const cks = listStepDirs(join(out, 'checkpoints'));
    assert.deepEqual(cks.map((c) => c.step), [1]);
    assert.ok(verifyCheckpointDir(cks[0]!.dir).ok);
    // The final model is the best validated one (the untrained model at step 0), not the broken weights.
    assert.ok(existsSync(join(out, 'final', 'model.safetensors')));
    assert.match(r.stdout, /validation loss: untrained [\d.]+, best [\d.]+ at step 0/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
