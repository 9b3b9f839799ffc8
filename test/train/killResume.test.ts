import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, hasData } from '../../src/util/dataDir.js';
import { MetricsLog } from '../../src/train/metricsLog.js';

const root = projectRoot();
const config = join(root, 'test', 'fixtures', 'train', 'tiny.yaml');
const STEPS = 24;
const env = { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' };

function run(out: string, extra: string[], killAtStep?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', config, '--output', out, '--quiet', '--max-steps', String(STEPS), ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let timer: NodeJS.Timeout | undefined;
    if (killAtStep !== undefined) {
      // Watch the metrics log; once training passes the target step, kill after a random delay
      // (so the kill lands anywhere: mid-step, mid-checkpoint, mid-evaluation).
      timer = setInterval(() => {
        const recs = MetricsLog.read(join(out, 'metrics.jsonl'));
        const last = recs.filter((r) => r.kind === 'train').at(-1);
        if (last && last.step >= killAtStep) {
          clearInterval(timer);
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 150));
        }
      }, 5);
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

test('SIGKILL at random points, then --resume: the final weights equal an uninterrupted run, bit for bit', { skip: !hasData('xquad') && 'no XQuAD in the data folder', timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-resume-'));
  try {
    const ref = join(dir, 'ref');
    const r0 = await run(ref, []);
    assert.equal(r0.code, 0, r0.stderr);

    const out = join(dir, 'killed');
    const targets = [2, 9, 16].map((s) => s + Math.floor(Math.random() * 4));
    let kills = 0;
    let first = true;
    for (const target of targets) {
      const r = await run(out, first ? [] : ['--resume'], target);
      first = false;
      if (r.signal === 'SIGKILL') kills++;
      else assert.equal(r.code, 0, r.stderr);
    }
    const last = await run(out, ['--resume']);
    assert.equal(last.code, 0, last.stderr);
    assert.ok(kills >= 2, `expected the runs to be killed mid-training (killed ${kills} of ${targets.length}, targets ${targets.join(', ')})`);
    const events = MetricsLog.read(join(out, 'metrics.jsonl')).filter((r) => r.kind === 'event' && r.event === 'resumed');
    assert.ok(events.length >= 1, 'at least one resume should have continued from a checkpoint');

    for (const f of ['final/model.safetensors', 'best/model.safetensors', `checkpoints/step-${String(STEPS).padStart(8, '0')}/model.safetensors`, `checkpoints/step-${String(STEPS).padStart(8, '0')}/optimizer.safetensors`]) {
      assert.ok(existsSync(join(out, f)), `${f} missing`);
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(ref, f))), `${f} differs from the uninterrupted run (targets ${targets.join(', ')})`);
    }
    // The metrics log of the resumed run tells the same story: one train record per step, same losses.
    const losses = (p: string) => MetricsLog.read(join(p, 'metrics.jsonl')).filter((r) => r.kind === 'train').map((r) => [r.step, r.loss]);
    assert.deepEqual(losses(out), losses(ref));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
