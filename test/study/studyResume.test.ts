import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot, hasData } from '../../src/util/dataDir.js';
import { MetricsLog } from '../../src/train/metricsLog.js';

const root = projectRoot();
const config = join(root, 'test', 'fixtures', 'study', 'tiny-study.yaml');
const env = { ...process.env, POLYRET_THREADS: '1', POLYRET_NO_PROGRESS: '1' };

interface Summary {
  runs: { name: string; status: string; results: Record<string, string>; overrides: Record<string, unknown>; times?: { trainStarted?: string; evaluated?: string } }[];
}

function study(args: string[], kill?: (dir: string) => boolean, dir?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'polyret.js'), 'study', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let timer: NodeJS.Timeout | undefined;
    if (kill) {
      timer = setInterval(() => {
        if (kill(dir!)) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 10);
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const readJson = <T>(p: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

/** Every file under a folder with its sha256 and mtime. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('polyret study: SIGKILL mid-grid, --resume completes it without touching finished runs; the report recomputes from the results files', { skip: !hasData('xquad-r') && 'no XQuAD(-R) in the data folder', timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-study-'));
  const out = join(dir, 'study');
  try {
    const names = ['alpha-1_seed-1', 'alpha-1_seed-2', 'alpha-0_seed-1', 'alpha-0_seed-2'];
    let orphanPid: number | undefined;
    // Kill once the first run is done and the second has a checkpoint but has not finished training.
    const r1 = await study(['--config', config, '--output', out, '--quiet'], (d) => {
      const s = readJson<Summary>(join(d, 'summary.json'));
      if (s?.runs[0]?.status !== 'done') return false;
      const ck = join(d, 'runs', names[1]!, 'checkpoints');
      const ready = existsSync(ck) && readdirSync(ck).some((n) => n.startsWith('step-')) && !existsSync(join(d, 'runs', names[1]!, 'summary.json'));
      if (ready) orphanPid = Number(readFileSync(join(d, 'runs', names[1]!, '.trainer.pid'), 'utf8'));
      return ready;
    }, out);
    assert.equal(r1.signal, 'SIGKILL', `the study should have been killed mid-way:\n${r1.stderr}`);
    const killed = readJson<Summary>(join(out, 'summary.json'))!;
    assert.equal(killed.runs[0]!.status, 'done');
    assert.notEqual(killed.runs[1]!.status, 'done');
    const before = snapshot(join(out, 'runs', names[0]!));

    // The trainer child notices its parent is gone and stops by itself (no trainer left writing into the run).
    assert.ok(orphanPid && orphanPid > 0);
    for (let i = 0; i < 300 && alive(orphanPid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!alive(orphanPid), 'the killed study left its trainer running');

    const r2 = await study(['--config', config, '--output', out, '--resume', '--quiet']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /4 runs \(1 done, 3 to do\)/);

    // Finished run untouched: same files, same bytes, same mtimes.
    assert.deepEqual(snapshot(join(out, 'runs', names[0]!)), before);
    // The interrupted run continued from its checkpoint instead of starting over.
    const events = MetricsLog.read(join(out, 'runs', names[1]!, 'metrics.jsonl')).filter((r) => r.kind === 'event');
    assert.ok(events.some((e) => e.event === 'resumed'), 'the interrupted run should resume from its checkpoint');
    assert.equal(events.filter((e) => e.event === 'start').length, 1);

    const s = readJson<Summary>(join(out, 'summary.json'))!;
    assert.deepEqual(s.runs.map((r) => r.name), names);
    for (const r of s.runs) {
      assert.equal(r.status, 'done', r.name);
      assert.ok(existsSync(join(out, r.results['xquad-r']!)), `${r.name}: results file`);
    }

    // The report's table recomputes from the per-run results files: mean ± sd of Mo. mAP over the two seeds.
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const [label, runs] of [['α=1 (X-X mono)', names.slice(0, 2)], ['α=0 (X-Y cross)', names.slice(2)]] as const) {
      const vals = runs.map((n) => readJson<{ lareqa: { summary: { mono: { metrics: { mAP: number } } } } }>(join(out, 'runs', n, 'eval', 'xquad-r.json'))!.lareqa.summary.mono.metrics.mAP);
      const m = (vals[0]! + vals[1]!) / 2;
      const sd = Math.abs(vals[0]! - vals[1]!) / Math.SQRT2;
      const row = report.split('\n').find((l) => l.startsWith(`| ${label} | 2 |`));
      assert.ok(row, `report row for ${label}`);
      assert.equal(row.split(' | ')[2], `${m.toFixed(3)} ± ${sd.toFixed(3)}`);
    }
    assert.match(report, /p per query/);
    for (const f of ['metrics-xquad-r.svg', 'metrics-xquad-r.png', 'heatmap-xquad-r-sampling.alpha_1.png', 'languages-xquad-r-0.svg']) assert.ok(existsSync(join(out, f)), f);

    // --report-only regenerates the same report (tables, tests, pictures) from summary.json and the results.
    const files = ['report.md', 'summary.csv', 'tests.csv', 'metrics-xquad-r.svg'];
    const first = files.map((f) => readFileSync(join(out, f), 'utf8'));
    rmSync(join(out, 'report.md'));
    const r3 = await study(['--report-only', '--output', out, '--no-png']);
    assert.equal(r3.code, 0, r3.stderr);
    assert.deepEqual(files.map((f) => readFileSync(join(out, f), 'utf8')), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polyret study --jobs 2: the next run trains while the current one is evaluated; every run is done and trains exactly as alone', { skip: !hasData('xquad-r') && 'no XQuAD(-R) in the data folder', timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-study-jobs-'));
  const out = join(dir, 'study');
  try {
    const r = await study(['--config', config, '--output', out, '--quiet', '--jobs', '2']);
    assert.equal(r.code, 0, r.stderr);
    const s = readJson<Summary>(join(out, 'summary.json'))!;
    assert.equal(s.runs.length, 4);
    for (const run of s.runs) assert.equal(run.status, 'done', run.name);
    // Pipelined: each next run's trainer was started before this run's evaluation ended (summary.json's times);
    // run one after the other, it would start only after it.
    for (let k = 0; k + 1 < s.runs.length; k++) {
      const started = Date.parse(s.runs[k + 1]!.times!.trainStarted!);
      const evaluated = Date.parse(s.runs[k]!.times!.evaluated!);
      assert.ok(started < evaluated, `${s.runs[k + 1]!.name} should have started training before ${s.runs[k]!.name}'s evaluation ended`);
    }
    // A grid point trained by itself (same config and overrides, one thread as in the study) gives the same weights.
    const alone = join(dir, 'alone');
    const sets = ['sampling.mode=hybrid', 'training.maxSteps=16', 'training.checkpointEvery=2', 'training.evalEvery=8', 'sampling.alpha=0', 'training.seed=2'];
    const t = spawnSync(process.execPath, [join(root, 'bin', 'polyret.js'), 'train', '--config', join(root, 'test', 'fixtures', 'train', 'tiny.yaml'), '--output', alone, '--quiet', ...sets.flatMap((x) => ['--set', x])], { env, encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const a = readFileSync(join(alone, 'final', 'model.safetensors'));
    const b = readFileSync(join(out, 'runs', 'alpha-0_seed-2', 'final', 'model.safetensors'));
    assert.ok(a.equals(b), 'alpha-0_seed-2 trained in the study (with --jobs 2) differs from the same run alone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
