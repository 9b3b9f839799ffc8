import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasData, projectRoot } from '../../src/util/dataDir.js';
import { loadTensors } from '../../src/tensor/index.js';

const root = projectRoot();

function train(out: string, extra: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), '--output', out, '--quiet', ...extra], {
    env: { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr };
}

const differs = (a: number[], b: number[]): boolean => a.some((x, i) => x !== b[i]);

test('training.freeze: the named parameters keep their initial values bit for bit, the others train; a resumed run keeps them frozen', { skip: !hasData('xquad') && 'no XQuAD', timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-freeze-'));
  try {
    const out = join(dir, 'run');
    const r = train(out, ['--set', 'training.freeze=[embeddings.word_embeddings, encoder.layer.0.attention.self.query]', '--set', 'training.maxSteps=6']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /frozen: 3 tensor\(s\)/); // word embeddings, query weight and bias
    // The same config without freezing, stopped at step 0, gives the initial weights (same seed → same init).
    const init = join(dir, 'init');
    const r0 = train(init, ['--set', 'training.maxSteps=1', '--set', 'training.lr=1e-30']);
    assert.equal(r0.code, 0, r0.stderr);
    // The weights after the last step (the latest checkpoint, whatever the best validation step was).
    const last = (run: string) => {
      const ck = join(run, 'checkpoints');
      const steps = readdirSync(ck).filter((n) => n.startsWith('step-')).sort();
      return loadTensors(join(ck, steps.at(-1)!, 'model.safetensors')).tensors;
    };
    const w = last(out);
    const w0 = loadTensors(join(init, 'final', 'model.safetensors')).tensors;
    for (const name of ['embeddings.word_embeddings.weight', 'encoder.layer.0.attention.self.query.weight']) {
      assert.deepEqual(w.get(name)!.toNumbers(), w0.get(name)!.toNumbers(), `${name} should not have moved`);
    }
    // The bias starts at 0, where even lr 1e-30 leaves a trace in the reference run: |Δ| ≤ 1e-20, against ~1e-3 when trained.
    const b = w.get('encoder.layer.0.attention.self.query.bias')!.toNumbers();
    const b0 = w0.get('encoder.layer.0.attention.self.query.bias')!.toNumbers();
    assert.ok(b.every((x, i) => Math.abs(x - b0[i]!) <= 1e-20), 'the frozen query bias should not have moved');
    for (const name of ['embeddings.position_embeddings.weight', 'encoder.layer.0.attention.self.key.weight', 'encoder.layer.0.output.dense.weight']) {
      assert.ok(differs(w.get(name)!.toNumbers(), w0.get(name)!.toNumbers()), `${name} should have trained`);
    }

    // Resume to more steps: still frozen (the optimizer state has no entry for them, and they get no gradient).
    const r2 = train(out, ['--resume', '--set', 'training.freeze=[embeddings.word_embeddings, encoder.layer.0.attention.self.query]', '--set', 'training.maxSteps=10']);
    assert.equal(r2.code, 0, r2.stderr);
    const w2 = last(out);
    assert.deepEqual(w2.get('embeddings.word_embeddings.weight')!.toNumbers(), w0.get('embeddings.word_embeddings.weight')!.toNumbers());
    assert.ok(differs(w2.get('encoder.layer.0.output.dense.weight')!.toNumbers(), w.get('encoder.layer.0.output.dense.weight')!.toNumbers()), 'the resumed run trained on');

    // A name that matches nothing is an error naming the field, before any step.
    const bad = train(join(dir, 'bad'), ['--set', 'training.freeze=[embeddings.word_embedding]']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /training\.freeze: 'embeddings\.word_embedding' matches no parameter/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
