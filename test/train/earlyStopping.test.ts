import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasData, projectRoot } from '../../src/util/dataDir.js';
import { loadTensors } from '../../src/tensor/index.js';
import { MetricsLog } from '../../src/train/metricsLog.js';

const root = projectRoot();

function train(out: string, extra: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), '--output', out, '--quiet', ...extra], {
    env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('early stopping: patience counts evaluations without improvement; the final model is the best one; a resume of a finished run changes nothing', { skip: !hasData('xquad') && 'no XQuAD', timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'polyret-es-'));
  try {
    const r = train(out, ['--set', 'training.patience=2', '--set', 'training.evalEvery=2', '--set', 'training.maxSteps=40']);
    assert.equal(r.code, 0, r.stderr);
    const recs = MetricsLog.read(join(out, 'metrics.jsonl'));
    const vals = recs.filter((x) => x.kind === 'validation');
    // Recompute the rule from the logged losses: stop at the second evaluation in a row that does not beat the best.
    let best = Infinity;
    let bad = 0;
    let stopAt = -1;
    let bestStep = -1;
    for (const v of vals) {
      if ((v.loss as number) < best) {
        best = v.loss as number;
        bestStep = v.step;
        bad = 0;
      } else if (++bad >= 2) {
        stopAt = v.step;
        break;
      }
    }
    assert.ok(stopAt > 0 && stopAt < 40, `the validation losses ${vals.map((v) => (v.loss as number).toFixed(4)).join(', ')} should trigger a stop before step 40`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { steps: number; stopReason: string; bestStep: number };
    assert.equal(summary.stopReason, 'early-stopping');
    assert.equal(summary.steps, stopAt);
    assert.equal(summary.bestStep, bestStep);
    assert.equal(vals.at(-1)!.step, stopAt, 'no evaluation after the stop');

    // The curves come as pictures: raw and smoothed training loss and the validation loss, with one point per evaluation.
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
    assert.ok((svg.match(/<circle /g) ?? []).length >= vals.length, 'validation points are marked');
    assert.deepEqual([...readFileSync(join(out, 'curves.png')).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // final/ holds the best weights (transformers' names), equal to best/ (the trainer's names).
    const finalW = loadTensors(join(out, 'final', 'model.safetensors')).tensors;
    const bestW = loadTensors(join(out, 'best', 'model.safetensors')).tensors;
    const name = 'encoder.layer.0.attention.self.query.weight';
    assert.deepEqual(finalW.get(name)!.toNumbers(), bestW.get(name)!.toNumbers());

    const again = train(out, ['--set', 'training.patience=2', '--set', 'training.evalEvery=2', '--set', 'training.maxSteps=40', '--resume']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`finished: early-stopping after ${stopAt} steps`));
    assert.equal(MetricsLog.read(join(out, 'metrics.jsonl')).filter((x) => x.kind === 'train').length, stopAt);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
