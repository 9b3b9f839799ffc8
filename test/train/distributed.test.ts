import { freeLoopbackPort } from '../../src/util/freePort.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, hasData } from '../../src/util/dataDir.js';
import { MetricsLog } from '../../src/train/metricsLog.js';
import { loadTensors } from '../../src/tensor/index.js';

// Data-parallel training (c10d, Gloo on loopback) against the single-process run with the same
// global batch. Every worker runs with one libtorch thread.
const root = projectRoot();
const config = join(root, 'test', 'fixtures', 'train', 'dist.yaml');
const skip = !hasData('xquad') && 'no XQuAD in the data folder';
const env = { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' };
const LAST = 'checkpoints/step-00000006/model.safetensors';

interface Run { code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }

function polyret(args: string[], opts: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(root, 'bin', 'polyret.js'), ...args], { env: opts.env ?? env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    if (child.pid) opts.onSpawn?.(child.pid);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - t0 }));
  });
}

const trainArgs = (out: string, extra: string[] = []) => ['train', '--config', config, '--output', out, '--quiet', ...extra];


const losses = (out: string) => MetricsLog.read(join(out, 'metrics.jsonl')).filter((r) => r.kind === 'train').map((r) => r.loss as number);

function weights(file: string): Map<string, Float32Array> {
  const w = loadTensors(file);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of w.tensors) {
    out.set(k, t.toFloat32Array());
    t.dispose();
  }
  return out;
}

// Attention key biases get a true gradient of exactly 0 (softmax is shift-invariant along the keys),
// so AdamW moves them by float noise; they are left out of weight comparisons.
const zeroGradient = /attention\.self\.key\.bias$/;

function assertSameRun(ref: string, got: string, what: string): void {
  const a = losses(ref);
  const b = losses(got);
  assert.equal(b.length, a.length, `${what}: ${b.length} train steps logged, expected ${a.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(b[i]! - x) <= 1e-5 * Math.abs(x), `${what}: step ${i + 1} loss ${b[i]} vs ${x}`));
  const wa = weights(join(ref, LAST));
  const wb = weights(join(got, LAST));
  assert.deepEqual([...wb.keys()].sort(), [...wa.keys()].sort());
  let compared = 0;
  for (const [k, x] of wa) {
    if (zeroGradient.test(k)) continue;
    const y = wb.get(k)!;
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
    assert.ok(m <= 1e-4, `${what}: ${k} differs by ${m}`);
    compared++;
  }
  assert.ok(compared > 10, 'weights were compared');
}

/** PIDs of `parent`'s children (Linux /proc). */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === parent ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

function rankOf(pid: number): number | null {
  try {
    const m = /(?:^|\0)RANK=(\d+)\0/.exec(readFileSync(`/proc/${pid}/environ`, 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

test('2 ranks on Gloo equal 1 process with the same global batch (losses, weights), also with GradCache; SIGKILL of a rank stops the run; --resume completes it', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-dist-'));
  try {
    const one = join(dir, 'one');
    const r1 = await polyret(trainArgs(one));
    assert.equal(r1.code, 0, r1.stderr);

    const two = join(dir, 'two');
    const r2 = await polyret(trainArgs(two, ['--nproc', '2', '--master-port', String(await freeLoopbackPort())]));
    assert.equal(r2.code, 0, r2.stderr);
    assertSameRun(one, two, '2 ranks');
    // Rank 0 alone writes; the run records its world size.
    const start = MetricsLog.read(join(two, 'metrics.jsonl')).find((r) => r.kind === 'event' && r.event === 'start');
    assert.equal(start?.worldSize, 2);

    const cached = join(dir, 'gradcache');
    const r3 = await polyret(trainArgs(cached, ['--nproc', '2', '--master-port', String(await freeLoopbackPort()), '--set', 'training.miniBatch=2']));
    assert.equal(r3.code, 0, r3.stderr);
    assertSameRun(one, cached, '2 ranks with GradCache');

    // SIGKILL rank 1 after step 2: the launcher stops rank 0 and exits non-zero, naming the rank.
    const killed = join(dir, 'killed');
    let launcher = 0;
    let killedAt = 0;
    const watcher = setInterval(() => {
      if (killedAt || !launcher) return;
      const last = MetricsLog.read(join(killed, 'metrics.jsonl')).filter((r) => r.kind === 'train').at(-1);
      if (!last || last.step < 2) return;
      const victim = childrenOf(launcher).find((p) => rankOf(p) === 1);
      if (victim) {
        process.kill(victim, 'SIGKILL');
        killedAt = Date.now();
      }
    }, 20);
    const rk = await polyret(trainArgs(killed, ['--nproc', '2', '--master-port', String(await freeLoopbackPort())]), { onSpawn: (p) => { launcher = p; } });
    clearInterval(watcher);
    assert.ok(killedAt > 0, `rank 1 was not killed (the run ended first: ${rk.code}, ${rk.stderr})`);
    const stopMs = Date.now() - killedAt;
    assert.notEqual(rk.code, 0);
    assert.ok(stopMs < 10_000, `the run took ${stopMs} ms to stop after the kill`);
    assert.match(rk.stderr, /rank 1 was killed by SIGKILL; stopping the other workers/);
    assert.ok(!existsSync(join(killed, 'final')), 'a killed run has no final model');

    const resumed = await polyret(trainArgs(killed, ['--nproc', '2', '--master-port', String(await freeLoopbackPort()), '--resume']));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed from .*step-0000000[24]/);
    // The same weights as the uninterrupted 2-rank run, bit for bit (the collectives are deterministic).
    const a = weights(join(two, LAST));
    const b = weights(join(killed, LAST));
    for (const [k, x] of a) assert.deepEqual(b.get(k), x, `${k} differs from the uninterrupted run`);
    assert.deepEqual(losses(killed), losses(two));

    // A changed world size on resume is refused.
    const r1on2 = await polyret(trainArgs(two, ['--resume']));
    assert.equal(r1on2.code, 1);
    assert.match(r1on2.stderr, /written by a run with 2 processes, this run has 1; resume with --nproc 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('distributed bad inputs: --nproc 0, a port in use, configs that differ across ranks', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-dist-bad-'));
  let busy: Server | null = null;
  try {
    const r0 = await polyret(trainArgs(join(dir, 'a'), ['--nproc', '0']));
    assert.equal(r0.code, 2);
    assert.match(r0.stderr, /--nproc must be a positive integer, got '0'/);

    busy = createServer();
    await new Promise<void>((r) => busy!.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const rp = await polyret(trainArgs(join(dir, 'b'), ['--nproc', '2', '--master-port', String(port)]));
    assert.equal(rp.code, 1);
    assert.match(rp.stderr, new RegExp(`--master-port ${port}: 127\\.0\\.0\\.1:${port} is in use`));
    assert.ok(!existsSync(join(dir, 'b')), 'nothing was written');

    // Two workers started by hand (torchrun's contract) with different learning rates.
    const mp = String(await freeLoopbackPort());
    const worker = (rank: number, lr: string) => polyret(trainArgs(join(dir, 'c'), ['--set', `training.lr=${lr}`]), {
      env: { ...env, RANK: String(rank), WORLD_SIZE: '2', LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: mp },
    });
    const [w0, w1] = await Promise.all([worker(0, '1e-3'), worker(1, '2e-3')]);
    assert.equal(w0.code, 1, w0.stderr);
    assert.equal(w1.code, 1, w1.stderr);
    assert.match(w0.stderr, /polyret \[rank 0\]: the training config differs across ranks: rank 1 has a different one from rank 0/);
    assert.match(w1.stderr, /polyret \[rank 1\]: the training config differs across ranks/);
    assert.ok(!existsSync(join(dir, 'c', 'metrics.jsonl')), 'nothing was trained');
  } finally {
    busy?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
