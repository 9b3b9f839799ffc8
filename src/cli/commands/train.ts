import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { ConfigError, loadTrainConfig } from '../../train/config.js';
import { intFlag, parseFlags } from '../flags.js';
import { DEFAULT_MASTER_PORT, worldFromEnv, type World } from '../../dist/worldEnv.js';

const na3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
import { precisionFlag, precisionHelp } from '../precision.js';

const usage = `Usage: polyret train --config FILE [--output DIR] [--resume] [--max-steps N] [--set key=value ...]
                     [--nproc N [--nnodes M --node-rank I --master-addr HOST --master-port PORT]]

Fine-tunes a multilingual dual encoder with InfoNCE on hybrid (or mono / cross-lingual) batches
(see docs/training.md). The defaults are the paper's recipe: batch 100 triplets, AdamW lr 3e-5,
weight decay 0.01, hybrid batches with alpha 0.5, "query: "/"passage: " prefixes, model selection
by the lowest validation loss with early stopping.

  --config FILE       training config, YAML or JSON (configs/*.yaml are examples)
  --output DIR        output folder (default: runs/<config name>): checkpoints/, best/, final/,
                      metrics.jsonl, config.yaml, summary.json
  --resume            continue from the newest valid checkpoint in DIR/checkpoints (a run that stopped at its
                      old --max-steps goes on to a larger one)
  --overwrite         start afresh in an existing non-empty DIR, deleting its checkpoints and metrics
                      (without --resume or --overwrite an existing run folder is refused)
  --max-steps N       stop after N optimizer steps (same as --set training.maxSteps=N)
${precisionHelp(22, '(same as --set training.precision=P; the loss, gradients and AdamW stay fp32)')}
  --set key=value     override a config value, e.g. --set training.lr=1e-4 --set sampling.mode=cross
                      (value read as YAML: numbers, true/false, null, [a, b])
  --quiet             no progress bar

Data-parallel training (PyTorch's c10d: Gloo on CPU, NCCL on GPU; docs/training.md, "Training on
several GPUs or machines"). training.batchSize stays the global batch; the run equals the
single-process run with that batch.
  --nproc N           start N workers on this machine (as torchrun --nproc-per-node N); each gets
                      cores/N libtorch threads unless training.threads is set
  --nnodes M          machines in the run (default 1); run the same command on each
  --node-rank I       this machine's index, 0..M-1 (machine 0 hosts rank 0)
  --master-addr HOST  rank 0's machine (default 127.0.0.1)
  --master-port PORT  rank 0's rendezvous port (default ${DEFAULT_MASTER_PORT})
  Without --nproc, torchrun's environment is honoured: RANK, WORLD_SIZE, LOCAL_RANK,
  LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (e.g. \`torchrun --nproc-per-node 2 --no-python
  npx polyret train --config C\`). Rank 0 writes the output folder; --resume needs it shared.
  POLYRET_DIST_TIMEOUT=SECONDS bounds a collective's wait for a rank that hangs (default 1800).

The final (best) model is written to DIR/final as a sentence-transformers folder, ready for
\`polyret eval --model DIR/final\` and \`polyret encode\`.
`;

const command: Command = {
  name: 'train',
  summary: 'fine-tune a dual encoder with hybrid / mono / cross-lingual batches (checkpoints, resume, early stopping)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      output: { type: 'string' },
      resume: { type: 'boolean', default: false },
      overwrite: { type: 'boolean', default: false },
      'max-steps': { type: 'string' },
      precision: { type: 'string' },
      set: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      nproc: { type: 'string' },
      nnodes: { type: 'string' },
      'node-rank': { type: 'string' },
      'master-addr': { type: 'string' },
      'master-port': { type: 'string' },
    }, usage);
    if (!values.config) throw new UsageError(`--config is required\n\n${usage}`);
    if (values.resume && values.overwrite) throw new UsageError('--resume and --overwrite exclude each other (continue the run, or replace it)');
    const overrides = [...(values.set ?? [])];
    if (values['max-steps'] !== undefined) {
      const n = intFlag('max-steps', values['max-steps']);
      overrides.push(`training.maxSteps=${n}`);
    }
    if (values.precision !== undefined) overrides.push(`training.precision=${precisionFlag(values.precision)}`);
    let loaded;
    try {
      loaded = loadTrainConfig(values.config, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const launching = ['nproc', 'nnodes', 'node-rank', 'master-addr', 'master-port'].some((f) => values[f as keyof typeof values] !== undefined);
    if (launching) {
      if (worldFromEnv()) throw new UsageError('--nproc/--nnodes/--node-rank/--master-addr/--master-port start workers; this process is already a worker (RANK/WORLD_SIZE are set)');
      const nproc = values.nproc !== undefined ? intFlag('nproc', values.nproc) : 1;
      const nnodes = values.nnodes !== undefined ? intFlag('nnodes', values.nnodes) : 1;
      const nodeRank = values['node-rank'] !== undefined ? intFlag('node-rank', values['node-rank'], 0) : 0;
      if (nodeRank >= nnodes) throw new UsageError(`--node-rank must be below --nnodes (${nnodes}), got ${nodeRank}`);
      const masterPort = values['master-port'] !== undefined ? intFlag('master-port', values['master-port']) : DEFAULT_MASTER_PORT;
      if (masterPort > 65535) throw new UsageError(`--master-port must be a port in 1..65535, got ${masterPort}`);
      if (nproc > 1 || nnodes > 1) {
        const { launchWorkers } = await import('../../train/launcher.js');
        return await launchWorkers({
          nproc, nnodes, nodeRank, masterAddr: values['master-addr'] ?? '127.0.0.1', masterPort,
          command: process.execPath,
          args: [...process.execArgv, process.argv[1]!, 'train', ...workerArgs(argv)],
        });
      }
    }
    const world = worldFromEnv();
    const name = values.config.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, '');
    const output = values.output ?? `runs/${name}`;
    // Loaded here so that a bad config is reported without loading libtorch.
    const { train } = await import('../../train/trainer.js');
    const dist = world && world.worldSize > 1 ? await joinWorld(world, loaded.config.training.device) : null;
    let s;
    try {
      s = await train({
        config: loaded.config, baseDir: loaded.baseDir, output, resume: values.resume, overwrite: values.overwrite, progress: values.quiet ? false : undefined,
        defaultThreads: dist?.threads, localRank: world?.localRank,
      });
    } finally {
      dist?.leave();
    }
    if (world && world.rank !== 0) return s.stopReason === 'non-finite-loss' ? 3 : 0;
    const lines = [
      `finished: ${s.stopReason} after ${s.steps} steps (${s.triplets} triplets, ${(s.seconds / 60).toFixed(1)} min, ${(s.triplets / Math.max(1e-9, s.seconds)).toFixed(1)} triplets/s)`,
      `train loss: ${s.firstTrainLoss?.toFixed(4) ?? '-'} → ${s.lastTrainLoss?.toFixed(4) ?? '-'}${s.skippedSteps ? ` (${s.skippedSteps} steps skipped: non-finite loss)` : ''}`,
      `validation loss: ${s.initialValidationLoss !== null ? `untrained ${s.initialValidationLoss.toFixed(4)}, ` : ''}best ${s.bestValidationLoss?.toFixed(4) ?? '-'} at step ${s.bestStep ?? '-'}, last ${s.lastValidationLoss?.toFixed(4) ?? '-'}`,
      ...s.retrieval.map((r) => `${r.task} ${r.label} (step ${r.step}): Mo. ${na3(r.mono)}  Cr. ${na3(r.cross)}  Mul. ${na3(r.multi)}  rank dist. ${r.rankDistance.toFixed(1)}`),
      `final model: ${s.finalDir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return s.stopReason === 'non-finite-loss' ? 3 : 0;
  },
};

/** The command line a launched worker gets: the launcher's, without the launcher's own flags. */
function workerArgs(argv: string[]): string[] {
  const launcherFlags = new Set(['--nproc', '--nnodes', '--node-rank', '--master-addr', '--master-port']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (launcherFlags.has(flag)) {
      if (eq < 0) i += 1;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Joins the process group of a launched worker; its share of the machine's cores as libtorch threads. */
async function joinWorld(w: World, device: string): Promise<{ threads: number; leave: () => void }> {
  const { availableParallelism } = await import('node:os');
  const dist = await import('../../dist/index.js');
  const { cudaAvailable } = await import('../../tensor/index.js');
  const cuda = device === 'cuda' || (device === 'auto' && cudaAvailable());
  const backend = cuda && dist.availableBackends().includes('nccl') ? 'nccl' : 'gloo';
  const raw = process.env.POLYRET_DIST_TIMEOUT;
  if (raw !== undefined && !(Number(raw) > 0)) throw new UsageError(`POLYRET_DIST_TIMEOUT=${raw}: expected a positive number of seconds`);
  const timeoutMs = raw !== undefined ? Math.round(Number(raw) * 1000) : dist.DEFAULT_TIMEOUT_MS;
  try {
    dist.initProcessGroup({ backend, rank: w.rank, worldSize: w.worldSize, masterAddr: w.masterAddr, masterPort: w.masterPort, timeoutMs });
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /Address already in use/.test(msg) ? `; port ${w.masterPort} is in use: choose another MASTER_PORT (or --master-port)` : '';
    throw new Error(`joining the run at ${w.masterAddr}:${w.masterPort} (MASTER_ADDR:MASTER_PORT) as rank ${w.rank} of ${w.worldSize}: ${msg}${hint}`);
  }
  return { threads: Math.max(1, Math.floor(availableParallelism() / w.localWorldSize)), leave: () => dist.destroyProcessGroup() };
}

export default command;
