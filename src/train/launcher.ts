/**
 * `polyret train --nproc N`: starts N training workers on this machine the way torchrun does —
 * each a `polyret train` process with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR
 * and MASTER_PORT set — and watches them: when one dies (a crash, an OOM kill, SIGKILL) the others
 * are stopped at once and the launcher exits non-zero naming the rank, instead of leaving them
 * waiting in a collective.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { worldEnv } from '../dist/worldEnv.js';

export interface LaunchOptions {
  /** Workers on this machine. */
  nproc: number;
  /** Machines in the run (each runs its own launcher); default 1. */
  nnodes?: number;
  /** This machine's index, 0..nnodes−1; machine 0 hosts rank 0 and the rendezvous. */
  nodeRank?: number;
  masterAddr: string;
  masterPort: number;
  /** The worker's command: executable and arguments (`node bin/polyret.js train ...`). */
  command: string;
  args: string[];
  /** Where messages go (default stderr). */
  log?: (m: string) => void;
  /** Seconds between SIGTERM and SIGKILL for the workers left when one fails. */
  graceSeconds?: number;
}

/** Fails with a clear message when `port` cannot be listened on at `host` (another run holds it). */
export async function checkPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is in use (another run or program listens on it)' : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : err.message;
      reject(new Error(`--master-port ${port}: ${host}:${port} ${why}; choose another port with --master-port (or MASTER_PORT)`));
    });
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** Runs the workers of this machine to the end; resolves to the exit code the launcher should return. */
export async function launchWorkers(o: LaunchOptions): Promise<number> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  if (!Number.isInteger(o.nproc) || o.nproc < 1) throw new Error(`--nproc must be a positive integer, got ${o.nproc}`);
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new Error(`--nnodes must be a positive integer, got ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new Error(`--node-rank must be in 0..${nnodes - 1}, got ${nodeRank}`);
  // Rank 0 hosts the TCPStore; a port already taken would otherwise surface as a worker's error.
  if (nodeRank === 0) await checkPortFree(o.masterAddr, o.masterPort);
  const worldSize = nnodes * o.nproc;
  const children: ChildProcess[] = [];
  let failure: { rank: number; code: number } | null = null;
  const grace = (o.graceSeconds ?? 3) * 1000;
  let killTimer: NodeJS.Timeout | null = null;
  const stopAll = (signal: NodeJS.Signals): void => {
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill(signal);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`polyret train: ${sig}: stopping the workers`);
    if (!failure) failure = { rank: -1, code: 130 };
    stopAll('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const exits = Array.from({ length: o.nproc }, (_, local) => {
      const rank = nodeRank * o.nproc + local;
      const env = { ...process.env, ...worldEnv({ rank, worldSize, localRank: local, localWorldSize: o.nproc, masterAddr: o.masterAddr, masterPort: o.masterPort }) };
      const child = spawn(o.command, o.args, { env, stdio: 'inherit' });
      children.push(child);
      return new Promise<void>((resolve) => {
        child.once('error', (err) => {
          if (!failure) failure = { rank, code: 1 };
          log(`polyret train: rank ${rank} could not start: ${err.message}`);
          stopAll('SIGTERM');
          resolve();
        });
        child.once('exit', (code, signal) => {
          if ((code !== 0 || signal) && !failure) {
            failure = { rank, code: code && code !== 0 ? code : 1 };
            log(`polyret train: rank ${rank} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the other workers`);
            stopAll('SIGTERM');
            killTimer = setTimeout(() => stopAll('SIGKILL'), grace);
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const f = failure as { rank: number; code: number } | null;
  return f ? f.code : 0;
}
