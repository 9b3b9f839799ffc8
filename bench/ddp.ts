import { freeLoopbackPort } from '../src/util/freePort.js';
/**
 * `npm run bench -- ddp [--nproc 2] [--steps 6] [--warmup 2] [--layers 4 --hidden 256 --heads 4 --vocab 30522 --seq 64 --batch 32] [--no-single]`
 *
 * Data-parallel training on c10d (Gloo) against PyTorch's DistributedDataParallel on the same model
 * (bench/ddp_peer.py, run by the project's Python, torch 2.x), with the same global batch:
 *   - N ranks × 1 thread each (the headline: the closing line compares these),
 *   - 1 rank × N threads (the same cores used by threads instead of processes),
 *   - 1 rank × 1 thread (for the scaling efficiency, T(1×1) ÷ (N · T(N×1))), unless --no-single.
 * polyret's ranks also time their communication: the forward all-gathers and the bucketed gradient
 * all-reduce (PyTorch's DDP overlaps its all-reduce with the backward pass, so only its step time is
 * comparable). Runs alternate polyret and PyTorch so that load on a shared machine hits both alike.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/util/dataDir.js';
import { median, ratioLine } from './lib/peer.js';

interface Result { times: number[]; gather?: number[]; reduce?: number[]; torch: string; world: number; params: number; gradBytes?: number }


/** The peer's Python: POLYRET_PEER_PYTHON, else the project's venv (torch 2.x), else Debian's. */
function ddpPython(): string {
  if (process.env.POLYRET_PEER_PYTHON) return process.env.POLYRET_PEER_PYTHON;
  const venv = join(projectRoot(), '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : '/usr/bin/python3';
}

/** Starts `world` ranks of a worker command on 127.0.0.1 and returns rank 0's JSON line. */
async function runRanks(command: string, args: string[], world: number): Promise<Result> {
  const port = await freeLoopbackPort();
  const outs = await Promise.all(Array.from({ length: world }, (_, rank) => new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const env = {
      ...process.env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(world),
      MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), OMP_NUM_THREADS: '1',
    };
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  })));
  const bad = outs.findIndex((o) => o.code !== 0);
  if (bad >= 0) throw new Error(`${command} ${args.join(' ')}: rank ${bad} exited with ${outs[bad]!.code}:\n${outs[bad]!.err}`);
  return JSON.parse(outs[0]!.out.trim().split('\n').pop() ?? '') as Result;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nproc: { type: 'string', default: '2' },
      steps: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '2' },
      layers: { type: 'string', default: '4' },
      hidden: { type: 'string', default: '256' },
      heads: { type: 'string', default: '4' },
      vocab: { type: 'string', default: '30522' },
      seq: { type: 'string', default: '64' },
      batch: { type: 'string', default: '32' },
      'no-single': { type: 'boolean', default: false },
    },
  });
  const N = Number(values.nproc);
  if (!Number.isInteger(N) || N < 2) throw new Error(`--nproc must be an integer ≥ 2, got ${values.nproc}`);
  const model = ['layers', 'hidden', 'heads', 'vocab', 'seq', 'batch', 'steps', 'warmup'].flatMap((k) => [`--${k}`, String(values[k as keyof typeof values])]);
  const worker = join(projectRoot(), 'dist', 'bench', 'ddpWorker.js');
  const peer = join(projectRoot(), 'bench', 'ddp_peer.py');
  const py = ddpPython();
  const polyret = (world: number, threads: number) => runRanks(process.execPath, [worker, ...model, '--threads', String(threads)], world);
  const pytorch = (world: number, threads: number) => runRanks(py, [peer, ...model, '--threads', String(threads)], world);
  console.log(`model: BERT L${values.layers}/H${values.hidden}, vocab ${values.vocab}, seq ${values.seq}, global batch ${values.batch} query/passage pairs, ` +
    `in-batch negatives gathered across ranks; Gloo on 127.0.0.1; ${values.warmup} warm-up + ${values.steps} timed steps; peer: ${py}`);
  const settings: Array<[string, number, number]> = [[`${N} ranks × 1 thread`, N, 1], [`1 rank × ${N} threads`, 1, N]];
  if (!values['no-single']) settings.push(['1 rank × 1 thread', 1, 1]);
  const rows: Record<string, { ours: Result; peer: Result }> = {};
  for (const [label, world, threads] of settings) {
    process.stderr.write(`  ${label}: polyret…\n`);
    const ours = await polyret(world, threads);
    process.stderr.write(`  ${label}: PyTorch…\n`);
    const theirs = await pytorch(world, threads);
    rows[label] = { ours, peer: theirs };
    const extra = world > 1
      ? `; polyret communication ${(1000 * median(ours.gather!.map((g, i) => g + ours.reduce![i]!))).toFixed(1)} ms/step (all-gather ${(1000 * median(ours.gather!)).toFixed(1)} ms, ` +
        `gradient all-reduce of ${(ours.gradBytes! / 2 ** 20).toFixed(1)} MiB ${(1000 * median(ours.reduce!)).toFixed(1)} ms)`
      : '';
    console.log(`  ${label}: polyret ${median(ours.times).toFixed(3)} s/step (libtorch ${ours.torch}), PyTorch ${median(theirs.times).toFixed(3)} s/step (torch ${theirs.torch})${extra}`);
  }
  const dist = rows[settings[0]![0]]!;
  const threaded = rows[settings[1]![0]]!;
  const tp = median(dist.ours.times);
  const tq = median(dist.peer.times);
  console.log(`  ${N} ranks against 1 rank × ${N} threads (same cores): polyret ${(median(threaded.ours.times) / tp).toFixed(2)}× the speed, PyTorch ${(median(threaded.peer.times) / tq).toFixed(2)}×`);
  const single = rows['1 rank × 1 thread'];
  if (single) {
    const eff = (r: Result, one: Result) => (100 * median(one.times)) / (N * median(r.times));
    console.log(`  scaling efficiency T(1×1) ÷ (${N} · T(${N}×1)): polyret ${eff(dist.ours, single.ours).toFixed(0)}%, PyTorch ${eff(dist.peer, single.peer).toFixed(0)}%`);
  }
  console.log(ratioLine('ddp', tp, tq, 's/step'));
}
