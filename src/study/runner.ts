/**
 * Runs a study: every grid point × seed is a `polyret train` output folder under DIR/runs, trained in a child
 * process (so a SIGKILL of the study, memory and libtorch state stay per run), then evaluated in this process
 * through `runEval`, one results JSON per evaluation. Resume never redoes finished work: a run whose trainer wrote
 * its summary is not trained again, a results file that exists is not recomputed, an interrupted run continues
 * from its last checkpoint (`polyret train --resume`), and evaluations added to the config are run.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { projectRoot, dataDir } from '../util/dataDir.js';
import { Progress } from '../util/progress.js';
import { setNumThreads } from '../tensor/runtime.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { readResults } from '../eval/results.js';
import { readTrainingLanguages } from '../models/trainingLanguages.js';
import { checkRunConfig, evaluationName, type EvaluateEntry, type LoadedStudy } from './config.js';
import { loadCachedEncoder } from './cachedEncoder.js';
import { expandGrid, type GridRun, type GridValue } from './grid.js';
import { readSummary, SUMMARY_FILE, writeSummary, type RunRecord, type StudySummary } from './summary.js';

export interface StudyOptions {
  study: LoadedStudy;
  output: string;
  resume: boolean;
  /** Progress bars (the study's and each run's); default: on unless POLYRET_NO_PROGRESS is set. */
  progress?: boolean;
  log?: (line: string) => void;
  /** Only evaluate runs whose training finished; train nothing (the other runs stay pending). */
  evalOnly?: boolean;
  /** The command line, recorded in summary.json for the report. */
  command?: string;
  /** Evaluation device (default cpu). */
  device?: 'cpu' | 'cuda';
  /**
   * Runs in flight at once (default 1). With N > 1 the next runs' trainers (child processes) work while this
   * process evaluates the current run, so a CPU is kept busy by training and evaluation together; evaluations
   * stay one at a time, in grid order. Each trainer and the evaluator get cores ÷ N threads, unless
   * POLYRET_THREADS pins them, and the trainers run without their own progress bars.
   */
  jobs?: number;
}

export interface StudyOutcome {
  summary: StudySummary;
  ran: number;
  failed: number;
}

const LOCK = '.study.lock';
const TRAINER_PID = '.trainer.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** One study per folder at a time: a lock file with the pid, ignored once that process is gone. */
function takeLock(dir: string): () => void {
  const p = join(dir, LOCK);
  if (existsSync(p)) {
    const pid = Number(readFileSync(p, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) && cmdline(pid).includes('study')) {
      throw new Error(`${dir}: another polyret study (pid ${pid}) is running in this folder`);
    }
  }
  writeFileSync(p, `${process.pid}\n`);
  return () => rmSync(p, { force: true });
}

/**
 * A trainer left by a killed study (it kills itself within ~100 ms of seeing its parent gone): wait for
 * it, then make sure it is gone, so two trainers never share a run folder.
 */
async function reapOrphan(runDir: string, log: (s: string) => void): Promise<void> {
  const p = join(runDir, TRAINER_PID);
  if (!existsSync(p)) return;
  const pid = Number(readFileSync(p, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && alive(pid) && cmdline(pid).includes(runDir)) {
    log(`waiting for the trainer left by the previous study (pid ${pid}) to stop`);
    for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(p, { force: true });
}

interface TrainerSummary {
  steps: number;
  stopReason: string;
  seconds: number;
  bestStep: number | null;
  bestValidationLoss: number | null;
}

/** A run's training is finished when the trainer wrote its summary (its last act, after final/). */
function finishedTraining(runDir: string): TrainerSummary | undefined {
  const p = join(runDir, 'summary.json');
  if (!existsSync(p) || !existsSync(join(runDir, 'final'))) return undefined;
  const s = JSON.parse(readFileSync(p, 'utf8')) as TrainerSummary;
  return { steps: s.steps, stopReason: s.stopReason, seconds: s.seconds, bestStep: s.bestStep ?? null, bestValidationLoss: s.bestValidationLoss ?? null };
}

function trainChild(study: LoadedStudy, run: GridRun, runDir: string, progress: boolean, threads: number | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const args = [join(projectRoot(), 'bin', 'polyret.js'), 'train', '--config', study.basePath, '--output', runDir, '--resume', ...run.sets.flatMap((s) => ['--set', s])];
  if (!progress) args.push('--quiet');
  return new Promise((res, rej) => {
    // POLYRET_EXIT_WITH_PARENT: the child kills itself when this process dies (src/util/exitWithParent.ts).
    const env = { ...process.env, POLYRET_EXIT_WITH_PARENT: '1', ...(threads ? { POLYRET_THREADS: String(threads) } : {}) };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', rej);
    if (child.pid) writeFileAtomic(join(runDir, TRAINER_PID), `${child.pid}\n`);
    child.on('exit', (code, signal) => {
      rmSync(join(runDir, TRAINER_PID), { force: true });
      res({ code, signal });
    });
  });
}

/**
 * Paths in an evaluation's options: `$DATA/...` is under the shared data folder, `./...` and `../...` are relative
 * to the study config's folder (as the training config's paths are to its own); other values pass unchanged.
 */
function expandPaths(v: unknown, configDir: string): unknown {
  if (typeof v === 'string' && (v === '$DATA' || v.startsWith('$DATA/'))) return resolve(dataDir(), v.slice(6));
  if (typeof v === 'string' && (v.startsWith('./') || v.startsWith('../'))) return resolve(configDir, v);
  if (Array.isArray(v)) return v.map((x) => expandPaths(x, configDir));
  return v;
}

async function evaluate(entry: EvaluateEntry, configDir: string, runName: string, finalDir: string, device: 'cpu' | 'cuda', progress: boolean, enc: () => Promise<import('../eval/encoder.js').Encoder>): Promise<string> {
  const { runEval } = await import('../eval/runEval.js');
  const { task, lang, name: _name, batchSize, ...rest } = entry as EvaluateEntry & { batchSize?: number };
  const options = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, expandPaths(v, configDir)]));
  const bs = typeof batchSize === 'number' ? batchSize : 64;
  // Generic on purpose: every key of the entry but task/lang/name goes to the task's options as it is.
  const opts = { ...options, task, ...(lang ? { languages: lang } : {}), source: { kind: 'model', dir: finalDir, encoder: await enc(), batchSize: bs }, name: runName, device, progress } as unknown as Parameters<typeof runEval>[0];
  const results = await runEval(opts);
  return `${JSON.stringify(results)}\n`;
}

export async function runStudy(opts: StudyOptions): Promise<StudyOutcome> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const progress = opts.progress ?? process.env.POLYRET_NO_PROGRESS === undefined;
  const device = opts.device ?? 'cpu';
  const jobs = opts.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  // Split the cores between the trainers in flight and this process's evaluations, unless the user pinned threads.
  const threads = jobs > 1 && !process.env.POLYRET_THREADS ? Math.max(1, Math.floor(availableParallelism() / jobs)) : undefined;
  if (threads) setNumThreads(threads);
  const dir = resolve(opts.output);
  const { study } = opts;
  const c = study.config;
  if (existsSync(join(dir, SUMMARY_FILE)) && !opts.resume) {
    throw new Error(`${dir} already holds a study (${SUMMARY_FILE}): continue it with --resume, or choose another --output`);
  }
  mkdirSync(dir, { recursive: true });
  const unlock = takeLock(dir);
  try {
    const runs = expandGrid(c);
    for (const r of runs) checkRunConfig(study.basePath, r.sets, r.name);
    const evals = c.evaluate.map((e, i) => ({ entry: e, name: evaluationName(e, i, c.evaluate) }));
    let previous: StudySummary | undefined;
    if (existsSync(join(dir, SUMMARY_FILE))) previous = readSummary(dir);
    writeFileAtomic(join(dir, 'study.yaml'), readFileSync(study.path));

    const record = (r: GridRun): RunRecord => {
      const runDir = join(dir, 'runs', r.name);
      const rel = relative(dir, runDir);
      const results: Record<string, string> = {};
      for (const e of evals) {
        const f = join(runDir, 'eval', `${e.name}.json`);
        if (existsSync(f)) results[e.name] = relative(dir, f);
      }
      const t = finishedTraining(runDir);
      const done = t !== undefined && evals.every((e) => results[e.name] !== undefined);
      const prev = previous?.runs.find((x) => x.name === r.name);
      return {
        name: r.name,
        overrides: r.overrides,
        status: done ? 'done' : 'pending',
        dir: rel,
        results,
        ...(t ? { train: t, trainingLanguages: readTrainingLanguages(join(runDir, 'final')) ?? prev?.trainingLanguages } : {}),
        ...(prev?.times ? { times: prev.times } : {}),
      };
    };
    const summary: StudySummary = {
      format: 'polyret-study-summary',
      version: 1,
      config: relative(dir, study.path),
      base: relative(dir, study.basePath),
      ...(opts.command ? { command: opts.command } : previous?.command ? { command: previous.command } : {}),
      grid: c.grid as Record<string, GridValue[]>,
      seedKey: c.seedKey,
      evaluations: evals.map((e) => e.name),
      runs: runs.map(record),
    };
    writeSummary(dir, summary);

    for (const n of c.first) if (!runs.some((r) => r.name === n)) throw new Error(`${study.path}: first: '${n}' is not a run of the grid (runs: ${runs.map((r) => r.name).join(', ')})`);
    const rank = (r: GridRun) => (c.first.includes(r.name) ? c.first.indexOf(r.name) : c.first.length + runs.indexOf(r));
    const todo = runs.filter((_, i) => summary.runs[i]!.status !== 'done' && (!opts.evalOnly || summary.runs[i]!.train !== undefined)).sort((a, b) => rank(a) - rank(b));
    const total = runs.length;
    const doneAtStart = summary.runs.filter((x) => x.status === 'done').length;
    log(`study: ${total} runs (${doneAtStart} done, ${todo.length} to do${opts.evalOnly ? ': evaluations of trained runs only' : ''}) in ${dir}`);
    const bar = new Progress({ total: todo.length, label: 'study', unit: 'run', logEveryMs: 0, enabled: progress });
    let failed = 0;
    // Each run's training, by run name. With jobs = 1 a run trains just before its evaluation. With jobs = N > 1,
    // N − 1 trainer lanes work through the runs in order, back to back and ahead of the evaluations (a run never
    // waits for another's evaluation), while this process evaluates the trained runs one by one.
    const training = new Map<string, Promise<void>>();
    let lanesRunning = 0;
    const trainRun = async (r: GridRun): Promise<void> => {
      const rec = summary.runs[runs.indexOf(r)]!;
      const runDir = join(dir, 'runs', r.name);
      await reapOrphan(runDir, log);
      if (rec.train) return;
      mkdirSync(runDir, { recursive: true });
      log(`study: training ${r.name} (${r.sets.filter((s) => Object.keys(r.overrides).some((k) => s.startsWith(`${k}=`))).join(' ')})`);
      const trainStarted = new Date().toISOString();
      const res = await trainChild(study, r, runDir, progress && jobs === 1, threads);
      if (res.code !== 0) throw new Error(`polyret train exited with ${res.signal ?? `code ${res.code}`} (see its messages above; the run folder is ${runDir})`);
      Object.assign(rec, record(r));
      rec.times = { trainStarted, trainEnded: new Date().toISOString() };
    };
    const settle = (r: GridRun, p: Promise<void>) => {
      p.catch(() => undefined); // awaited (and reported) when the run's turn to be evaluated comes
      training.set(r.name, p);
    };
    if (jobs > 1) {
      // A lane takes the next run without a training promise; the promises are created in grid (todo) order.
      const gates = new Map(todo.map((r) => {
        let open!: () => void;
        let fail!: (e: unknown) => void;
        const p = new Promise<void>((res, rej) => {
          open = res;
          fail = rej;
        });
        settle(r, p);
        return [r.name, { open, fail }] as const;
      }));
      let next = 0;
      const lane = async () => {
        while (next < todo.length) {
          const r = todo[next++]!;
          const g = gates.get(r.name)!;
          await trainRun(r).then(g.open, g.fail);
        }
        lanesRunning--;
      };
      lanesRunning = Math.min(jobs - 1, todo.length);
      for (let l = 0; l < lanesRunning; l++) void lane();
    }
    const startTraining = (r: GridRun): Promise<void> => {
      const p = training.get(r.name) ?? trainRun(r);
      if (!training.has(r.name)) settle(r, p);
      return p;
    };
    for (const r of todo) {
      const i = runs.indexOf(r);
      const runDir = join(dir, 'runs', r.name);
      const rec = summary.runs[i]!;
      bar.setStatus(`${doneAtStart + bar.count}/${total} runs done · now ${r.name}`);
      try {
        await startTraining(r);
        const finalDir = join(runDir, 'final');
        let encoder: ReturnType<typeof loadCachedEncoder> | undefined;
        const enc = async () => {
          encoder ??= loadCachedEncoder(finalDir, device, 64);
          return encoder;
        };
        for (const e of evals) {
          if (rec.results[e.name]) continue;
          // Once no trainer is left running, the evaluator takes every core (unless the user pinned threads).
          if (threads) setNumThreads(lanesRunning > 0 ? threads : availableParallelism());
          log(`study: ${r.name}: evaluating ${e.name}`);
          let text: string;
          try {
            text = await evaluate(e.entry, dirname(study.path), r.name, finalDir, device, progress, enc);
          } catch (err) {
            throw new Error(`evaluate '${e.name}' (task ${e.entry.task}): ${(err as Error).message}`);
          }
          const f = join(runDir, 'eval', `${e.name}.json`);
          writeFileAtomic(f, text);
          readResults(f);
          rec.results[e.name] = relative(dir, f);
          writeSummary(dir, summary);
        }
        encoder?.dispose();
        rec.times = { ...rec.times, evaluated: new Date().toISOString() };
        rec.status = 'done';
        delete rec.error;
      } catch (err) {
        rec.status = 'failed';
        rec.error = (err as Error).message;
        failed++;
        log(`study: run ${r.name} failed: ${rec.error}`);
      }
      writeSummary(dir, summary);
      bar.tick(1, `${doneAtStart + bar.count + 1}/${total} runs done${failed ? `, ${failed} failed` : ''} · last ${r.name}`);
    }
    bar.finish(`${summary.runs.filter((x) => x.status === 'done').length}/${total} runs done${failed ? `, ${failed} failed` : ''}`);
    return { summary, ran: todo.length, failed };
  } finally {
    unlock();
  }
}

/** The study config as it was when the study ran (DIR/study.yaml), for the report's header. */
export function savedStudyConfig(dir: string): unknown {
  const p = join(dir, 'study.yaml');
  return existsSync(p) ? parseYaml(readFileSync(p, 'utf8')) : undefined;
}
